/// Fields the format does not name: kept whole as JSON values, built container by container
/// in `record.extraStack`.
enum ExtraContainer {
    case array([JSONValue])
    case object([JSONMember], key: String)
}

extension DocumentEngine {
    mutating func appendExtra(_ value: JSONValue) {
        record.addExtra(value)
        valueDone()
    }

    mutating func endExtra() throws(EngineStop) {
        pop()
        record.closeExtra(key: frames[frames.count - 1].key)
        valueDone()
        try checkRecordSize()
    }
}
