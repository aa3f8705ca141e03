/// A small tree-less parse of one JSON line `{"section": "...", "record": {...}}`: it checks
/// the line is JSON and finds the section name and the byte range of the record, without
/// building any value. The record's text itself is checked later by the AiCOCO parser.

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

/// Scans envelope lines, one at a time, with one yajl handle brought back to its start for each.
final class EnvelopeLineScanner {
    private var lexer: YajlLexer<EnvelopeTokens>!
    private let tokens: UnsafeMutablePointer<EnvelopeTokens>
    private var started = false

    init() {
        tokens = .allocate(capacity: 1)
        tokens.initialize(to: EnvelopeTokens())
        lexer = YajlLexer()
        tokens.pointee.lexer = lexer
    }

    deinit {
        lexer = nil
        tokens.deinitialize(count: 1)
        tokens.deallocate()
    }

    /// Scans one line (without its newline).
    func scan(_ line: UnsafeBufferPointer<UInt8>) throws -> EnvelopeLine {
        if started { lexer.restart(prefix: UnsafeBufferPointer(start: nil, count: 0)) }
        started = true
        tokens.pointee.reset()
        var outcome = lexer.parse(line, with: &tokens.pointee)
        var atEnd = false
        if case .ok = outcome {
            outcome = lexer.complete(with: &tokens.pointee)
            atEnd = true
        }
        let scanned = tokens.pointee
        switch outcome {
        case .ok: break
        case .stopped(let problem): throw problem
        case .syntaxError(let message, let consumed):
            let offset = atEnd ? line.count : min(consumed, line.count)
            if let found = nonFiniteToken(in: line, near: offset) {
                throw EnvelopeProblem(message: nonFiniteMessage(found.token), offset: found.start, syntax: true)
            }
            throw EnvelopeProblem(message: message, offset: offset, syntax: true)
        }
        guard let section = scanned.section else {
            throw EnvelopeProblem(message: "the line has no \"section\" (expected {\"section\":NAME,\"record\":{...}})",
                                  offset: 0, syntax: false)
        }
        guard let recordStart = scanned.recordStart, let recordEnd = scanned.recordEnd else {
            throw EnvelopeProblem(message: "the line has no \"record\" object", offset: 0, syntax: false)
        }
        return EnvelopeLine(section: section, recordRange: recordStart..<recordEnd)
    }
}

/// yajl's callbacks for an envelope line: where its section and record are. A callback stops
/// the scan with the problem that makes the line no envelope.
private struct EnvelopeTokens: YajlHandler {
    typealias Stop = EnvelopeProblem
    typealias Verdict = YajlVerdict<EnvelopeProblem>
    unowned(unsafe) var lexer: YajlLexer<EnvelopeTokens>?
    var depth = 0
    var key: String?
    var section: String?
    var recordStart: Int?
    var recordEnd: Int?

    mutating func reset() {
        depth = 0
        key = nil
        section = nil
        recordStart = nil
        recordEnd = nil
    }

    private var consumed: Int { lexer!.bytesConsumed }

    mutating func noteToken() {}
    mutating func onNull() -> Verdict { scalar(nil, length: 4) }
    mutating func onBool(_ value: Bool) -> Verdict { scalar(nil, length: value ? 4 : 5) }
    mutating func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Verdict { scalar(nil, length: text.count) }
    mutating func onString(_ text: UnsafeBufferPointer<UInt8>) -> Verdict {
        // Only the section's name is kept as a String.
        scalar(depth == 1 && key == "section" ? String(decoding: text, as: UTF8.self) : "", length: text.count + 2)
    }
    mutating func onStartObject() -> Verdict { open(array: false) }
    mutating func onEndObject() -> Verdict { close() }
    mutating func onStartArray() -> Verdict { open(array: true) }
    mutating func onEndArray() -> Verdict { close() }

    mutating func onKey(_ text: UnsafeBufferPointer<UInt8>) -> Verdict {
        guard depth == 1 else { return .proceed }
        let name = String(decoding: text, as: UTF8.self)
        guard name == "section" || name == "record" else {
            return fail("unknown key \(jsonQuoted(name)) (expected \"section\" and \"record\")", at: max(0, consumed - 1))
        }
        if (name == "section" && section != nil) || (name == "record" && recordStart != nil) {
            return fail("duplicate key \(jsonQuoted(name))", at: max(0, consumed - 1))
        }
        key = name
        return .proceed
    }

    private func fail(_ message: String, at offset: Int) -> Verdict {
        .stop(EnvelopeProblem(message: message, offset: offset, syntax: false))
    }

    /// A scalar at the top of the line or as a member of the envelope.
    private mutating func scalar(_ text: String?, length: Int) -> Verdict {
        if depth == 0 { return fail("a line must be a JSON object", at: 0) }
        guard depth == 1 else { return .proceed }
        switch key {
        case "section":
            guard let text else { return fail("\"section\" must be a string", at: max(0, consumed - length)) }
            section = text
        case "record":
            return fail("\"record\" must be an object", at: max(0, consumed - length))
        default: break
        }
        return .proceed
    }

    private mutating func open(array: Bool) -> Verdict {
        if depth == 0 && array { return fail("a line must be a JSON object", at: 0) }
        if depth == 1 {
            guard key == "record", !array else {
                return fail(key == "section" ? "\"section\" must be a string" : "\"record\" must be an object",
                            at: max(0, consumed - 1))
            }
            recordStart = consumed - 1
        }
        depth += 1
        return .proceed
    }

    private mutating func close() -> Verdict {
        depth -= 1
        if depth == 1 && key == "record" { recordEnd = consumed }
        return .proceed
    }
}
