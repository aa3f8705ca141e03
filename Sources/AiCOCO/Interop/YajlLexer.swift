// The one place where yajl's parser is touched. Everything here is C interop; everything
// outside speaks to `YajlLexer` and the `ParserState` callbacks with typed Swift.
import CYajl

/// What one call into yajl ended with.
enum YajlOutcome {
    case ok
    /// A callback returned "stop": the engine holds the reason.
    case stoppedByEngine
    /// yajl found the text is not JSON: its message, and the offset in the fed chunk
    /// just past what it had consumed.
    case syntaxError(message: String, consumed: Int)
}

/// What yajl's callbacks reach: one method per token, after `noteToken`. Returning false
/// stops the parse.
protocol YajlHandler {
    /// Called before each token's method, while yajl's position is just past the token.
    mutating func noteToken()
    mutating func onNull() -> Bool
    mutating func onBool(_ value: Bool) -> Bool
    /// A number's literal text.
    mutating func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool
    /// A string, unescaped.
    mutating func onString(_ text: UnsafeBufferPointer<UInt8>) -> Bool
    mutating func onStartObject() -> Bool
    mutating func onKey(_ text: UnsafeBufferPointer<UInt8>) -> Bool
    mutating func onEndObject() -> Bool
    mutating func onStartArray() -> Bool
    mutating func onEndArray() -> Bool
}

/// A yajl parse handle whose callbacks go to a `Handler` in place (behind a pointer).
/// Strict settings: no comments, UTF-8 validated, one value, no trailing garbage (or, with
/// `multipleValues`, a stream of values one after the other: JSON lines).
///
/// C callbacks cannot be formed in a generic context, so yajl calls one fixed table of
/// functions (`yajlCallbacks`), which reach the handler through a base class
/// (`YajlCallbackTarget`, unretained) whose methods this lexer's `HandlerBox` overrides.
final class YajlLexer<Handler: YajlHandler> {
    private var handle: yajl_handle
    /// The callbacks' context: the handler's box, unretained (`box` keeps it alive).
    private let box: HandlerBox
    private var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(box as YajlCallbackTarget).toOpaque() }
    /// This lexer's own callback table (yajl keeps a pointer to it): its entries are switched
    /// off while `restart` replays a prefix, so that the handler does not see those tokens.
    private let table: UnsafeMutablePointer<yajl_callbacks>
    /// yajl's memory comes from here: the blocks of a freed handle serve the next one, so a
    /// restart costs no malloc (yajl_alloc with the default functions costs five).
    private let blocks = YajlBlockCache()
    /// Values may follow one another (`yajl_allow_multiple_values`).
    private let multipleValues: Bool

    /// Binds a new yajl handle to `handler`, which must outlive the lexer (its owner owns both).
    /// With `multipleValues`, the text is a stream of values (JSON lines), not one.
    init(handler: UnsafeMutablePointer<Handler>, multipleValues: Bool = false) {
        self.multipleValues = multipleValues
        box = HandlerBox(handler)
        table = .allocate(capacity: 1)
        table.initialize(to: yajlCallbacks)
        handle = yajl_alloc(table, &blocks.functions, Unmanaged.passUnretained(box as YajlCallbackTarget).toOpaque())!
        if multipleValues { _ = aicoco_yajl_config_flag(handle, yajl_allow_multiple_values, 1) }
    }

    deinit {
        yajl_free(handle)
        table.deinitialize(count: 1)
        table.deallocate()
    }

    /// Replaces the handle with a new one brought to the state that `prefix` leaves it in,
    /// without calling the handler: how the engine hands the lexing back to yajl after it has
    /// read some tokens itself (a handle stopped by a callback cannot go on).
    func restart(prefix: UnsafeBufferPointer<UInt8>) {
        yajl_free(handle)
        table.pointee = yajlSilentCallbacks
        handle = yajl_alloc(table, &blocks.functions, context)!
        if multipleValues { _ = aicoco_yajl_config_flag(handle, yajl_allow_multiple_values, 1) }
        _ = yajl_parse(handle, prefix.baseAddress, prefix.count)
        table.pointee = yajlCallbacks
    }

    /// Offset, within the chunk being fed, just past the token yajl handed out last.
    /// Valid inside a callback and after `parse`.
    var bytesConsumed: Int { Int(yajl_get_bytes_consumed(handle)) }

    func parse(_ chunk: UnsafeBufferPointer<UInt8>) -> YajlOutcome {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return .ok }
        return outcome(of: yajl_parse(handle, base, chunk.count), chunk: chunk)
    }

    /// Tells yajl the input has ended (a number or value cut short is only seen here).
    func complete() -> YajlOutcome {
        outcome(of: yajl_complete_parse(handle), chunk: UnsafeBufferPointer(start: nil, count: 0))
    }

    private func outcome(of status: yajl_status, chunk: UnsafeBufferPointer<UInt8>) -> YajlOutcome {
        switch status {
        case yajl_status_ok:
            return .ok
        case yajl_status_client_canceled:
            return .stoppedByEngine
        default:
            var message = "invalid JSON"
            if let text = yajl_get_error(handle, 0, chunk.baseAddress, chunk.count) {
                message = String(cString: text)
                yajl_free_error(handle, text)
            }
            return .syntaxError(message: tidyYajlMessage(message), consumed: bytesConsumed)
        }
    }

    /// The handler behind the one non-generic callback table.
    private final class HandlerBox: YajlCallbackTarget {
        let handler: UnsafeMutablePointer<Handler>
        init(_ handler: UnsafeMutablePointer<Handler>) { self.handler = handler }
        override func onNull() -> Bool { noted.pointee.onNull() }
        override func onBool(_ value: Bool) -> Bool { noted.pointee.onBool(value) }
        override func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool { noted.pointee.onNumber(text) }
        override func onString(_ text: UnsafeBufferPointer<UInt8>) -> Bool { noted.pointee.onString(text) }
        override func onStartObject() -> Bool { noted.pointee.onStartObject() }
        override func onKey(_ text: UnsafeBufferPointer<UInt8>) -> Bool { noted.pointee.onKey(text) }
        override func onEndObject() -> Bool { noted.pointee.onEndObject() }
        override func onStartArray() -> Bool { noted.pointee.onStartArray() }
        override func onEndArray() -> Bool { noted.pointee.onEndArray() }

        /// The handler, once it has noted the token being handed out.
        private var noted: UnsafeMutablePointer<Handler> {
            @inline(__always) get {
                handler.pointee.noteToken()
                return handler
            }
        }
    }
}

