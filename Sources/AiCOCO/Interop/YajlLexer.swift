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

/// A yajl parse handle whose callbacks go straight to one `ParserState`'s methods.
/// Strict settings: no comments, UTF-8 validated, one value, no trailing garbage.
final class YajlLexer {
    private var handle: yajl_handle
    private let context: UnsafeMutableRawPointer
    /// This lexer's own callback table (yajl keeps a pointer to it): its entries are switched
    /// off while `restart` replays a prefix, so that the engine does not see those tokens.
    private let table: UnsafeMutablePointer<yajl_callbacks>
    /// yajl's memory comes from here: the blocks of a freed handle serve the next one, so a
    /// restart costs no malloc (yajl_alloc with the default functions costs five).
    private let blocks = YajlBlockCache()

    /// Binds a new yajl handle to `state`, which must outlive the lexer (its engine owns both).
    init(state: UnsafeMutablePointer<ParserState>) {
        context = UnsafeMutableRawPointer(state)
        table = .allocate(capacity: 1)
        table.initialize(to: yajlCallbacks)
        handle = yajl_alloc(table, &blocks.functions, context)!
    }

    deinit {
        yajl_free(handle)
        table.deinitialize(count: 1)
        table.deallocate()
    }

    /// Replaces the handle with a new one brought to the state that `prefix` leaves it in,
    /// without calling the engine: how the engine hands the lexing back to yajl after it has
    /// read a run of numbers itself (a handle stopped by a callback cannot go on).
    func restart(prefix: UnsafeBufferPointer<UInt8>) {
        yajl_free(handle)
        table.pointee = yajlSilentCallbacks
        handle = yajl_alloc(table, &blocks.functions, context)!
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
            return .syntaxError(message: Self.tidy(message), consumed: bytesConsumed)
        }
    }

    /// yajl says e.g. "parse error: after array element, I expect ',' or ']'\n".
    private static func tidy(_ message: String) -> String {
        var text = Substring(message)
        while let last = text.last, last == "\n" || last == " " || last == "." { text.removeLast() }
        return String(text)
    }
}

/// Calls `body` with the parser state behind `context` (no retain: the engine that owns the
/// state owns the lexer too), once the state has noted the token handed out.
@inline(__always)
private func withState(_ context: UnsafeMutableRawPointer?, _ body: (UnsafeMutablePointer<ParserState>) -> Bool) -> Int32 {
    let state = context!.assumingMemoryBound(to: ParserState.self)
    state.pointee.noteToken()
    return body(state) ? 1 : 0
}

/// Callbacks that accept every token and do nothing (for `restart`).
private let yajlSilentCallbacks = yajl_callbacks(
    yajl_null: { _ in 1 }, yajl_boolean: { _, _ in 1 }, yajl_integer: nil, yajl_double: nil,
    yajl_number: { _, _, _ in 1 }, yajl_string: { _, _, _ in 1 }, yajl_start_map: { _ in 1 },
    yajl_map_key: { _, _, _ in 1 }, yajl_end_map: { _ in 1 }, yajl_start_array: { _ in 1 },
    yajl_end_array: { _ in 1 }
)

private let yajlCallbacks = yajl_callbacks(
    yajl_null: { context in withState(context) { $0.pointee.onNull() } },
    yajl_boolean: { context, value in withState(context) { $0.pointee.onBool(value != 0) } },
    yajl_integer: nil,
    yajl_double: nil,
    yajl_number: { context, text, length in
        withState(context) { state in
            text!.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                state.pointee.onNumber(UnsafeBufferPointer(start: bytes, count: length))
            }
        }
    },
    yajl_string: { context, text, length in
        withState(context) { $0.pointee.onString(UnsafeBufferPointer(start: text, count: length)) }
    },
    yajl_start_map: { context in withState(context) { $0.pointee.onStartObject() } },
    yajl_map_key: { context, text, length in
        withState(context) { $0.pointee.onKey(UnsafeBufferPointer(start: text, count: length)) }
    },
    yajl_end_map: { context in withState(context) { $0.pointee.onEndObject() } },
    yajl_start_array: { context in withState(context) { $0.pointee.onStartArray() } },
    yajl_end_array: { context in withState(context) { $0.pointee.onEndArray() } }
)

/// An allocator for yajl that keeps freed blocks for reuse: one free list per power-of-two
/// size. It holds at most what one handle used at its peak.
final class YajlBlockCache {
    var functions: yajl_alloc_funcs
    /// Heads of the free lists; a free block's first word links to the next.
    private let lists: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    static let classes = 40
    /// Bytes before each block's payload: its size class.
    static let header = 16

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
        payload.storeBytes(of: lists[sizeClass], as: UnsafeMutableRawPointer?.self)
        lists[sizeClass] = payload
    }
}

@inline(__always)
private func freeLists(_ context: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<UnsafeMutableRawPointer?> {
    context!.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
}
