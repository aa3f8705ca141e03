// The objects of `measure`, held flat: their ids in one open-addressing table (no dictionary
// nor String per object in the common cases), the file's objects' categories end to end, and
// each object's categories by number for the painters. Memory: about 70 bytes an object (painters' sweeps included; totals spilled, see `MeasureTotals.swift`).

/// Record ids numbered in order of first sight (`ordinal(of:)`), found again through an
/// open-addressing table of ordinals: an id held packed (`RecordID.packedWords`) is its two
/// words, any other its `String`.
struct IDTable {
    private var high: [UInt64] = [], low: [UInt64] = []
    /// The ids held as a `String`; their `high` is `stringMark`, their `low` their place here.
    private var others: [String] = []
    /// Ordinal + 1 of the id in each slot (0: empty); a quarter of them empty at least (none
    /// after `dropLookups()`).
    private var slots: [UInt32] = []
    private static let stringMark = UInt64(0b10) << 62

    var count: Int { high.count }

    /// The ordinal of `id`, and whether it is new (given the next ordinal).
    mutating func ordinal(of id: RecordID) -> (ordinal: Int, isNew: Bool) {
        if 4 * (count + 1) > 3 * slots.count { grow() }
        let words = id.packedWords
        let text = words == nil ? id.string : nil
        let (ordinal, slot) = probe(words, text)
        if let ordinal { return (ordinal, false) }
        slots[slot] = UInt32(count + 1)
        if let words {
            high.append(words.high)
            low.append(words.low)
        } else {
            high.append(Self.stringMark)
            low.append(UInt64(others.count))
            others.append(text!)
        }
        return (count - 1, true)
    }

    /// The ordinal of `id`, if it has one (not after `dropLookups()`).
    func find(_ id: RecordID) -> Int? {
        guard !slots.isEmpty else { return nil }
        let words = id.packedWords
        return probe(words, words == nil ? id.string : nil).ordinal
    }

    /// The ordinal of the id of `words` (packed) or `text`, or the empty slot where it would go.
    @inline(__always)
    private func probe(_ words: (high: UInt64, low: UInt64)?, _ text: String?) -> (ordinal: Int?, slot: Int) {
        let hash = words.map { packedIDHash(high: $0.high, low: $0.low) } ?? text!.hashValue
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 {
            let ordinal = Int(slots[slot] - 1)
            if let words {
                if high[ordinal] == words.high && low[ordinal] == words.low { return (ordinal, slot) }
            } else if high[ordinal] == Self.stringMark && others[Int(low[ordinal])] == text! {
                return (ordinal, slot)
            }
            slot = (slot + 1) & mask
        }
        return (nil, slot)
    }

    /// The id of `ordinal`.
    func id(_ ordinal: Int) -> RecordID {
        high[ordinal] == Self.stringMark ? RecordID(others[Int(low[ordinal])]) : RecordID(packedHigh: high[ordinal], low: low[ordinal])
    }

    /// Frees the table of slots once no id is to be looked up (`id(_:)` only; `ordinal(of:)`
    /// would make it again).
    mutating func dropLookups() { slots = [] }

    private mutating func grow() {
        var capacity = 64
        while 4 * (count + 1) > 3 * capacity { capacity *= 2 }
        slots = [UInt32](repeating: 0, count: capacity)
        let mask = capacity - 1
        for ordinal in 0..<count {
            let hash = high[ordinal] == Self.stringMark ? others[Int(low[ordinal])].hashValue
                                                        : packedIDHash(high: high[ordinal], low: low[ordinal])
            var slot = hash & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(ordinal + 1)
        }
    }
}

/// The objects the reading pass of `measure` meets: those annotations name (numbered in order
/// of first annotation, the painters' tags) and those the file lists (in file order, with
/// their `category_ids`), in one `IDTable`.
final class MeasureObjects {
    private(set) var ids = IDTable()
    /// Per ordinal: its position among the file's objects (the last, for a repeated id), or -1.
    private(set) var filePosition: [Int32] = []
    /// The file's objects, in file order: their ordinals.
    private(set) var fileOrdinals: [UInt32] = []
    /// Each file object's `category_ids` as numbers in `categoryIDs`, end to end; where each ends.
    private(set) var categoryNumbers: [Int32] = [], categoryEnds: [Int32] = [0]
    /// The distinct category ids the file's objects name.
    private(set) var categoryIDs: [String] = []
    private var categoryKeys: [String: Int32] = [:]

    /// The ordinal of the object `id` (a new one gets the next).
    @inline(__always)
    func ordinal(of id: RecordID) -> UInt32 {
        let (ordinal, isNew) = ids.ordinal(of: id)
        if isNew { filePosition.append(-1) }
        return UInt32(ordinal)
    }

    /// An object the file lists.
    func addFileObject(id: String, categoryIDs ids: [String]) {
        let ordinal = Int(ordinal(of: RecordID(id)))
        filePosition[ordinal] = Int32(fileOrdinals.count)
        fileOrdinals.append(UInt32(ordinal))
        for id in ids {
            if let number = categoryKeys[id] {
                categoryNumbers.append(number)
            } else {
                categoryKeys[id] = Int32(categoryIDs.count)
                categoryNumbers.append(Int32(categoryIDs.count))
                categoryIDs.append(id)
            }
        }
        categoryEnds.append(Int32(categoryNumbers.count))
    }

    /// Once every id is known (the reading pass is over): frees what only finding them needs.
    func endReading() {
        ids.dropLookups()
        filePosition = []
    }

    /// The category numbers (in `categoryIDs`) of the file's object at `position`.
    func categories(ofFileObject position: Int) -> ArraySlice<Int32> {
        categoryNumbers[Int(categoryEnds[position])..<Int(categoryEnds[position + 1])]
    }
}

