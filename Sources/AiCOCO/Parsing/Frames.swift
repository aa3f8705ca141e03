/// The frame stack: one frame per open array or object, what it is in the format, and the
/// JSON path of the value being read.
enum FrameKind: UInt8 {
    /// The top-level object.
    case document
    /// The array of one section.
    case section
    /// A record's object (also `meta`).
    case record
    /// A `category_ids` array.
    case idList
    /// A `regressions` array of items.
    case regressionList
    /// One `{regression_id, value}` item.
    case regressionItem
    /// The outer array of `bbox` or `segmentation`.
    case coordList
    /// One polygon or box: an array of numbers.
    case coordEntry
    /// An array or object inside a field the format does not name.
    case extra
    /// A value that was reported as wrong and is being passed over.
    case skip
}

struct Frame {
    var kind: FrameKind
    var section: Section = .images
    /// Object frames: the field of the current key. List frames: the field they belong to.
    var field: Field = .none
    /// Arrays: index of the current element. Skip frames: nesting depth.
    var count = 0
    /// Object frames: the current key when the format does not name it.
    var key: String?
    var start = SourceLocation(offset: 0, line: 1, column: 1)
}

extension ParserState {
    mutating func push(_ frame: Frame) -> Bool {
        if frames.count >= options.limits.maxDepth {
            return problem(.limit, "nesting deeper than \(options.limits.maxDepth) (limit maxDepth)",
                           at: containerStart(), path: currentPath())
        }
        frames.append(frame)
        topKind = frame.kind
        return true
    }

    mutating func pop() {
        frames.removeLast()
        topKind = frames.last?.kind
    }

    /// A value has been read in the innermost frame: move to the next element.
    mutating func valueDone() {
        guard let kind = topKind else {
            documentEnded = true
            return
        }
        switch kind {
        case .section, .idList, .regressionList, .coordList:
            frames[frames.count - 1].count += 1
        case .extra where frames[frames.count - 1].field != .extra:
            frames[frames.count - 1].count += 1
        case .document, .record, .regressionItem, .extra:
            frames[frames.count - 1].key = nil
        case .coordEntry, .skip:
            break
        }
    }

    /// Passes over the container that was just opened.
    mutating func skipContainer() -> Bool {
        push(Frame(kind: .skip, count: 1))
    }

    /// A container opened inside a skipped value counts towards `maxDepth` too (yajl keeps a
    /// byte per level: without this, a run of `[` inside a bad value grows without bound).
    mutating func skipDepthAllowed() -> Bool {
        let depth = frames.count - 1 + frames[frames.count - 1].count
        guard depth > options.limits.maxDepth else { return true }
        return problem(.limit, "nesting deeper than \(options.limits.maxDepth) (limit maxDepth)",
                       at: containerStart(), path: currentPath())
    }

    mutating func endSkip() -> Bool {
        frames[frames.count - 1].count -= 1
        if frames[frames.count - 1].count == 0 {
            pop()
            valueDone()
        }
        return true
    }

    /// Index of the record being read in its section.
    func recordIndex() -> Int { Self.recordIndex(in: frames) }

    /// The same from the frames alone (a method of the whole state may copy it on the hot path).
    static func recordIndex(in frames: [Frame]) -> Int {
        var depth = frames.count - 1
        while depth >= 0 {
            if frames[depth].kind == .section { return frames[depth].count }
            depth -= 1
        }
        return 0
    }

    /// The JSON path of the value being read.
    func currentPath() -> String { path(throughFrame: frames.count, includeCurrent: true) }

    /// The path of the container opened by frame `depth` (or of the value in it when `includeCurrent`).
    func path(throughFrame depth: Int, includeCurrent: Bool) -> String {
        var text = "$"
        let last = includeCurrent ? depth : depth - 1
        var index = 0
        while index < min(last, frames.count) {
            let frame = frames[index]
            switch frame.kind {
            case .document:
                if let key = frame.key {
                    appendPathKey(key, to: &text)
                } else if frame.field == .none {
                    // between keys
                } else {
                    appendPathKey(frame.section == .records && recordsForm == .recordsFile ? "records_file"
                                  : frame.section.rawValue, to: &text)
                }
            case .record, .regressionItem:
                if let key = frame.key {
                    appendPathKey(key, to: &text)
                } else if frame.field != .none {
                    appendPathKey(frame.field.jsonKey, to: &text)
                }
            case .section, .idList, .regressionList, .coordList:
                text += "[\(frame.count)]"
            case .coordEntry:
                text += "[\(coordinateIndex)]"
            case .extra:
                if frame.field == .extra {
                    if let key = frame.key { appendPathKey(key, to: &text) }
                } else {
                    text += "[\(frame.count)]"
                }
            case .skip:
                return text
            }
            index += 1
        }
        return text
    }
}
