/// What `SegmentationMeasure` found: every structure (object, category) with its totals (the
/// objects' ids and categories in flat columns, their totals in a table that spills, read in
/// order through `objects` or `object(at:)`); their areas slice by slice, read through `slices()` in the order of the lists
/// (objects, categories, object overlaps, category overlaps; each structure's slices by
/// `index`), from tables that spill to disk past the memory limit; and the overlapping pairs
/// with their totals, read through `overlaps()` (totalled from the pairs' sorted rows, also
/// spilling: memory does not grow with the pairs).
public final class SegmentationMeasurement {
    /// Which list a row of `slices()` belongs to.
    public enum Scope: UInt8, Sendable, CaseIterable {
        /// Objects, categories, and their overlapping pairs.
        case object, category, objectOverlap, categoryOverlap
    }

    /// An object or a category.
    public struct Structure: Sendable, Equatable {
        /// The object's or category's id.
        public var id: String
        /// The category's name, or the names of the object's categories joined by `;`.
        public var name: String
        /// The object's categories, or the category itself.
        public var categoryIDs: [String]
        /// Objects counted: 1 for an object, the category's objects for a category.
        public var objects: Int
        /// Its pixels over the series.
        public var totals = Totals()
    }

    /// Two structures of the same list that share pixels (positions in `objects` or `categories`,
    /// `first < second`), and how many.
    public struct Overlap: Sendable, Equatable {
        /// Position of the first.
        public var first: Int
        /// Position of the second.
        public var second: Int
        /// The shared pixels over the series.
        public var totals = Totals()
    }

    /// Pixels over all slices, the slices with pixels, and the lowest and highest `index` among them.
    public struct Totals: Sendable, Equatable {
        /// Pixels over all slices.
        public var voxels = 0
        /// Slices with at least one pixel.
        public var sliceCount = 0
        /// Lowest and highest `index` of those slices (`nil` without pixels).
        public var indexRange: ClosedRange<Double>?

        /// No pixels.
        package init() {}

        init(voxels: Int, sliceCount: Int, indexRange: ClosedRange<Double>?) {
            (self.voxels, self.sliceCount, self.indexRange) = (voxels, sliceCount, indexRange)
        }

        mutating func add(pixels: Int, index: Double) {
            voxels += pixels
            sliceCount += 1
            indexRange = indexRange.map { min($0.lowerBound, index)...max($0.upperBound, index) } ?? index...index
        }
    }

    /// One structure's (or pair's) pixels on one slice.
    public struct Slice: Sendable, Equatable {
        /// The list the structure is in.
        public var scope: Scope
        /// Position in `objects` or `categories` (for a pair, its first).
        public var first: Int
        /// For a pair, the second's position; else 0.
        public var second: Int
        /// The image's `index` in its series.
        public var index: Double
        /// The slice's image.
        public var imageID: String
        /// Pixels on that slice.
        public var pixels: Int
        /// The image's position among the file's images.
        package var image = 0
    }