/// yajl says e.g. "parse error: after array element, I expect ',' or ']'\n".
private func tidyYajlMessage(_ message: String) -> String {
    var text = Substring(message)
    while let last = text.last, last == "\n" || last == " " || last == "." { text.removeLast() }
    return String(text)
}

/// The non-generic face of a lexer's handler, which the C callbacks call: a class (its methods
/// dispatched through its vtable), reached from yajl's context unretained.
private class YajlCallbackTarget {
    func onNull() -> Bool { true }
    func onBool(_ value: Bool) -> Bool { true }
    func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool { true }
    func onString(_ text: UnsafeBufferPointer<UInt8>) -> Bool { true }
    func onStartObject() -> Bool { true }
    func onKey(_ text: UnsafeBufferPointer<UInt8>) -> Bool { true }
    func onEndObject() -> Bool { true }
    func onStartArray() -> Bool { true }
    func onEndArray() -> Bool { true }
}

/// Calls `body` with the handler behind `context` (no retain: the lexer owns it).
@inline(__always)
private func withTarget(_ context: UnsafeMutableRawPointer?, _ body: (YajlCallbackTarget) -> Bool) -> Int32 {
    Unmanaged<YajlCallbackTarget>.fromOpaque(context!)._withUnsafeGuaranteedRef { body($0) } ? 1 : 0
}

/// Callbacks that accept every token and do nothing (for `restart`).
private let yajlSilentCallbacks = yajl_callbacks(
    yajl_null: { _ in 1 }, yajl_boolean: { _, _ in 1 }, yajl_integer: nil, yajl_double: nil,
    yajl_number: { _, _, _ in 1 }, yajl_string: { _, _, _ in 1 }, yajl_start_map: { _ in 1 },
    yajl_map_key: { _, _, _ in 1 }, yajl_end_map: { _ in 1 }, yajl_start_array: { _ in 1 },
    yajl_end_array: { _ in 1 }
)

