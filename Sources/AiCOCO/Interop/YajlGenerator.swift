// The one place where yajl's generator (yajl_gen) is touched. Everything outside speaks to
// `YajlGenerator` with typed Swift; the bytes yajl produces are drained to a sink after each
// record, so the generator's buffer never holds more than one record.
import CYajl

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON generator was used out of order (e.g. a value where a key is expected).
public struct JSONWriterMisuse: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { "JSON writer misuse: \(message)" }
}

/// Two spaces, allocated once and never freed: yajl keeps the pointer.
nonisolated(unsafe) private let indentTwoSpaces: UnsafeMutablePointer<CChar> = strdup("  ")!

/// A yajl generator handle, drained into a sink.
final class YajlGenerator {
    private let handle: yajl_gen
    /// Scratch buffer for number text (no allocation per number).
    private var scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
    private var scratchCapacity = 4096
    let pretty: Bool
    /// Containers open now (yajl's own count, which it does not expose).
    private(set) var depth = 0

    init(pretty: Bool) {
        handle = yajl_gen_alloc(nil)!
        self.pretty = pretty
        if pretty {
            _ = aicoco_yajl_gen_config_flag(handle, yajl_gen_beautify, 1)
            _ = aicoco_yajl_gen_config_string(handle, yajl_gen_indent_string, UnsafePointer(indentTwoSpaces))
        }
    }

    deinit {
        yajl_gen_free(handle)
        scratch.deallocate()
    }

    @inline(__always)
    private func check(_ status: yajl_gen_status, _ what: String) throws {
        guard status == yajl_gen_status_ok else {
            let reason: String
            switch status {
            case yajl_gen_keys_must_be_strings: reason = "a key was expected"
            case yajl_max_depth_exceeded: reason = "nesting too deep"
            case yajl_gen_in_error_state: reason = "the generator is in an error state"
            case yajl_gen_generation_complete: reason = "the top-level value is already complete"
            case yajl_gen_invalid_number: reason = "not a finite number"
            case yajl_gen_invalid_string: reason = "invalid UTF-8"
            default: reason = "status \(status.rawValue)"
            }
            throw JSONWriterMisuse(message: "\(what): \(reason)")
        }
    }

    func mapOpen() throws { try check(yajl_gen_map_open(handle), "begin object"); depth += 1 }
    func mapClose() throws { try check(yajl_gen_map_close(handle), "end object"); depth -= 1 }
    func arrayOpen() throws { try check(yajl_gen_array_open(handle), "begin array"); depth += 1 }
    func arrayClose() throws { try check(yajl_gen_array_close(handle), "end array"); depth -= 1 }
    func null() throws { try check(yajl_gen_null(handle), "null") }
    func bool(_ value: Bool) throws { try check(yajl_gen_bool(handle, value ? 1 : 0), "bool") }

    func string(_ text: String) throws {
        var text = text
        try text.withUTF8 { bytes in
            try check(yajl_gen_string(handle, bytes.baseAddress ?? emptyBytes, bytes.count), "string")
        }
    }

    func string(bytes: UnsafeBufferPointer<UInt8>) throws {
        try check(yajl_gen_string(handle, bytes.baseAddress ?? emptyBytes, bytes.count), "string")
    }

    /// A number literal, written as is (the caller guarantees it is valid JSON number text).
    func numberLiteral(_ literal: String) throws {
        var literal = literal
        try literal.withUTF8 { bytes in
            try bytes.withMemoryRebound(to: CChar.self) { chars in
                try check(yajl_gen_number(handle, chars.baseAddress, chars.count), "number")
            }
        }
    }

    /// A `Double` as JSON: integral values as integers (`130`), others shortest round-trip.
    func number(_ value: Double) throws {
        try withUnsafePointer(to: value) { try numberList(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// The numbers of a coordinate list, `x1,y1,x2,...`, handed to yajl as ONE atom inside the
    /// array the caller opened: yajl copies atoms verbatim, so the output is the same JSON as one
    /// call per number (in pretty mode the list stays on one line), at a fraction of the cost.
    func numberList(_ values: UnsafeBufferPointer<Double>) throws {
        guard !values.isEmpty else { return }
        let needed = values.count * 26
        if needed > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = max(needed, scratchCapacity * 2)
            scratch = .allocate(capacity: scratchCapacity)
        }
        var length = 0
        for value in values {
            guard value.isFinite else { throw JSONWriterMisuse(message: "number: \(value) is not finite") }
            if length > 0 {
                scratch[length] = UInt8(ascii: ",")
                length += 1
            }
            length += writeJSONNumber(value, to: scratch + length)
        }
        try scratch.withMemoryRebound(to: CChar.self, capacity: length) { chars in
            try check(yajl_gen_number(handle, chars, length), "number")
        }
    }

    /// A whole value already rendered as JSON text (a `JSONValueText`), written as is where a
    /// value is expected: yajl copies atoms verbatim, separator and indentation before it included.
    func rendered(_ text: [UInt8]) throws {
        guard !text.isEmpty else { throw JSONWriterMisuse(message: "an empty value") }
        try text.withUnsafeBufferPointer { bytes in
            try bytes.withMemoryRebound(to: CChar.self) { chars in
                try check(yajl_gen_number(handle, chars.baseAddress, chars.count), "value")
            }
        }
    }

    func integer(_ value: Int) throws {
        try check(yajl_gen_integer(handle, Int64(value)), "integer")
    }

    /// Bytes generated and not yet drained.
    var pendingBytes: Int {
        var buffer: UnsafePointer<UInt8>?
        var length = 0
        yajl_gen_get_buf(handle, &buffer, &length)
        return length
    }

    /// Hands what was generated to `sink` and empties yajl's buffer.
    func drain(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer: UnsafePointer<UInt8>?
        var length = 0
        yajl_gen_get_buf(handle, &buffer, &length)
        guard length > 0, let buffer else { return }
        defer { yajl_gen_clear(handle) }
        try sink(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    /// Lets the generator start a new top-level value (JSON lines).
    func reset() {
        yajl_gen_clear(handle)
        yajl_gen_reset(handle, nil)
        depth = 0
    }
}

nonisolated(unsafe) private let emptyBytes = UnsafePointer<UInt8>(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))