    /// Objects, in file order, then those only annotations name (in order of first
    /// annotation): an array built on each call from flat columns and the table of their
    /// totals (`object(at:)` reads one).
    public var objects: [Structure] { get throws { try (0..<objectTable.count).map(object(at:)) } }
    /// How many objects `objects` lists.
    public var objectCount: Int { objectTable.count }
    /// The object at `position` in `objects`.
    /// (Totals read from their table in order: fastest by increasing positions.)
    public func object(at position: Int) throws -> Structure { objectTable.structure(position, totals: try objectTotals(position)) }
    /// The id and name of the object at `position` (no category list nor totals made).
    package func objectIdentity(_ position: Int) -> (id: String, name: String) {
        (objectTable.id(position).string, objectTable.name(position))
    }
    /// Appends the id and name of the object at `position` as CSV fields (`aicoco measure`'s),
    /// with the comma between them; `scratch` is room for the name.
    package func appendObjectCSVFields(_ position: Int, to bytes: inout [UInt8], scratch: inout [UInt8]) {
        objectTable.appendCSVFields(position, to: &bytes, scratch: &scratch)
    }
    /// The objects' ids and categories (see `MeasuredObjects`); their totals: `objectTotals(_:)`.
    var objectTable = MeasuredObjects()
    /// Categories, in file order.
    public internal(set) var categories: [Structure] = []
    /// Overlapping pairs of objects, read back from the table of their totals (an array as
    /// long as the pairs: `overlaps()` reads them one at a time).
    public var objectOverlaps: [Overlap] { get throws { try overlaps(.objectOverlap) } }
    /// Overlapping pairs of categories, read back likewise.
    public var categoryOverlaps: [Overlap] { get throws { try overlaps(.categoryOverlap) } }
    /// How many pairs of objects overlap, and their shared voxels in all.
    public var objectOverlapSummary: OverlapSummary { knownSummaries().objects }
    /// How many pairs of categories overlap, and their shared voxels in all.
    public var categoryOverlapSummary: OverlapSummary { knownSummaries().categories }
    /// The summaries, once known (from the pairs' totals, or `noteOverlapSummaries`).
    var summaries: (objects: OverlapSummary, categories: OverlapSummary)?

    /// A count of overlapping pairs and the voxels they share.
    public struct OverlapSummary: Sendable, Equatable {
        /// Pairs that share pixels.
        public var pairs = 0
        /// Their shared voxels, added up.
        public var voxels = 0

        /// No pairs.
        package init() {}
    }
    /// Annotations read, and those with a `segmentation`.
    public internal(set) var annotations = 0
    /// Annotations with a `segmentation`.
    public internal(set) var segmentedAnnotations = 0
    /// Images annotations refer to but the file does not define (their pixels are left out;
    /// only when not validating).
    public internal(set) var unknownImageIDs: [String] = []
    /// Passes over the input: always 1.
    public let passes = 1

    /// The slice rows of objects, of categories, of pairs, the pairs' totals and the objects'
    /// (see `key` and `total(_:scope:budget:)`).
    var rows: ExternalSorter?, categoryRows: ExternalSorter?, pairRows: ExternalSorter?
    var pairTotals: ExternalSorter?, objectTotalTable: ExternalSorter?
    /// Where `objectTotals(_:)` reads: the stream and the position last asked.
    var objectTotalCursor: (stream: SortedStream, position: Int)?
    /// The budget of the objects' totals table, made when first asked (see `totalObjects()`).
    var totalBudget: MemoryBudget?
    /// The file's images, in its order (their ids: `imageID(_:)`).
    var images = MeasureImages()
    /// How many images the file has.
    package var imageCount: Int { images.count }
    /// The id of the file's image at `position`.
    package func imageID(_ position: Int) -> String { images.id(position) }
    /// Their `index`es.
    package internal(set) var imageIndices: [Double] = []
    /// The images in slice order (by `index` as `key` orders it, ties in file order): the image
    /// of each slice number a row's key holds.
    var slicesInOrder: [Int32] = []

    /// Each image's slice number (see `slicesInOrder`), from the images' `index`es (set first).
    func numberSlices() -> [Int32] {
        let ordered = imageIndices.map { Self.ordered($0) }
        slicesInOrder = imageIndices.indices.sorted { ordered[$0] != ordered[$1] ? ordered[$0] < ordered[$1] : $0 < $1 }.map { Int32($0) }
        var numbers = [Int32](repeating: 0, count: imageIndices.count)
        for (slice, image) in slicesInOrder.enumerated() { numbers[Int(image)] = Int32(slice) }
        return numbers
    }

    init() {}

    /// The rows, each structure's slices by `index` (ties in file order of the images); each
    /// call reads them from the first.
    public func slices() throws -> SliceRows { try slices(of: [rows, categoryRows, pairRows]) }

    /// The rows of the objects alone (`slices()`'s first part). It and `laterSlices()` may be
    /// read on two threads at once (each table is sorted by its one reader).
    package func objectSlices() throws -> SliceRows { try slices(of: [rows]) }

