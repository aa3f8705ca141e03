/// Writes an AiCOCO document section by section, in any order, in constant memory:
///
/// ```swift
/// let writer = DocumentWriter(output: FileOutput(descriptor: 1))
/// try writer.beginSection(.images); try writer.write(.image(image)); try writer.endSection()
/// ...
/// try writer.finish()   // closes the document and flushes; until then it is never complete
/// ```
/// `meta` is a section holding exactly one record. Sections never begun are not written
/// (`finish(addingMissingSections: true)` writes them as `[]`).
public final class DocumentWriter {
    /// The JSON writer underneath (e.g. to set `allowsNonFinite`).
    public let json: JSONWriter
    private let output: FileOutput?
    private var started = false
    private var current: Section?
    /// The single-object section open (`meta`, `records`) has its record.
    private var objectWritten = false
    /// The sections begun so far, in order.
    public private(set) var writtenSections: [Section] = []
    /// Records written so far, per section.
    public private(set) var counts: [Section: Int] = [:]

    /// Writes to `sink`.
    public init(pretty: Bool = false, sink: @escaping JSONWriter.Sink) {
        json = JSONWriter(pretty: pretty, sink: sink)
        output = nil
    }

    /// Writes to `output`; `finish()` flushes it.
    public init(pretty: Bool = false, output: FileOutput) {
        json = JSONWriter(pretty: pretty, output: output)
        self.output = output
    }

    /// Opens `section` (each at most once, one at a time). Throws `JSONWriter.Misuse` otherwise.
    public func beginSection(_ section: Section) throws {
        guard current == nil else { throw JSONWriter.Misuse(message: "section \(current!.rawValue) is still open") }
        guard !writtenSections.contains(section) else {
            throw JSONWriter.Misuse(message: "section \(section.rawValue) written twice")
        }
        if !started {
            try json.beginObject()
            started = true
        }
        // `records` is written with its record: its key tells its form (`records_file` in 2.2.2).
        // Records of section `rows` written in the document are its inline `records` (2.1.0 to 2.2.1).
        if section != .records { try json.key(section == .rows ? "records" : section.rawValue) }
        if !section.isSingleObject { try json.beginArray() }
        current = section
        writtenSections.append(section)
        counts[section] = 0
    }

    /// Writes a record of the open section.
    public func write(_ record: Record) throws {
        guard let current, record.section == current else {
            throw JSONWriter.Misuse(message: "a record of \(record.section.rawValue) outside its section")
        }
        if current.isSingleObject {
            guard !objectWritten else { throw JSONWriter.Misuse(message: "\(current.rawValue) holds one record") }
            objectWritten = true
        }
        if case .recordsReference(let reference) = record {
            try json.key(reference.form == .recordsFile ? "records_file" : "records")
        }
        try json.record(record)
        counts[current, default: 0] += 1
        try json.flushIfNeeded()
    }

    /// Closes the open section (`meta` and `records` must have their record).
    public func endSection() throws {
        guard let section = current else { throw JSONWriter.Misuse(message: "no section is open") }
        if section.isSingleObject {
            guard objectWritten else { throw JSONWriter.Misuse(message: "\(section.rawValue) needs its record") }
            objectWritten = false
        } else {
            try json.endArray()
        }
        current = nil
    }

    /// Writes a whole section at once.
    public func write<S: Sequence>(section: Section, _ records: S) throws where S.Element == Record {
        try beginSection(section)
        for record in records { try write(record) }
        try endSection()
    }

    /// Writes records in the order given, a section opening wherever the section changes (each
    /// section's records must come together, as they do in a file), then finishes the document,
    /// adding empty sections for those that had no record.
    public func writeDocument<S: Sequence>(_ records: S) throws where S.Element == Record {
        for record in records {
            if record.section != current {
                if current != nil { try endSection() }
                try beginSection(record.section)
            }
            try write(record)
        }
        if current != nil { try endSection() }
        try finish(addingMissingSections: true)
    }

    /// The kind of output the sections written so far make: tabular with `records`, hybrid
    /// with `tables`, image otherwise.
    public var writtenKind: DocumentForm.Kind {
        writtenSections.contains(.records) || writtenSections.contains(.rows) ? .tabular
            : writtenSections.contains(.tables) ? .hybrid : .image
    }

    /// Closes the document and flushes everything (the `FileOutput` too).
    public func finish(addingMissingSections: Bool = false) throws {
        guard current == nil else { throw JSONWriter.Misuse(message: "section \(current!.rawValue) is still open") }
        if !started {
            try json.beginObject()
            started = true
        }
        if addingMissingSections {
            for section in writtenKind.sections where !section.isSingleObject && !writtenSections.contains(section) {
                try beginSection(section)
                try endSection()
            }
        }
        try json.endObject()
        if json.pretty == false { try json.flush(); try json.endLine() } else { try json.flush() }
        try output?.flush()
    }
}
