/// The polygons of a `segmentation`, stored flat in one allocation: all coordinates, then the
/// end offset of each polygon. No object per point or per polygon.
public struct Polygons: Sendable, Equatable, RandomAccessCollection {
    /// The coordinates, then each polygon's end (as a `Double`: ends are counts, exact far
    /// beyond any memory), so that a segmentation costs one allocation.
    private var storage: [Double]
    private var coordinateCount: Int

    /// Every number of every polygon, `x1, y1, x2, y2, ...`, polygon after polygon (indexed from 0).
    public var coordinates: ArraySlice<Double> { storage[0..<coordinateCount] }
    /// `ends[i]` is the index in `coordinates` just past polygon `i`.
    public var ends: Ends { Ends(storage: storage, first: coordinateCount) }

    /// The end offsets of the polygons, read from the shared storage.
    public struct Ends: RandomAccessCollection, Sendable {
        fileprivate let storage: [Double]
        fileprivate let first: Int
        /// Always 0.
        public var startIndex: Int { 0 }
        /// The number of polygons.
        public var endIndex: Int { storage.count - first }
        /// The end of polygon `i` (an index into `coordinates`).
        public subscript(i: Int) -> Int { Int(storage[first + i]) }
    }

    /// No polygons.
    public init() {
        storage = []
        coordinateCount = 0
    }

    /// Builds from flat storage; `ends` must be non-decreasing and end at `coordinates.count`.
    public init(coordinates: [Double], ends: [Int]) {
        precondition(ends.last ?? 0 == coordinates.count, "polygon ends must cover the coordinates")
        self.init(copying: coordinates, ends: ends)
    }

    /// Builds from the contents of two arrays, in exactly one allocation (none when both are empty).
    init(copying coordinates: [Double], ends: [Int]) {
        let total = coordinates.count + ends.count
        storage = total == 0 ? [] : Array(unsafeUninitializedCapacity: total) { buffer, initialized in
            let rest = coordinates.withUnsafeBufferPointer { buffer.initialize(fromContentsOf: $0) }
            for (offset, end) in ends.enumerated() { buffer.initializeElement(at: rest + offset, to: Double(end)) }
            initialized = total
        }
        coordinateCount = coordinates.count
    }

    /// Builds from one array per polygon (convenient in tests and small programs).
    public init(_ polygons: [[Double]]) {
        var coordinates: [Double] = []
        var ends: [Int] = []
        for polygon in polygons {
            coordinates.append(contentsOf: polygon)
            ends.append(coordinates.count)
        }
        self.init(copying: coordinates, ends: ends)
    }

    /// Adds a polygon after the others.
    public mutating func append<S: Sequence>(_ polygon: S) where S.Element == Double {
        let values = Array(polygon)
        storage.insert(contentsOf: values, at: coordinateCount)
        coordinateCount += values.count
        storage.append(Double(coordinateCount))
    }

    /// Always 0.
    public var startIndex: Int { 0 }
    /// The number of polygons.
    public var endIndex: Int { storage.count - coordinateCount }

    /// The numbers of polygon `i`, `x1, y1, ..., xn, yn`.
    public subscript(i: Int) -> ArraySlice<Double> {
        storage[(i == 0 ? 0 : Int(storage[coordinateCount + i - 1]))..<Int(storage[coordinateCount + i])]
    }

    /// Number of coordinate pairs over all polygons (an odd trailing number is not counted).
    public var pointCount: Int {
        var total = 0
        var start = 0
        for end in ends {
            total += (end - start) / 2
            start = end
        }
        return total
    }
}
