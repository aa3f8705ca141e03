// The coordinates of polygons and boxes: frames opened and closed, numbers stored and handed
// to the delegate in chunks (from yajl's callbacks or the scanner), and the checks on each entry.

/// The numbers of the polygon (or box) being read, handed to the delegate in chunks of at most
/// `capacity`: the one flat buffer the engine owns (allocated once, freed with the engine).
struct CoordinateBuffer: ~Copyable {
    static let capacity = 4096
    private let values: UnsafeMutablePointer<Double>
    /// Numbers stored since the last chunk was handed out.
    var fill = 0
    /// Index, in the polygon, of the next number; and of the first number of the current chunk.
    var index = 0
    var chunkStart = 0
    /// Index of the polygon (or box) in its list.
    var polygon = 0
    var kind: CoordinateKind = .segmentation
    /// The chunk's numbers as written, comma-separated (`DocumentParsing.Options.keepsNumberText` only,
    /// `keepText`), grown (never per number) up to what a chunk's numbers need: `capacity`
    /// times at most `maxNumberBytes` + 1.
    private var text: UnsafeMutablePointer<UInt8>?
    private var textCapacity = 0
    private var textFill = 0

    init() { values = .allocate(capacity: Self.capacity) }

    deinit {
        values.deallocate()
        text?.deallocate()
    }

    /// Slot `slot` (below `capacity`) of the chunk being filled.
    subscript(slot: Int) -> Double {
        get { values[slot] }
        nonmutating set { values[slot] = newValue }
    }

    /// Starts polygon `polygon` of its list.
    mutating func open(polygon: Int) {
        index = 0
        chunkStart = 0
        fill = 0
        self.polygon = polygon
    }

    /// The chunk filled so far (`annotationIndex`, whose polygon it is), emptied.
    mutating func takeChunk(annotationIndex: Int, endsPolygon: Bool) -> CoordinateChunk {
        let chunk = CoordinateChunk(kind: kind, annotationIndex: annotationIndex, polygonIndex: polygon,
                                    offset: chunkStart, base: values, count: fill, endsPolygon: endsPolygon,
                                    text: text, textCount: textFill)
        chunkStart = index
        fill = 0
        textFill = 0
        return chunk
    }

    /// Forgets the numbers filled so far (not an annotation's: no one is told of them).
    mutating func dropChunk() {
        chunkStart = index
        fill = 0
        textFill = 0
    }

    /// Chunks carry their numbers' text from now on.
    mutating func keepText() {
        if text == nil { growText(1) }
    }

    /// Keeps the text of the next number(s) of the chunk: one number, or a run of them
    /// already separated by commas (`12,7,30`), as the input wrote them.
    mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>) {
        let needed = textFill + 1 + bytes.count
        if needed > textCapacity { growText(needed) }
        let base = text.unsafelyUnwrapped
        if textFill > 0 {
            base[textFill] = UInt8(ascii: ",")
            textFill += 1
        }
        (base + textFill).update(from: bytes.baseAddress.unsafelyUnwrapped, count: bytes.count)
        textFill += bytes.count
    }

    private mutating func growText(_ needed: Int) {
        var size = max(textCapacity * 2, 1 << 14)
        while size < needed { size *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        if let text {
            grown.update(from: text, count: textFill)
            text.deallocate()
        }
        text = grown
        textCapacity = size
    }
}

extension DocumentEngine {
    /// A polygon (or box) opens at `start`.
    mutating func openCoordinateEntry(start: SourceLocation) throws(EngineStop) {
        coordinates.open(polygon: frames[frames.count - 1].count)
        try push(Frame(kind: .coordEntry, start: start))
    }

    /// Stores one number of the polygon, as `onNumber` does (and its `text`, when kept).
    @inline(__always)
    mutating func storeCoordinate(_ value: Double, text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        if options.keepsNumberText { coordinates.appendText(text) }
        let fill = coordinates.fill
        coordinates[fill] = value
        coordinates.fill = fill + 1
        coordinates.index += 1
        if fill + 1 == CoordinateBuffer.capacity { try deliverCoordinates(endsPolygon: false) }
    }

    mutating func deliverCoordinates(endsPolygon: Bool) throws(EngineStop) {
        // Annotations only: the record frame is two below the entry's.
        let depth = frames.count
        guard depth >= 3, frames[depth - 3].section == .annotations else { return coordinates.dropChunk() }
        let chunk = coordinates.takeChunk(annotationIndex: frames.recordIndex, endsPolygon: endsPolygon)
        do {
            try delegate.engineCoordinates(chunk)
        } catch {
            throw visitorThrew(error)
        }
    }