/// Each object's categories (positions in the catalog, each once), by object number, end to end.
struct ObjectCategories: Sendable {
    private var numbers: [Int32] = []
    private var ends: [Int32] = [0]

    init() {}

    /// Appends the next object's categories.
    mutating func append<Numbers: Sequence<Int32>>(_ categories: Numbers) {
        numbers.append(contentsOf: categories)
        ends.append(Int32(numbers.count))
    }

    /// The categories of object `object`.
    @inline(__always)
    subscript(object: Int) -> ArraySlice<Int32> { numbers[Int(ends[object])..<Int(ends[object + 1])] }
}

/// The measured objects, by position (the file's objects in its order, then those only
/// annotations name, in order of first annotation): their ids and categories from the reading
/// pass's `MeasureObjects` (their totals: a table of `SegmentationMeasurement`, see `MeasureTotals.swift`).
struct MeasuredObjects {
    let source: MeasureObjects
    /// Ordinals of the objects only annotations name, by position past the file's objects.
    var extraOrdinals: [UInt32] = []
    /// Per category number of `source`: its position among the catalog's categories, or -1.
    let categoryPositions: [Int32]
    /// The catalog's categories' names, as strings and as UTF-8 bytes.
    let categoryNames: [String], categoryNameBytes: [[UInt8]]

    init(source: MeasureObjects = MeasureObjects(), catalog: SegmentationCatalog = SegmentationCatalog()) {
        self.source = source
        categoryPositions = source.categoryIDs.map { catalog.categoryPosition($0).map { Int32($0) } ?? -1 }
        categoryNames = catalog.categories.map(\.name)
        categoryNameBytes = categoryNames.map { Array($0.utf8) }
    }

    var count: Int { source.fileOrdinals.count + extraOrdinals.count }

    func id(_ position: Int) -> RecordID {
        let files = source.fileOrdinals.count
        return source.ids.id(Int(position < files ? source.fileOrdinals[position] : extraOrdinals[position - files]))
    }

    /// The object's `category_ids` (none for an object only annotations name).
    func categoryIDs(_ position: Int) -> [String] {
        guard position < source.fileOrdinals.count else { return [] }
        return source.categories(ofFileObject: position).map { source.categoryIDs[Int($0)] }
    }

    /// Its categories' names (a category the catalog does not have: its id) joined by `;`.
    func name(_ position: Int) -> String {
        guard position < source.fileOrdinals.count else { return "" }
        var name = ""
        for (count, number) in source.categories(ofFileObject: position).enumerated() {
            if count > 0 { name += ";" }
            let category = categoryPositions[Int(number)]
            name += category >= 0 ? categoryNames[Int(category)] : source.categoryIDs[Int(number)]
        }
        return name
    }

    /// Appends the object's id and name as two CSV fields (quoted when they hold a comma, a
    /// quote or a line break, RFC 4180) and the comma between them, as bytes: no String made.
    func appendCSVFields(_ position: Int, to bytes: inout [UInt8], scratch: inout [UInt8]) {
        id(position).withUTF8 { Self.appendCSVField($0, to: &bytes) }
        bytes.append(44)
        guard position < source.fileOrdinals.count else { return }
        scratch.removeAll(keepingCapacity: true)
        for (count, number) in source.categories(ofFileObject: position).enumerated() {
            if count > 0 { scratch.append(59) }
            let category = categoryPositions[Int(number)]
            if category >= 0 {
                scratch.append(contentsOf: categoryNameBytes[Int(category)])
            } else {
                scratch.append(contentsOf: source.categoryIDs[Int(number)].utf8)
            }
        }
        Self.appendCSVField(scratch, to: &bytes)
    }

    static func appendCSVField<Field: Collection<UInt8>>(_ field: Field, to bytes: inout [UInt8]) {
        guard field.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return bytes.append(contentsOf: field) }
        bytes.append(34)
        for byte in field {
            if byte == 34 { bytes.append(34) }
            bytes.append(byte)
        }
        bytes.append(34)
    }

    func structure(_ position: Int, totals: SegmentationMeasurement.Totals) -> SegmentationMeasurement.Structure {
        .init(id: id(position).string, name: name(position), categoryIDs: categoryIDs(position), objects: 1, totals: totals)
    }
}

/// The images the reading pass of `measure` meets, flat: their ids in an `IDTable` (a
/// position is an ordinal: file order), their `index` and size (0: not given). An id given
/// again keeps its first image (a repeated id is a problem validation reports).
struct MeasureImages {
    private(set) var ids = IDTable()
    private(set) var indices: [Double] = []
    private var widths: [Int32] = [], heights: [Int32] = []

    var count: Int { indices.count }

    mutating func add(_ image: Image) {
        guard ids.ordinal(of: RecordID(image.id)).isNew else { return }
        let size = SegmentationCatalog.size(of: image.extra)
        indices.append(image.index)
        widths.append(Int32(size.width ?? 0))
        heights.append(Int32(size.height ?? 0))
    }

    /// The position of the image `id` (not after `withoutLookups()`).
    func position(of id: String) -> Int? { ids.find(RecordID(id)) }
    /// The position of the image `id` (not after `withoutLookups()`).
    func position(of id: RecordID) -> Int? { ids.find(id) }

    /// These images, their ids no longer looked up (`position(of:)`: nil).
    func withoutLookups() -> MeasureImages {
        var images = self
        images.ids.dropLookups()
        return images
    }

    func id(_ position: Int) -> String { ids.id(position).string }

    /// Its `width`/`height` (or `dicom` `Columns`/`Rows`), when given.
    func size(_ position: Int) -> (width: Int, height: Int)? {
        widths[position] > 0 && heights[position] > 0 ? (Int(widths[position]), Int(heights[position])) : nil
    }
}
