/// JSON arrays and objects as text, byte for byte what yajl's generator writes for them, at any
/// depth: yajl's generator stops at 128 levels (`YAJL_MAX_DEPTH`) while the reader accepts up to
/// `DocumentParsing.Limits.maxDepth`, so `JSONWriter` writes every container value of an extra field with
/// this and hands the text to the generator as one atom. Iterative (no recursion per level).
struct JSONValueText {
    /// The text of the last `render`; reused from call to call.
    private(set) var bytes: [UInt8] = []
    /// The indentation of one level, or `nil` for compact output.
    let indent: [UInt8]?

    private enum Frame {
        case array([JSONValue], Int)
        case object([JSONMember], Int)
    }

    private var stack: [Frame] = []

    init(indent: [UInt8]?) {
        self.indent = indent
    }

    /// Renders `value` as yajl would when its generator is `depth` levels deep (the number of
    /// containers open around the value), without the separator and indentation before it.
    mutating func render(_ value: JSONValue, depth: Int) {
        if bytes.capacity > 1 << 20 { bytes = [] } else { bytes.removeAll(keepingCapacity: true) }
        stack.removeAll(keepingCapacity: stack.capacity <= 1024)
        open(value)
        while !stack.isEmpty {
            let level = depth + stack.count
            switch stack[stack.count - 1] {
            case .array(let items, let index):
                if index < items.count {
                    separator(first: index == 0, level: level)
                    stack[stack.count - 1] = .array(items, index + 1)
                    open(items[index])
                    continue
                }
            case .object(let members, let index):
                if index < members.count {
                    separator(first: index == 0, level: level)
                    string(members[index].key)
                    bytes.append(UInt8(ascii: ":"))
                    if indent != nil { bytes.append(UInt8(ascii: " ")) }
                    stack[stack.count - 1] = .object(members, index + 1)
                    open(members[index].value)
                    continue
                }
            }
            // The container at the top is done: yajl closes it on a line of its own.
            let closing: UInt8
            if case .array = stack.removeLast() { closing = UInt8(ascii: "]") } else { closing = UInt8(ascii: "}") }
            if indent != nil {
                bytes.append(0x0A)
                indentation(level - 1)
            }
            bytes.append(closing)
        }
    }

    /// A scalar is written whole; a container is opened and pushed.
    private mutating func open(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): bytes.append(contentsOf: number.literal.utf8)
        case .string(let text): string(text)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            if indent != nil { bytes.append(0x0A) }
            stack.append(.array(items, 0))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            if indent != nil { bytes.append(0x0A) }
            stack.append(.object(members, 0))
        }
    }

    /// yajl's `INSERT_SEP` and `INSERT_WHITESPACE` before an element or a key.
    private mutating func separator(first: Bool, level: Int) {
        if !first {
            bytes.append(UInt8(ascii: ","))
            if indent != nil { bytes.append(0x0A) }
        }
        indentation(level)
    }

    private mutating func indentation(_ level: Int) {
        guard let indent, level > 0 else { return }
        for _ in 0..<level { bytes.append(contentsOf: indent) }
    }

    /// A string escaped as yajl's `yajl_string_encode` does (solidus not escaped; control
    /// characters without a short form as `\u00XX`, upper-case hex; other bytes as they are).
    private mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              upperHexDigits[Int(byte >> 4)], upperHexDigits[Int(byte & 0x0F)]])
                }
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

private let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
