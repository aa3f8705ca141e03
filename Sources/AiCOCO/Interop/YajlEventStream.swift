// A yajl handle that accepts a stream of JSON values (JSON lines) and hands each token to a
// Swift `JSONEventSink`. C interop only; the sink speaks typed Swift.
import CYajl

/// Receives the tokens of a stream of JSON values. Returning false stops the parse.
protocol JSONEventSink: AnyObject {
    func onNull() -> Bool
    func onBool(_ value: Bool) -> Bool
    /// A number's literal text.
    func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool
    /// A string, unescaped.
    func onString(_ text: UnsafeBufferPointer<UInt8>) -> Bool
    func onStartObject() -> Bool
    func onKey(_ text: UnsafeBufferPointer<UInt8>) -> Bool
    func onEndObject() -> Bool
    func onStartArray() -> Bool
    func onEndArray() -> Bool
}

/// One yajl handle for a whole stream of values (`yajl_allow_multiple_values`), UTF-8
/// validated, no comments. Callbacks go to `sink`, which must outlive the stream.
final class YajlEventStream {
    private let handle: yajl_handle
    private let box: EventSinkBox

    init(sink: JSONEventSink) {
        box = EventSinkBox(sink)
        handle = yajl_alloc(eventCallbackTable, nil, Unmanaged.passUnretained(box).toOpaque())!
        _ = aicoco_yajl_config_flag(handle, yajl_allow_multiple_values, 1)
    }

    deinit { yajl_free(handle) }

    /// Offset just past the token handed out last, within the bytes of the current `parse`.
    var bytesConsumed: Int { Int(yajl_get_bytes_consumed(handle)) }

    func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> YajlOutcome<Void> {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .ok }
        return outcome(yajl_parse(handle, base, bytes.count), bytes)
    }

    /// The end of the stream: a value cut short is reported here.
    func complete() -> YajlOutcome<Void> {
        outcome(yajl_complete_parse(handle), UnsafeBufferPointer(start: nil, count: 0))
    }

    private func outcome(_ status: yajl_status, _ bytes: UnsafeBufferPointer<UInt8>) -> YajlOutcome<Void> {
        switch status {
        case yajl_status_ok: return .ok
        case yajl_status_client_canceled: return .stopped(())
        default:
            var message = "invalid JSON"
            if let text = yajl_get_error(handle, 0, bytes.baseAddress, bytes.count) {
                message = String(cString: text)
                yajl_free_error(handle, text)
            }
            while let last = message.last, last == "\n" || last == " " || last == "." { message.removeLast() }
            return .syntaxError(message: message, consumed: bytesConsumed)
        }
    }
}

/// What yajl's context pointer points to (an existential cannot be passed as a raw pointer).
private final class EventSinkBox {
    unowned(unsafe) let sink: JSONEventSink
    init(_ sink: JSONEventSink) { self.sink = sink }
}

@inline(__always)
private func withSink(_ context: UnsafeMutableRawPointer?, _ body: (JSONEventSink) -> Bool) -> Int32 {
    Unmanaged<EventSinkBox>.fromOpaque(context!)._withUnsafeGuaranteedRef { body($0.sink) } ? 1 : 0
}

nonisolated(unsafe) private let eventCallbackTable: UnsafeMutablePointer<yajl_callbacks> = {
    let table = UnsafeMutablePointer<yajl_callbacks>.allocate(capacity: 1)
    table.initialize(to: yajl_callbacks(
        yajl_null: { context in withSink(context) { $0.onNull() } },
        yajl_boolean: { context, value in withSink(context) { $0.onBool(value != 0) } },
        yajl_integer: nil,
        yajl_double: nil,
        yajl_number: { context, text, length in
            withSink(context) { sink in
                text!.withMemoryRebound(to: UInt8.self, capacity: length) {
                    sink.onNumber(UnsafeBufferPointer(start: $0, count: length))
                }
            }
        },
        yajl_string: { context, text, length in withSink(context) { $0.onString(UnsafeBufferPointer(start: text, count: length)) } },
        yajl_start_map: { context in withSink(context) { $0.onStartObject() } },
        yajl_map_key: { context, text, length in withSink(context) { $0.onKey(UnsafeBufferPointer(start: text, count: length)) } },
        yajl_end_map: { context in withSink(context) { $0.onEndObject() } },
        yajl_start_array: { context in withSink(context) { $0.onStartArray() } },
        yajl_end_array: { context in withSink(context) { $0.onEndArray() } }
    ))
    return table
}()
