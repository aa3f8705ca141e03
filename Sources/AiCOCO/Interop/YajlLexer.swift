// yajl's parse handle, wrapped: C interop only. The handler it calls back speaks typed Swift.
import CYajl

/// What a handler's callback tells yajl: read on, or stop the parse for a reason of the
/// handler's own, which `YajlLexer.parse` hands back.
enum YajlVerdict<Stop> {
    case proceed
    case stop(Stop)
}

/// What one call into yajl ended with.
enum YajlOutcome<Stop> {
    case ok
    /// A callback stopped the parse, for this reason.
    case stopped(Stop)
    /// yajl found the text is not JSON: its message, and the offset in the fed chunk
    /// just past what it had consumed.
    case syntaxError(message: String, consumed: Int)
}

/// What yajl's callbacks reach: one method per token, after `noteToken`. A handler may be a
/// value (the lexer reaches it in place during `parse`) or a class.
protocol YajlHandler: ~Copyable {
    /// Why a callback stops the parse.
    associatedtype Stop
    /// Called before each token's method, while yajl's position is just past the token.
    mutating func noteToken()
    mutating func onNull() -> YajlVerdict<Stop>
    mutating func onBool(_ value: Bool) -> YajlVerdict<Stop>
    /// A number's literal text.
    mutating func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> YajlVerdict<Stop>
    /// A string, unescaped.
    mutating func onString(_ text: UnsafeBufferPointer<UInt8>) -> YajlVerdict<Stop>
    mutating func onStartObject() -> YajlVerdict<Stop>
    mutating func onKey(_ text: UnsafeBufferPointer<UInt8>) -> YajlVerdict<Stop>
    mutating func onEndObject() -> YajlVerdict<Stop>
    mutating func onStartArray() -> YajlVerdict<Stop>
    mutating func onEndArray() -> YajlVerdict<Stop>
}

extension YajlHandler where Self: ~Copyable {
    /// Does nothing (for handlers that do not place tokens).
    mutating func noteToken() {}
}

/// THE yajl parse handle: strict settings (no comments, UTF-8 validated, no trailing garbage),
/// one value, or a stream of values (`allowsMultipleValues`, for JSON lines). Each `parse`
/// hands the tokens to the handler passed to it, in place.
///
/// C callbacks cannot be formed in a generic context, so yajl calls one fixed table of
/// functions (`yajlCallbacks`), which hand each token to a closure formed in this lexer's
/// `init`: the closure is specialized with the init for the concrete handler, so a token
/// reaches its handler's method directly, with no generic metadata looked up.
final class YajlLexer<Handler: YajlHandler & ~Copyable> {
    private var handle: yajl_handle
    /// Where the callbacks' context points: the dispatching closure and the current session.
    private let context: UnsafeMutablePointer<CallbackContext>
    /// The handler of the current `parse`, and the reason its callback stopped for.
    private let session: UnsafeMutablePointer<Session>
    /// This lexer's own callback table (yajl keeps a pointer to it): its entries are switched
    /// off while `restart` replays a prefix, so that the handler does not see those tokens.
    private let table: UnsafeMutablePointer<yajl_callbacks>
    /// yajl's memory comes from here: the blocks of a freed handle serve the next one, so a
    /// restart costs no malloc (yajl_alloc with the default functions costs five).
    private let blocks = YajlBlockCache()
    private let allowsMultipleValues: Bool

    private struct Session {
        var handler: UnsafeMutablePointer<Handler>?
        var stop: Handler.Stop?
    }

