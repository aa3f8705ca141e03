// A small tree-less yajl parse of one JSON line `{"section": "...", "record": {...}}`: it checks
// the line is JSON and finds the section name and the byte range of the record, without
// building any value. The record's text itself is checked later by the AiCOCO parser.
import CYajl

/// What one envelope line holds.
struct EnvelopeLine {
    var section: String
    /// Byte range of the record's text within the line.
    var recordRange: Range<Int>
}

/// Why a line is not an envelope: message and byte offset in the line.
struct EnvelopeProblem: Error {
    var message: String
    var offset: Int
    var syntax: Bool
}

final class YajlLineScanner {
    fileprivate var handle: yajl_handle?
    fileprivate var depth = 0
    fileprivate var key: String?
    fileprivate var section: String?
    fileprivate var recordStart: Int?
    fileprivate var recordEnd: Int?
    fileprivate var problem: EnvelopeProblem?

    fileprivate var consumed: Int { Int(yajl_get_bytes_consumed(handle)) }

    /// Scans one line (without its newline).
    func scan(_ line: UnsafeBufferPointer<UInt8>) throws -> EnvelopeLine {
        depth = 0
        key = nil
        section = nil
        recordStart = nil
        recordEnd = nil
        problem = nil
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let handle = yajl_alloc(lineCallbackTable, nil, context) else {
            throw EnvelopeProblem(message: "out of memory", offset: 0, syntax: true)
        }
        self.handle = handle
        defer {
            yajl_free(handle)
            self.handle = nil
        }
        var status = yajl_status_ok
        if let base = line.baseAddress, line.count > 0 { status = yajl_parse(handle, base, line.count) }
        var atEnd = false
        if status == yajl_status_ok {
            status = yajl_complete_parse(handle)
            atEnd = true
        }
        if let problem { throw problem }
        if status != yajl_status_ok {
            var message = "invalid JSON"
            if let text = yajl_get_error(handle, 0, line.baseAddress, line.count) {
                message = String(cString: text)
                yajl_free_error(handle, text)
            }
            while let last = message.last, last == "\n" || last == " " || last == "." { message.removeLast() }
            let offset = atEnd ? line.count : min(consumed, line.count)
            if let found = nonFiniteToken(in: line, near: offset) {
                throw EnvelopeProblem(message: nonFiniteMessage(found.token), offset: found.start, syntax: true)
            }
            throw EnvelopeProblem(message: message, offset: offset, syntax: true)
        }
        guard let section else {
            throw EnvelopeProblem(message: "the line has no \"section\" (expected {\"section\":NAME,\"record\":{...}})",
                                  offset: 0, syntax: false)
        }
        guard let recordStart, let recordEnd else {
            throw EnvelopeProblem(message: "the line has no \"record\" object", offset: 0, syntax: false)
        }
        return EnvelopeLine(section: section, recordRange: recordStart..<recordEnd)
    }

    fileprivate func fail(_ message: String, at offset: Int) -> Int32 {
        problem = EnvelopeProblem(message: message, offset: offset, syntax: false)
        return 0
    }

    /// A scalar at the top of the line or as a member of the envelope.
    fileprivate func scalar(_ text: String?, length: Int) -> Int32 {
        if depth == 0 { return fail("a line must be a JSON object", at: 0) }
        guard depth == 1 else { return 1 }
        switch key {
        case "section":
            guard let text else { return fail("\"section\" must be a string", at: max(0, consumed - length)) }
            section = text
        case "record":
            return fail("\"record\" must be an object", at: max(0, consumed - length))
        default: break
        }
        return 1
    }

    fileprivate func open(array: Bool) -> Int32 {
        if depth == 0 && array { return fail("a line must be a JSON object", at: 0) }
        if depth == 1 {
            guard key == "record", !array else {
                return fail(key == "section" ? "\"section\" must be a string" : "\"record\" must be an object",
                            at: max(0, consumed - 1))
            }
            recordStart = consumed - 1
        }
        depth += 1
        return 1
    }

    fileprivate func close() -> Int32 {
        depth -= 1
        if depth == 1 && key == "record" { recordEnd = consumed }
        return 1
    }

    fileprivate func onKey(_ text: String) -> Int32 {
        guard depth == 1 else { return 1 }
        guard text == "section" || text == "record" else {
            return fail("unknown key \(jsonQuoted(text)) (expected \"section\" and \"record\")", at: max(0, consumed - 1))
        }
        if (text == "section" && section != nil) || (text == "record" && recordStart != nil) {
            return fail("duplicate key \(jsonQuoted(text))", at: max(0, consumed - 1))
        }
        key = text
        return 1
    }
}

@inline(__always)
private func withScanner(_ context: UnsafeMutableRawPointer?, _ body: (YajlLineScanner) -> Int32) -> Int32 {
    Unmanaged<YajlLineScanner>.fromOpaque(context!)._withUnsafeGuaranteedRef { body($0) }
}

nonisolated(unsafe) private let lineCallbackTable: UnsafeMutablePointer<yajl_callbacks> = {
    let table = UnsafeMutablePointer<yajl_callbacks>.allocate(capacity: 1)
    table.initialize(to: yajl_callbacks(
        yajl_null: { context in withScanner(context) { $0.scalar(nil, length: 4) } },
        yajl_boolean: { context, value in withScanner(context) { $0.scalar(nil, length: value != 0 ? 4 : 5) } },
        yajl_integer: nil,
        yajl_double: nil,
        yajl_number: { context, _, length in withScanner(context) { $0.scalar(nil, length: length) } },
        yajl_string: { context, text, length in
            withScanner(context) { scanner in
                let string = String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)
                return scanner.scalar(string, length: length + 2)
            }
        },
        yajl_start_map: { context in withScanner(context) { $0.open(array: false) } },
        yajl_map_key: { context, text, length in
            withScanner(context) { scanner in
                scanner.onKey(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
            }
        },
        yajl_end_map: { context in withScanner(context) { $0.close() } },
        yajl_start_array: { context in withScanner(context) { $0.open(array: true) } },
        yajl_end_array: { context in withScanner(context) { $0.close() } }
    ))
    return table
}()
