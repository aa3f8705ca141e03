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
    /// One `{regression_id, value}` record.item.
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

/// One frame per open array or object, innermost last.
struct FrameStack {
    private var stack: [Frame] = []
    /// Kind of the innermost frame (`nil` before the document starts and after it ends).
    private(set) var topKind: FrameKind?

    init() { stack.reserveCapacity(16) }

    var count: Int { stack.count }
    var isEmpty: Bool { stack.isEmpty }
    var last: Frame? { stack.last }
    /// The frames, outermost first.
    var all: [Frame] { stack }

    /// The frame at `depth` (0: the outermost). Its kind is not changed in place.
    subscript(depth: Int) -> Frame {
        get { stack[depth] }
        _modify { yield &stack[depth] }
    }

    mutating func push(_ frame: Frame) {
        stack.append(frame)
        topKind = frame.kind
    }

    mutating func pop() {
        stack.removeLast()
        topKind = stack.last?.kind
    }

    /// A key read in the innermost frame (a record's or a regression item's object): the field it
    /// starts, and the key itself when the format does not name it.
    @inline(__always)
    mutating func name(_ field: Field, key: String?) {
        stack[stack.count - 1].field = field
        stack[stack.count - 1].key = key
    }

    /// Index of the record being read in its section.
    var recordIndex: Int {
        var depth = stack.count - 1
        while depth >= 0 {
            if stack[depth].kind == .section { return stack[depth].count }
            depth -= 1
        }
        return 0
    }
}

extension DocumentEngine {
    mutating func push(_ frame: Frame) throws(EngineStop) {
        if frames.count >= options.limits.maxDepth {
            throw limitFailure("nesting deeper than \(options.limits.maxDepth) (limit maxDepth)", at: containerStart())
        }
        frames.push(frame)
    }

    mutating func pop() {
        frames.pop()
    }

    /// A value has been read in the innermost frame: move to the next element.
    mutating func valueDone() {
        guard let kind = frames.topKind else {
            outline.documentEnded = true
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
    mutating func skipContainer() throws(EngineStop) {
        try push(Frame(kind: .skip, count: 1))
    }

    /// A container opened inside a skipped value counts towards `maxDepth` too (yajl keeps a
    /// byte per level: without this, a run of `[` inside a bad value grows without bound).
    mutating func checkSkipDepth() throws(EngineStop) {
        let depth = frames.count - 1 + frames[frames.count - 1].count
        guard depth > options.limits.maxDepth else { return }
        throw limitFailure("nesting deeper than \(options.limits.maxDepth) (limit maxDepth)", at: containerStart())
    }

    mutating func endSkip() {
        frames[frames.count - 1].count -= 1
        if frames[frames.count - 1].count == 0 {
            pop()
            valueDone()
        }
    }

    /// Index of the record being read in its section.
    func recordIndex() -> Int { frames.recordIndex }

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
                    appendPathKey(frame.section == .records && outline.recordsForm == .recordsFile ? "records_file"
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
                text += "[\(coordinates.index)]"
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