    mutating func endCoordinateEntry() throws(EngineStop) {
        let depth = frames.count
        let start = frames[depth - 1].start
        let count = coordinates.index
        try deliverCoordinates(endsPolygon: true)
        pop()
        if coordinates.kind == .bbox {
            record.fields.bboxCount? += 1
            if count != 4 {
                try problem(.schema, "a bbox entry has exactly 4 numbers [x1, y1, x2, y2], found \(count)",
                            at: start, path: path(throughFrame: depth, includeCurrent: false))
            }
        } else {
            record.fields.polygonCount? += 1
            if options.validate, count % 2 != 0 {
                try problem(.semantic, "a polygon is a list of x,y pairs, found an odd count of \(count) numbers",
                            at: start, path: path(throughFrame: depth, includeCurrent: false))
            }
        }
        valueDone()
    }

    mutating func wrongCoordinate(_ found: String, at location: SourceLocation, container: Bool) throws(EngineStop) {
        let path = currentPath()
        coordinates.index += 1
        try problem(.schema, "expected a number, found \(found)", at: location, path: path)
        if container { try skipContainer() }
    }

    mutating func numberOutOfRange(_ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        let location = numberStart(length: text.count)
        let path = currentPath()
        coordinates.index += 1
        try problem(.semantic, "number \(quotedToken(text)) does not fit a 64-bit float", at: location, path: path)
    }
}

/// An annotation's geometry gathered from its coordinate chunks, in buffers reused from one
/// annotation to the next: the coordinates and polygon ends of `segmentation`, and the boxes of
/// `bbox` (an entry of four numbers makes a `BoundingBox`; an entry of another length, a schema
/// problem the parser reports, makes none).
struct GeometryGatherer {
    private(set) var coordinates: [Double] = []
    private(set) var ends: [Int] = []
    private(set) var boxes: [BoundingBox] = []
    /// The numbers' text (`DocumentParsing.Options.keepsNumberText`), comma-separated: of `coordinates`,
    /// and of `boxes` (an entry that makes no box leaves none).
    private(set) var coordinateText: [UInt8] = []
    private(set) var boxText: [UInt8] = []
    /// The numbers of every chunk since `removeAll`, segmentation and bbox.
    private(set) var count = 0
    private var box: (Double, Double, Double, Double) = (0, 0, 0, 0)
    private var fill = 0
    /// `boxText`'s length before the entry being read.
    private var boxTextMark = 0
    /// A chunk came with its text (the parse keeps it).
    private var keptText = false

    /// Forgets the last annotation (keeping the storage).
    mutating func removeAll() {
        coordinates.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        boxes.removeAll(keepingCapacity: true)
        coordinateText.removeAll(keepingCapacity: true)
        boxText.removeAll(keepingCapacity: true)
        count = 0
        fill = 0
        boxTextMark = 0
        keptText = false
    }

    /// Counts the chunk's numbers; returns the new total.
    mutating func counting(_ chunk: CoordinateChunk) -> Int {
        count += chunk.count
        return count
    }

    /// Keeps the numbers of a chunk (counted already).
    mutating func add(_ chunk: CoordinateChunk) {
        switch chunk.kind {
        case .segmentation:
            chunk.append(to: &coordinates)
            if chunk.withNumberText({ Self.append($0, to: &coordinateText) }) != nil { keptText = true }
            if chunk.endsPolygon { ends.append(coordinates.count) }
        case .bbox:
            if chunk.withNumberText({ Self.append($0, to: &boxText) }) != nil { keptText = true }
            chunk.forEach { value in
                switch fill {
                case 0: box.0 = value
                case 1: box.1 = value
                case 2: box.2 = value
                case 3: box.3 = value
                default: break
                }
                fill += 1
            }
            if chunk.endsPolygon {
                if fill == 4 { boxes.append(BoundingBox(x1: box.0, y1: box.1, x2: box.2, y2: box.3)) }
                if fill != 4 { boxText.removeSubrange(boxTextMark...) }
                boxTextMark = boxText.count
                fill = 0
            }
        }
    }

    /// Appends a chunk's text to a comma-separated list.
    private static func append(_ text: Span<UInt8>, to list: inout [UInt8]) {
        guard !text.isEmpty else { return }
        if !list.isEmpty { list.append(UInt8(ascii: ",")) }
        text.withUnsafeBufferPointer { list.append(contentsOf: $0) }
    }

    /// The text of `boxes`, when the parse kept it.
    var keptBoxText: [UInt8]? { keptText ? boxText : nil }

    /// The annotation's numbers as written, in new arrays of their exact size, when the parse
    /// kept them.
    var text: CoordinateText? {
        guard keptText else { return nil }
        return CoordinateText(bbox: boxText.withUnsafeBufferPointer { Array($0) },
                              segmentation: coordinateText.withUnsafeBufferPointer { Array($0) })
    }
}
