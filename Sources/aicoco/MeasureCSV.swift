import AiCOCO

/// Areas and volumes from `--spacing`, taken once (an option's value is slow to read, once a row).
struct MeasureUnits {
    let squareMillimetres: Double?, millilitres: Double?

    init(_ spacing: Spacing?) {
        squareMillimetres = spacing.map { $0.x * $0.y }
        millilitres = spacing.map { $0.x * $0.y * $0.z / 1000 }
    }

    /// `pixels` in mm^2, to 1e-4 mm^2.
    func area(_ pixels: Int) -> Double? { squareMillimetres.map { (Double(pixels) * $0 * 1e4).rounded() / 1e4 } }
    /// `voxels` in mL, to 1e-6 mL (a cubic millimetre is 1e-3 mL).
    func volume(_ voxels: Int) -> Double? { millilitres.map { (Double(voxels) * $0 * 1e6).rounded() / 1e6 } }
}

/// The lines of `aicoco measure`'s CSV, entry by entry: each entry's slice rows, then its total
/// row (its voxels added up from those rows). The objects' list (`writeObjects`) and the
/// categories' and pairs' (`writeLater`) may be written by two threads at once, each with its
/// own copy (the cache of object fields is a copy's own; the rest is read only).
struct MeasureCSVLines {
    static let header = Array("scope,id,name,index,image_id,pixels,area_mm2,voxels,volume_ml,with_id,with_name\n".utf8)

    let result: SegmentationMeasurement
    let units: MeasureUnits
    /// Each image's index and id as CSV fields with their commas: end to end, with where each ends.
    private var imageText: [UInt8] = [], imageEnds: [Int] = [0]
    /// The categories' id and name as CSV fields.
    private let categoryFields: [[UInt8]]
    /// Objects' id and name as CSV fields, made when their entries come, by position modulo
    /// 4096 (pairs name objects again and again).
    private var cache = [(position: Int, fields: [UInt8])](repeating: (-1, []), count: 4096)
    private var scratch: [UInt8] = []
    /// The rows' start (scope, id, name) and end (empty volume, voxels; the second structure of a pair), each entry's.
    private var head: [UInt8] = [], pairTail: [UInt8] = []
    private let area: ((Int) -> Double)?

    init(_ result: SegmentationMeasurement, units: MeasureUnits) {
        self.result = result
        self.units = units
        for (image, index) in result.imageIndices.enumerated() {
            let id = result.imageID(image)
            imageText.append(contentsOf: (index == index.rounded() && abs(index) < 1e15 ? String(Int(index)) : JSONText.number(index)).utf8)
            imageText.append(44)
            imageText.append(contentsOf: csvField(id).utf8)
            imageText.append(44)
            imageEnds.append(imageText.count)
        }
        categoryFields = result.categories.map { Array("\(csvField($0.id)),\(csvField($0.name))".utf8) }
        area = units.squareMillimetres.map { _ in { units.area($0)! } }
    }

    /// The id and name of the object at `position` as CSV fields.
    private mutating func objectFields(_ position: Int) -> [UInt8] {
        let slot = position & 4095
        if cache[slot].position != position {
            var fields: [UInt8] = []
            result.appendObjectCSVFields(position, to: &fields, scratch: &scratch)
            cache[slot] = (position, fields)
        }
        return cache[slot].fields
    }

    /// The objects' list, from their rows (`objectSlices()`).
    mutating func writeObjects(rows: SegmentationMeasurement.SliceRows, to output: FileOutput) throws {
        for position in 0..<result.objectCount {
            try writeEntry(.object, position, 0, rows: rows, to: output)
        }
    }

    /// The categories' list, then the pairs of objects', then the pairs of categories', from
    /// their rows (`laterSlices()`); the pairs' summaries, as the pairs' totals give them. Ends
    /// early (what is written then is not whole) when `stop` says so.
    mutating func writeLater(rows: SegmentationMeasurement.SliceRows, to output: FileOutput, stop: () -> Bool = { false }) throws
        -> (objects: SegmentationMeasurement.OverlapSummary, categories: SegmentationMeasurement.OverlapSummary) {
        var summaries = (objects: SegmentationMeasurement.OverlapSummary(), categories: SegmentationMeasurement.OverlapSummary())
        for position in result.categories.indices {
            if position & 1023 == 0 && stop() { return summaries }
            try writeEntry(.category, position, 0, rows: rows, to: output)
        }
        for scope in [SegmentationMeasurement.Scope.objectOverlap, .categoryOverlap] {
            var summary = SegmentationMeasurement.OverlapSummary()
            while let pair = rows.nextPair(scope: scope) {
                if summary.pairs & 1023 == 0 && stop() { return summaries }
                summary.pairs += 1
                summary.voxels += try writeEntry(scope, pair.first, pair.second, rows: rows, to: output)
            }
            if scope == .objectOverlap { summaries.objects = summary } else { summaries.categories = summary }
        }
        return summaries
    }

    /// One entry's lines: its rows, then its total row; its voxels.
    @discardableResult
    private mutating func writeEntry(_ scope: SegmentationMeasurement.Scope, _ first: Int, _ second: Int,
                                     rows: SegmentationMeasurement.SliceRows, to output: FileOutput) throws -> Int {
        let objects = scope == .object || scope == .objectOverlap
        head.removeAll(keepingCapacity: true)
        head.append(contentsOf: Self.scopeTexts[Int(scope.rawValue)])
        if objects {
            head.append(contentsOf: objectFields(first))
        } else {
            head.append(contentsOf: categoryFields[first])
        }
        head.append(44)
        let pair = scope == .objectOverlap || scope == .categoryOverlap
        if pair {
            pairTail.removeAll(keepingCapacity: true)
            pairTail.append(44)
            if objects {
                pairTail.append(contentsOf: objectFields(second))
            } else {
                pairTail.append(contentsOf: categoryFields[second])
            }
            pairTail.append(10)
        }
        return try finishEntry(scope, first, second, tail: pair ? pairTail : Self.single, rows: rows, to: output)
    }

    /// The entry's rows, each `head`, its fields, `tail`; then its total row; its voxels.
    private func finishEntry(_ scope: SegmentationMeasurement.Scope, _ first: Int, _ second: Int, tail: [UInt8],
                             rows: SegmentationMeasurement.SliceRows, to output: FileOutput) throws -> Int {
        let voxels = try rows.writeCSVLines(scope: scope, first: first, second: second, head: head, tail: tail,
                                            images: imageText, imageEnds: imageEnds, area: area, to: output)
        try output.write(head)
        try output.write(Self.emptySliceFields)
        try output.write(decimal: voxels)
        try output.write(byte: 44)
        if let volume = units.volume(voxels) { try output.write(number: volume) }
        try output.write(tail)
        return voxels
    }

    /// The end of a structure's rows: empty volume (a slice row's), with_id and with_name.
    private static let single = Array(",,\n".utf8)

    /// The CSV's names of the scopes with their comma, by raw value.
    private static let scopeTexts = ["object", "category", "object_overlap", "category_overlap"].map { Array("\($0),".utf8) }

    /// The index, image id, pixels and area of a total row (empty).
    private static let emptySliceFields = Array(",,,,".utf8)
}
