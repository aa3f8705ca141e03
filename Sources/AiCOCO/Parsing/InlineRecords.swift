/// The forms of a tabular output's records before FLaVor 2.2.3: inline (`"records": [...]`,
/// 2.1.0 to 2.2.1) and `records_file` (2.2.2). Inline records are read as records of section
/// `rows` inside the document, by the record grammar an artifact's lines are read by
/// (`RecordGrammar.swift`): schema, `table_id` and the other references, and as many `row_indexes` as `meta.window_size` (which FLaVor writes
/// after them: counts seen before it are kept and checked at its end).
extension DocumentEngine {
    /// The top-level key `records_file` (FLaVor 2.2.2's `records`).
    static func isRecordsFileKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        key.count == 12 && bytesEqual(key, "records_file")
    }

    /// `records_file` read as the `records` section; false when the document already has one.
    mutating func recordsFileKey(_ key: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        let bit: UInt32 = 1 << UInt32(Section.records.ordinal)
        frames[frames.count - 1].section = .records
        frames[frames.count - 1].field = .id
        frames[frames.count - 1].key = nil
        if outline.sectionsSeen & bit != 0 {
            frames[frames.count - 1].key = "records_file"
            return try problem(.semantic, "\"records_file\" and \"records\" both given (a tabular output has one of them)",
                           at: stringStart(length: key.count), path: currentPath())
        }
        outline.sectionsSeen |= bit
        outline.recordsForm = .recordsFile
        outline.keyPlaces[Section.records.ordinal] = stringStart(length: key.count)
        return
    }

    /// `records` holds an array: the records themselves, as section `rows`.
    mutating func beginInlineRecords() throws(EngineStop) {
        outline.recordsForm = .inline
        checker?.rowsInline = true
        do {
            try delegate.engineSectionStart(.rows)
        } catch {
            throw visitorThrew(error)
        }
        return try push(Frame(kind: .section, section: .rows, start: containerStart()))
    }

    /// `row_indexes` has ended: its count against `meta.window_size`, now or at the document's end.
    mutating func endRowIndexes() throws(EngineStop) {
        let frame = frames[frames.count - 1]
        let path = path(throughFrame: frames.count, includeCurrent: false)
        pop()
        valueDone()
        guard checker != nil else { return }
        if let windowSize = outline.windowSize {
            guard let message = RecordInProgress.rowCountProblem(frame.count, windowSize: windowSize) else { return }
            return try problem(.semantic, message, at: frame.start, path: path)
        }
        if let known = outline.rowCountsUnchecked.firstIndex(where: { $0.rows == frame.count }) {
            outline.rowCountsUnchecked[known].records += 1
        } else if outline.rowCountsUnchecked.count < 16 {
            outline.rowCountsUnchecked.append((frame.count, 1, frame.start, path))
        }
        return
    }

    /// At the document's end: the counts of row indexes read before `meta.window_size`.
    mutating func checkRowCounts() throws(EngineStop) {
        let counts = outline.rowCountsUnchecked
        outline.rowCountsUnchecked = []
        guard let windowSize = outline.windowSize else { return }
        for entry in counts {
            guard let message = RecordInProgress.rowCountProblem(entry.rows, windowSize: windowSize, others: entry.records - 1)
            else { continue }
            try problem(.semantic, message, at: entry.start, path: entry.path)
        }
        return
    }
}