    /// A new handle; `allowsMultipleValues` reads a stream of values (JSON lines) rather than one.
    init(allowsMultipleValues: Bool = false) {
        self.allowsMultipleValues = allowsMultipleValues
        session = .allocate(capacity: 1)
        session.initialize(to: Session(handler: nil, stop: nil))
        context = .allocate(capacity: 1)
        context.initialize(to: CallbackContext(session: UnsafeMutableRawPointer(session)) { raw, token in
            let session = raw.assumingMemoryBound(to: Session.self)
            let handler = session.pointee.handler!
            handler.pointee.noteToken()
            let verdict: YajlVerdict<Handler.Stop>
            switch token {
            case .null: verdict = handler.pointee.onNull()
            case .bool(let value): verdict = handler.pointee.onBool(value)
            case .number(let text): verdict = handler.pointee.onNumber(text)
            case .string(let text): verdict = handler.pointee.onString(text)
            case .startObject: verdict = handler.pointee.onStartObject()
            case .key(let text): verdict = handler.pointee.onKey(text)
            case .endObject: verdict = handler.pointee.onEndObject()
            case .startArray: verdict = handler.pointee.onStartArray()
            case .endArray: verdict = handler.pointee.onEndArray()
            }
            switch verdict {
            case .proceed: return 1
            case .stop(let reason):
                session.pointee.stop = reason
                return 0
            }
        })
        table = .allocate(capacity: 1)
        table.initialize(to: yajlCallbacks)
        handle = yajl_alloc(table, &blocks.functions, UnsafeMutableRawPointer(context))!
        configure()
    }

    deinit {
        yajl_free(handle)
        table.deinitialize(count: 1)
        table.deallocate()
        context.deinitialize(count: 1)
        context.deallocate()
        session.deinitialize(count: 1)
        session.deallocate()
    }

    private func configure() {
        if allowsMultipleValues { _ = aicoco_yajl_config_flag(handle, yajl_allow_multiple_values, 1) }
    }

    /// Replaces the handle with a new one brought to the state that `prefix` leaves it in,
    /// without calling a handler: how the engine hands the lexing back to yajl after it has
    /// read some tokens itself (a handle stopped by a callback cannot go on).
    func restart(prefix: UnsafeBufferPointer<UInt8>) {
        yajl_free(handle)
        table.pointee = yajlSilentCallbacks
        handle = yajl_alloc(table, &blocks.functions, UnsafeMutableRawPointer(context))!
        configure()
        context.pointee.state.reset()
        _ = yajl_parse(handle, prefix.baseAddress, prefix.count)
        // A prefix ends with its last token or with a comma or colon after it.
        if let last = prefix.last(where: { !isYajlWhitespace($0) }) { _ = context.pointee.state.passing(last) }
        table.pointee = yajlCallbacks
    }

    /// yajl's parse state as of the last token handed out (or the prefix of `restart`).
    var parseState: YajlParseState { context.pointee.state }

    /// Offset, within the chunk being fed, just past the token yajl handed out last.
    /// Valid inside a callback and after `parse`.
    var bytesConsumed: Int { Int(yajl_get_bytes_consumed(handle)) }

    /// Lexes `chunk`, handing its tokens to `handler`.
    func parse(_ chunk: UnsafeBufferPointer<UInt8>, with handler: inout Handler) -> YajlOutcome<Handler.Stop> {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return .ok }
        return withUnsafeMutablePointer(to: &handler) { pointer in
            session.pointee.handler = pointer
            defer { session.pointee.handler = nil }
            return outcome(of: yajl_parse(handle, base, chunk.count), chunk: chunk)
        }
    }

    /// Tells yajl the input has ended (a number or value cut short is only seen here).
    func complete(with handler: inout Handler) -> YajlOutcome<Handler.Stop> {
        withUnsafeMutablePointer(to: &handler) { pointer in
            session.pointee.handler = pointer
            defer { session.pointee.handler = nil }
            return outcome(of: yajl_complete_parse(handle), chunk: UnsafeBufferPointer(start: nil, count: 0))
        }
    }

    private func outcome(of status: yajl_status, chunk: UnsafeBufferPointer<UInt8>) -> YajlOutcome<Handler.Stop> {
        switch status {
        case yajl_status_ok:
            return .ok
        case yajl_status_client_canceled:
            defer { session.pointee.stop = nil }
            return .stopped(session.pointee.stop!)
        default:
            var message = "invalid JSON"
            if let text = yajl_get_error(handle, 0, chunk.baseAddress, chunk.count) {
                message = String(cString: text)
                yajl_free_error(handle, text)
            }
            return .syntaxError(message: tidyYajlMessage(message), consumed: bytesConsumed)
        }
    }
}