    /// The rows of the categories and of the overlapping pairs (`slices()` after the objects').
    package func laterSlices() throws -> SliceRows { try slices(of: [categoryRows, pairRows]) }

    private func slices(of tables: [ExternalSorter?]) throws -> SliceRows {
        SliceRows(streams: try tables.compactMap { try $0?.sorted() }, measurement: self, tables: tables)
    }

    /// The overlapping pairs with their totals, pairs of objects then of categories, each list
    /// by its first then its second; each call reads them from the first.
    public func overlaps() throws -> OverlapRows {
        try totalPairs()
        return OverlapRows(stream: try pairTotals?.sorted(), table: pairTotals)
    }

    /// The overlapping pairs of `scope` (`.objectOverlap` or `.categoryOverlap`) as an array.
    public func overlaps(_ scope: Scope) throws -> [Overlap] {
        let reader = try overlaps()
        var list: [Overlap] = []
        while let pair = try reader.next(scope: .objectOverlap) { if scope == .objectOverlap { list.append(pair) } }
        guard scope == .categoryOverlap else { return list }
        while let pair = try reader.next(scope: .categoryOverlap) { list.append(pair) }
        return list
    }

    /// A row's key, into `key` (`keyBytes` bytes): scope, first, second, the image's slice number
    /// (see `numberSlices`), big-endian.
    @inline(__always)
    static func key(scope: Scope, first: Int, second: Int, slice: Int32, into key: UnsafeMutableRawBufferPointer) {
        key[0] = scope.rawValue
        key.storeBytes(of: UInt32(truncatingIfNeeded: first).bigEndian, toByteOffset: 1, as: UInt32.self)
        key.storeBytes(of: UInt32(truncatingIfNeeded: second).bigEndian, toByteOffset: 5, as: UInt32.self)
        key.storeBytes(of: UInt32(bitPattern: slice).bigEndian, toByteOffset: 9, as: UInt32.self)
    }

    static let keyBytes = 13
    /// The bytes of a row's key that name its structure or pair: scope, first, second.
    static let pairKeyBytes = 9

    /// `index`'s bits, ordered as the numbers are.
    static func ordered(_ index: Double) -> UInt64 {
        let bits = index.bitPattern
        return bits >> 63 == 1 ? ~bits : bits | 1 << 63
    }

    /// The position among the file's images of the image a row's key holds.
    @inline(__always)
    func image(ofKey key: UnsafeRawBufferPointer) -> Int {
        Int(slicesInOrder[Int(UInt32(bigEndian: key.loadUnaligned(fromByteOffset: 9, as: UInt32.self)))])
    }

    /// Reads the slice rows back in order.
    public final class SliceRows {
        /// The structures' rows, then the pairs'.
        private let streams: [SortedStream]
        private var part = 0
        let measurement: SegmentationMeasurement
        /// Kept alive while their records are read.
        private let tables: [ExternalSorter?]

        init(streams: [SortedStream], measurement: SegmentationMeasurement, tables: [ExternalSorter?] = []) {
            self.streams = streams
            self.measurement = measurement
            self.tables = tables
        }

        /// The stream with the next row, if any.
        var stream: SortedStream? {
            while part < streams.count && streams[part].atEnd { part += 1 }
            return part < streams.count ? streams[part] : nil
        }

