// The coordinates of polygons and boxes: frames opened and closed, numbers stored and handed
// to the delegate in chunks (from yajl's callbacks or the scanner), and the checks on each entry.

extension ParserState {
    /// A polygon (or box) opens at `start`.
    mutating func openCoordinateEntry(start: SourceLocation) -> Bool {
        coordinateIndex = 0
        chunkStartIndex = 0
        coordinateFill = 0
        polygonIndex = frames[frames.count - 1].count
        return push(Frame(kind: .coordEntry, start: start))
    }

    /// Stores one number of the polygon, as `onNumber` does; false when the parse must stop.
    @inline(__always)
    mutating func storeCoordinate(_ value: Double) -> Bool {
        let fill = coordinateFill
        coordinates[fill] = value
        coordinateFill = fill + 1
        coordinateIndex += 1
        if fill + 1 == coordinateCapacity { return deliverCoordinates(endsPolygon: false) }
        return true
    }

    mutating func deliverCoordinates(endsPolygon: Bool) -> Bool {
        let fill = coordinateFill
        let start = chunkStartIndex
        chunkStartIndex = coordinateIndex
        coordinateFill = 0
        // Annotations only: the record frame is two below the entry's.
        let depth = frames.count
        guard depth >= 3, frames[depth - 3].section == .annotations else { return true }
        let chunk = CoordinateChunk(
            kind: coordinateKind, annotationIndex: Self.recordIndex(in: frames), polygonIndex: polygonIndex,
            offset: start, values: UnsafeBufferPointer(start: coordinates, count: fill), endsPolygon: endsPolygon)
        do {
            try delegate.engineCoordinates(chunk)
        } catch {
            return delegateFailed(error)
        }
        return true
    }

    mutating func endCoordinateEntry() -> Bool {
        let depth = frames.count
        let start = frames[depth - 1].start
        let count = coordinateIndex
        guard deliverCoordinates(endsPolygon: true) else { return false }
        pop()
        if coordinateKind == .bbox {
            record.bboxCount? += 1
            if count != 4 {
                guard problem(.schema, "a bbox entry has exactly 4 numbers [x1, y1, x2, y2], found \(count)",
                              at: start, path: path(throughFrame: depth, includeCurrent: false)) else { return false }
            }
        } else {
            record.polygonCount? += 1
            if options.validate, count % 2 != 0 {
                guard problem(.semantic, "a polygon is a list of x,y pairs, found an odd count of \(count) numbers",
                              at: start, path: path(throughFrame: depth, includeCurrent: false)) else { return false }
            }
        }
        valueDone()
        return true
    }

    mutating func wrongCoordinate(_ found: String, at location: SourceLocation, container: Bool) -> Bool {
        let path = currentPath()
        coordinateIndex += 1
        guard problem(.schema, "expected a number, found \(found)", at: location, path: path) else { return false }
        return container ? skipContainer() : true
    }

    mutating func numberOutOfRange(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let location = numberStart(length: text.count)
        let path = currentPath()
        coordinateIndex += 1
        return problem(.semantic, "number \(quotedToken(text)) does not fit a 64-bit float", at: location, path: path)
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
    /// The numbers of every chunk since `removeAll`, segmentation and bbox.
    private(set) var count = 0
    private var box: (Double, Double, Double, Double) = (0, 0, 0, 0)
    private var fill = 0

    /// Forgets the last annotation (keeping the storage).
    mutating func removeAll() {
        coordinates.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        boxes.removeAll(keepingCapacity: true)
        count = 0
        fill = 0
    }

    /// Counts the chunk's numbers; returns the new total.
    mutating func counting(_ chunk: CoordinateChunk) -> Int {
        count += chunk.values.count
        return count
    }

    /// Keeps the numbers of a chunk (counted already).
    mutating func add(_ chunk: CoordinateChunk) {
        switch chunk.kind {
        case .segmentation:
            coordinates.append(contentsOf: chunk.values)
            if chunk.endsPolygon { ends.append(coordinates.count) }
        case .bbox:
            for value in chunk.values {
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
                fill = 0
            }
        }
    }
}
