/// What `SegmentationMeasure` found: every structure (object, category) and every overlapping
/// pair with its totals, in memory; their areas slice by slice, read once through `slices()`
/// in the order of the lists (objects, categories, object overlaps, category overlaps; each
/// structure's slices by `index`), from a table that spills to disk past the memory limit.
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
        /// The image's position in `imageIDs`.
        package var image = 0
    }

    /// Objects, in file order.
    public internal(set) var objects: [Structure] = []
    /// Categories, in file order.
    public internal(set) var categories: [Structure] = []
    /// Overlapping pairs of objects.
    public internal(set) var objectOverlaps: [Overlap] = []
    /// Overlapping pairs of categories.
    public internal(set) var categoryOverlaps: [Overlap] = []
    /// Annotations read, and those with a `segmentation`.
    public internal(set) var annotations = 0
    /// Annotations with a `segmentation`.
    public internal(set) var segmentedAnnotations = 0
    /// Images annotations refer to but the file does not define (their pixels are left out;
    /// only when not validating).
    public internal(set) var unknownImageIDs: [String] = []
    /// Passes over the input: always 1.
    public let passes = 1

    var rows: ExternalSorter?
    /// The ids of the file's images, in its order.
    package internal(set) var imageIDs: [String] = []
    var imageIndices: [Double] = []

    init() {}

    /// The rows, each structure's slices by `index` (ties in file order of the images). Once.
    public func slices() throws -> SliceRows {
        guard let rows else { return SliceRows(stream: nil, measurement: self) }
        self.rows = nil
        return SliceRows(stream: try rows.sorted(), measurement: self, table: rows)
    }

    /// A row's key, into `key`: scope, first, second, index (ordered as numbers), image
    /// position, big-endian (`keyBytes` bytes).
    static func key(scope: Scope, first: Int, second: Int, index: Double, image: Int, into key: inout [UInt8]) {
        if key.count != keyBytes { key = [UInt8](repeating: 0, count: keyBytes) }
        let bits = index.bitPattern
        let ordered = bits >> 63 == 1 ? ~bits : bits | 1 << 63
        key.withUnsafeMutableBytes { key in
            key[0] = scope.rawValue
            key.storeBytes(of: UInt32(truncatingIfNeeded: first).bigEndian, toByteOffset: 1, as: UInt32.self)
            key.storeBytes(of: UInt32(truncatingIfNeeded: second).bigEndian, toByteOffset: 5, as: UInt32.self)
            key.storeBytes(of: ordered.bigEndian, toByteOffset: 9, as: UInt64.self)
            key.storeBytes(of: UInt32(truncatingIfNeeded: image).bigEndian, toByteOffset: 17, as: UInt32.self)
        }
    }

    static let keyBytes = 21

    /// Reads the slice rows back in order.
    public final class SliceRows {
        private let stream: SortedStream?
        private let measurement: SegmentationMeasurement
        /// Kept alive while its records are read.
        private let table: ExternalSorter?

        init(stream: SortedStream?, measurement: SegmentationMeasurement, table: ExternalSorter? = nil) {
            self.stream = stream
            self.measurement = measurement
            self.table = table
        }

        /// The next row without taking it.
        public func peek() -> Slice? {
            guard let stream, !stream.atEnd else { return nil }
            let key = stream.key
            func number(_ offset: Int) -> Int { Int(UInt32(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
            let bits = UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 9, as: UInt64.self))
            let image = number(17)
            return Slice(scope: Scope(rawValue: key[0]) ?? .object, first: number(1), second: number(5),
                         index: Double(bitPattern: bits >> 63 == 1 ? bits & ~(1 << 63) : ~bits),
                         imageID: measurement.imageIDs[image], pixels: RawBytes.load64(stream.payload.baseAddress!), image: image)
        }

        /// The next row.
        public func next() throws -> Slice? {
            guard let row = peek() else { return nil }
            try stream!.advance()
            return row
        }

        /// The rows of one structure or pair, taken in turn.
        public func next(scope: Scope, first: Int, second: Int = 0) throws -> Slice? {
            guard let row = peek(), row.scope == scope, row.first == first, row.second == second else { return nil }
            try stream!.advance()
            return row
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