        /// The next row without taking it.
        public func peek() -> Slice? {
            guard let stream else { return nil }
            let key = stream.key
            func number(_ offset: Int) -> Int { Int(UInt32(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
            let image = measurement.image(ofKey: key)
            return Slice(scope: Scope(rawValue: key[0]) ?? .object, first: number(1), second: number(5),
                         index: measurement.imageIndices[image],
                         imageID: measurement.imageID(image), pixels: RawBytes.load64(stream.payload.baseAddress!), image: image)
        }

        /// The next row.
        public func next() throws -> Slice? {
            guard let row = peek() else { return nil }
            try stream?.advance()
            return row
        }

        /// The first and second of the next row's pair, if it is a pair of `scope` (not taken).
        package func nextPair(scope: Scope) -> (first: Int, second: Int)? {
            guard let stream, stream.key[0] == scope.rawValue else { return nil }
            let key = stream.key
            return (Int(UInt32(bigEndian: key.loadUnaligned(fromByteOffset: 1, as: UInt32.self))),
                    Int(UInt32(bigEndian: key.loadUnaligned(fromByteOffset: 5, as: UInt32.self))))
        }

        /// The rows of one structure or pair, taken in turn.
        public func next(scope: Scope, first: Int, second: Int = 0) throws -> Slice? {
            guard let row = peek(), row.scope == scope, row.first == first, row.second == second else { return nil }
            try stream?.advance()
            return row
        }

        /// Whether a row's key is of the structure or pair `scope`, `first`, `second`.
        @inline(__always)
        static func isRow(_ key: UnsafeRawBufferPointer, of scope: Scope, _ first: Int, _ second: Int) -> Bool {
            key[0] == scope.rawValue
                && UInt32(bigEndian: key.loadUnaligned(fromByteOffset: 1, as: UInt32.self)) == UInt32(truncatingIfNeeded: first)
                && UInt32(bigEndian: key.loadUnaligned(fromByteOffset: 5, as: UInt32.self)) == UInt32(truncatingIfNeeded: second)
        }

        /// A row as writers take it: the image's position (among the file's images) and `index`, the pixels.
        package struct Row {
            /// The image's position among the file's images.
            package var image: Int
            /// The image's `index`.
            package var index: Double
            /// Pixels on that slice.
            package var pixels: Int
        }

        /// `next(scope:first:second:)` without the image's id (nothing allocated nor retained).
        package func nextRow(scope: Scope, first: Int, second: Int = 0) throws -> Row? {
            guard let stream else { return nil }
            let key = stream.key
            guard Self.isRow(key, of: scope, first, second) else { return nil }
            let image = measurement.image(ofKey: key)
            let row = Row(image: image, index: measurement.imageIndices[image], pixels: RawBytes.load64(stream.payload.baseAddress!))
            try stream.advance()
            return row
        }
    }
}

extension SegmentationMeasurement {
    /// Reads the overlapping pairs and their totals back in order.
    public final class OverlapRows {
        private let stream: SortedStream?
        /// Kept alive while its records are read.
        private let table: ExternalSorter?

        init(stream: SortedStream?, table: ExternalSorter?) {
            self.stream = stream
            self.table = table
        }

        /// The next pair of `scope`, if the next pair is of that scope.
        public func next(scope: Scope) throws -> Overlap? {
            guard let stream, !stream.atEnd, stream.key[0] == scope.rawValue else { return nil }
            let key = stream.key, payload = stream.payload
            func number(_ offset: Int) -> Int { Int(UInt32(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
            let pair = Overlap(first: number(1), second: number(5), totals: Totals(payload: payload))
            try stream.advance()
            return pair
        }
    }
}

extension SegmentationMeasure {
    /// `measure` found no segmentation to measure (the file's annotations are boxes only).
    public struct NoSegmentation: Error, Sendable, CustomStringConvertible {
        /// Annotations in the file.
        public let annotations: Int
        /// The message.
        public var description: String {
            "the file has no segmentation: its \(annotations) annotations are boxes only (a detection output), there is nothing to measure"
        }
    }

    /// A `segmentation` has a NaN or infinite coordinate (read under `allowNonFinite`): it
    /// stands for no pixel, so the annotation cannot be measured (nor left out silently).
    public struct NonFiniteCoordinate: Error, Sendable, CustomStringConvertible {
        /// The first such annotation's id.
        public let annotationID: String
        /// The message.
        public var description: String {
            "annotation \(jsonQuoted(annotationID)): its segmentation has a NaN or infinite coordinate (read under --allow-nan), which is no pixel: a segmentation with one cannot be measured; remove it or fix the coordinate"
        }
    }
}