/// yajl says e.g. "parse error: after array element, I expect ',' or ']'\n".
private func tidyYajlMessage(_ message: String) -> String {
    var text = Substring(message)
    while let last = text.last, last == "\n" || last == " " || last == "." { text.removeLast() }
    return String(text)
}

/// One token as yajl hands it out.
private enum YajlToken {
    case null, bool(Bool), number(UnsafeBufferPointer<UInt8>), string(UnsafeBufferPointer<UInt8>)
    case startObject, key(UnsafeBufferPointer<UInt8>), endObject, startArray, endArray

    /// What the token does to the parse state.
    @inline(__always)
    var step: YajlParseState.Step {
        switch self {
        case .null, .bool, .number, .string: .value
        case .startObject: .openObject
        case .key: .key
        case .endObject, .endArray: .close
        case .startArray: .openArray
        }
    }
}

/// What yajl's context pointer points to: a lexer's session, and the closure that hands a
/// token to its handler (1: read on, 0: stop).
private struct CallbackContext {
    let session: UnsafeMutableRawPointer
    let dispatch: (UnsafeMutableRawPointer, YajlToken) -> Int32
    /// yajl's parse state after the tokens handed out so far.
    var state = YajlParseState()
}

/// Hands `token` to the handler behind `context`.
@inline(__always)
private func dispatch(_ context: UnsafeMutableRawPointer?, _ token: YajlToken) -> Int32 {
    let bound = context!.assumingMemoryBound(to: CallbackContext.self)
    bound.pointee.state.note(token.step)
    return bound.pointee.dispatch(bound.pointee.session, token)
}

/// Notes `step` in the parse state behind `context`, and reads on (for `restart`).
private func silent(_ context: UnsafeMutableRawPointer?, _ step: YajlParseState.Step) -> Int32 {
    context!.assumingMemoryBound(to: CallbackContext.self).pointee.state.note(step)
    return 1
}

/// Callbacks that hand no token to the handler, only follow the parse state (for `restart`).
private let yajlSilentCallbacks = yajl_callbacks(
    yajl_null: { silent($0, .value) }, yajl_boolean: { context, _ in silent(context, .value) },
    yajl_integer: nil, yajl_double: nil,
    yajl_number: { context, _, _ in silent(context, .value) }, yajl_string: { context, _, _ in silent(context, .value) },
    yajl_start_map: { silent($0, .openObject) }, yajl_map_key: { context, _, _ in silent(context, .key) },
    yajl_end_map: { silent($0, .close) }, yajl_start_array: { silent($0, .openArray) },
    yajl_end_array: { silent($0, .close) }
)

private let yajlCallbacks = yajl_callbacks(
    yajl_null: { context in dispatch(context, .null) },
    yajl_boolean: { context, value in dispatch(context, .bool(value != 0)) },
    yajl_integer: nil,
    yajl_double: nil,
    yajl_number: { context, text, length in
        text!.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            dispatch(context, .number(UnsafeBufferPointer(start: bytes, count: length)))
        }
    },
    yajl_string: { context, text, length in dispatch(context, .string(UnsafeBufferPointer(start: text, count: length))) },
    yajl_start_map: { context in dispatch(context, .startObject) },
    yajl_map_key: { context, text, length in dispatch(context, .key(UnsafeBufferPointer(start: text, count: length))) },
    yajl_end_map: { context in dispatch(context, .endObject) },
    yajl_start_array: { context in dispatch(context, .startArray) },
    yajl_end_array: { context in dispatch(context, .endArray) }
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