private let yajlCallbacks = yajl_callbacks(
    yajl_null: { context in withTarget(context) { $0.onNull() } },
    yajl_boolean: { context, value in withTarget(context) { $0.onBool(value != 0) } },
    yajl_integer: nil,
    yajl_double: nil,
    yajl_number: { context, text, length in
        withTarget(context) { target in
            text!.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                target.onNumber(UnsafeBufferPointer(start: bytes, count: length))
            }
        }
    },
    yajl_string: { context, text, length in
        withTarget(context) { $0.onString(UnsafeBufferPointer(start: text, count: length)) }
    },
    yajl_start_map: { context in withTarget(context) { $0.onStartObject() } },
    yajl_map_key: { context, text, length in
        withTarget(context) { $0.onKey(UnsafeBufferPointer(start: text, count: length)) }
    },
    yajl_end_map: { context in withTarget(context) { $0.onEndObject() } },
    yajl_start_array: { context in withTarget(context) { $0.onStartArray() } },
    yajl_end_array: { context in withTarget(context) { $0.onEndArray() } }
)

/// An allocator for yajl that keeps freed blocks of up to 1 MiB for reuse: one free list per
/// power-of-two size.
final class YajlBlockCache {
    var functions: yajl_alloc_funcs
    /// Heads of the free lists; a free block's first word links to the next.
    private let lists: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    static let classes = 40
    /// Bytes before each block's payload: its size class.
    static let header = 16
    /// Blocks of more than 2^largestKept bytes are not kept for reuse.
    static let largestKept = 20

    init() {
        lists = .allocate(capacity: Self.classes)
        lists.initialize(repeating: nil, count: Self.classes)
        functions = yajl_alloc_funcs(malloc: nil, realloc: nil, free: nil, ctx: nil)
        functions.ctx = UnsafeMutableRawPointer(lists)
        functions.malloc = { context, size in
            YajlBlockCache.allocate(size, freeLists(context))
        }
        functions.realloc = { context, pointer, size in
            guard let pointer else { return YajlBlockCache.allocate(size, freeLists(context)) }
            let sizeClass = pointer.load(fromByteOffset: -YajlBlockCache.header, as: Int.self)
            if size <= 1 << sizeClass { return pointer }
            let moved = YajlBlockCache.allocate(size, freeLists(context))
            moved.copyMemory(from: pointer, byteCount: 1 << sizeClass)
            YajlBlockCache.release(pointer, freeLists(context))
            return moved
        }
        functions.free = { context, pointer in
            guard let pointer else { return }
            YajlBlockCache.release(pointer, freeLists(context))
        }
    }

    deinit {
        for index in 0..<Self.classes {
            var block = lists[index]
            while let payload = block {
                block = payload.load(as: UnsafeMutableRawPointer?.self)
                (payload - Self.header).deallocate()
            }
        }
        lists.deallocate()
    }

    private static func allocate(_ size: Int, _ lists: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> UnsafeMutableRawPointer {
        var sizeClass = 4
        while 1 << sizeClass < size { sizeClass += 1 }
        if let payload = lists[sizeClass] {
            lists[sizeClass] = payload.load(as: UnsafeMutableRawPointer?.self)
            return payload
        }
        let block = UnsafeMutableRawPointer.allocate(byteCount: header + (1 << sizeClass), alignment: 16)
        block.storeBytes(of: sizeClass, as: Int.self)
        return block + header
    }

    private static func release(_ payload: UnsafeMutableRawPointer, _ lists: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        let sizeClass = payload.load(fromByteOffset: -header, as: Int.self)
        // A large block (a long token gathered across pieces) goes back to the system at once:
        // kept, the blocks of each doubling would add up to twice the longest token.
        if sizeClass > largestKept {
            (payload - header).deallocate()
            return
        }
        payload.storeBytes(of: lists[sizeClass], as: UnsafeMutableRawPointer?.self)
        lists[sizeClass] = payload
    }
}

@inline(__always)
private func freeLists(_ context: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<UnsafeMutableRawPointer?> {
    context!.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
}
