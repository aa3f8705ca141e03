/// The engine as yajl's handler: each callback runs the token's handler (`Dispatch.swift`) and
/// answers yajl with a verdict: read on, or stop (`EngineStop` says why).
extension DocumentEngine: YajlHandler {
    typealias Stop = EngineStop

    /// Notes the token yajl is handing out, before its callback runs.
    @inline(__always)
    mutating func noteToken() { places.note(tokenEndingAt: tokenEnd()) }

    @inline(__always) mutating func onStartObject() -> Verdict { verdict { () throws(EngineStop) in try startObject() } }
    @inline(__always) mutating func onStartArray() -> Verdict { verdict { () throws(EngineStop) in try startArray() } }
    @inline(__always) mutating func onEndObject() -> Verdict { verdict { () throws(EngineStop) in try endObject() } }
    @inline(__always) mutating func onEndArray() -> Verdict { verdict { () throws(EngineStop) in try endArray() } }
    @inline(__always) mutating func onKey(_ text: UnsafeBufferPointer<UInt8>) -> Verdict {
        verdict { () throws(EngineStop) in try readKey(text) }
    }
    @inline(__always) mutating func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Verdict {
        verdict { () throws(EngineStop) in try readNumber(text) }
    }
    @inline(__always) mutating func onString(_ text: UnsafeBufferPointer<UInt8>) -> Verdict {
        verdict { () throws(EngineStop) in try readString(text) }
    }
    @inline(__always) mutating func onNull() -> Verdict { verdict { () throws(EngineStop) in try readNull() } }
    @inline(__always) mutating func onBool(_ value: Bool) -> Verdict { verdict { () throws(EngineStop) in try readBool(value) } }
}
