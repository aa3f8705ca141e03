/// Where written JSON goes: called with bytes to write, in order.
public typealias JSONSink = (UnsafeRawBufferPointer) throws -> Void

/// A streaming JSON writer, byte for byte what yajl's generator writes: values go out as they
/// are written, through a buffer of about `flushThreshold` bytes, so any size of document takes
/// constant memory.
/// Compact by default; `pretty` indents by two spaces.
///
/// ```swift
/// let out = FileOutput(descriptor: 1)
/// let json = JSONWriter(sink: { try out.write($0) })
/// try json.beginObject(); try json.key("n"); try json.number(130); try json.endObject()
/// try json.flush(); try out.flush()
/// ```
public final class JSONWriter {
    let generator: JSONGenerator
    private let sink: JSONSink
    private var valueText: JSONValueText
    public var flushThreshold = 1 << 16

    public init(pretty: Bool = false, sink: @escaping JSONSink) {
        generator = JSONGenerator(pretty: pretty)
        valueText = JSONValueText(indent: pretty ? Array("  ".utf8) : nil)
        self.sink = sink
    }

    /// Writes to `output` (whose own buffer still needs `output.flush()` at the end).
    public convenience init(pretty: Bool = false, output: FileOutput) {
        self.init(pretty: pretty, sink: { try output.write($0) })
    }

    public var pretty: Bool { generator.pretty }

    public func beginObject() throws { try generator.mapOpen() }
    public func endObject() throws { try generator.mapClose(); try flushIfNeeded() }
    public func beginArray() throws { try generator.arrayOpen() }
    public func endArray() throws { try generator.arrayClose(); try flushIfNeeded() }
    public func key(_ key: String) throws { try generator.string(key) }
    public func string(_ text: String) throws { try generator.string(text) }
    public func null() throws { try generator.null() }
    public func bool(_ value: Bool) throws { try generator.bool(value) }
    /// Integral values as integers (`130`, not `130.0`), others in the shortest exact form.
    public func number(_ value: Double) throws { try generator.number(value) }
    public func number(_ value: Int) throws { try generator.integer(value) }
    /// A number as its literal text, kept exactly.
    public func number(_ value: JSONNumber) throws { try generator.numberLiteral(value.literal) }

    /// Numbers from a buffer, each formatted in a reused scratch buffer (no allocation per number).
    public func numbers(_ values: UnsafeBufferPointer<Double>) throws {
        try generator.numberList(values)
    }

    /// `"key": value` for a string or `null`.
    public func field(_ key: String, _ text: String?) throws {
        try generator.string(key)
        if let text { try generator.string(text) } else { try generator.null() }
    }

    /// Any JSON value, numbers exactly as their literal, nested as deep as it is (arrays and
    /// objects are rendered here, as yajl would, since yajl's generator stops at 128 levels).
    public func value(_ value: JSONValue) throws {
        switch value {
        case .null: try generator.null()
        case .bool(let flag): try generator.bool(flag)
        case .number(let number): try generator.numberLiteral(number.literal)
        case .string(let text): try generator.string(text)
        case .array, .object:
            valueText.render(value, depth: generator.depth)
            try generator.rendered(valueText.bytes)
        }
    }

    /// Hands the buffered bytes to the sink once there are more than `flushThreshold`.
    public func flushIfNeeded() throws {
        if generator.pendingBytes >= flushThreshold { try flush() }
    }

    /// Hands every buffered byte to the sink.
    public func flush() throws { try generator.drain(sink) }

    /// Drops what was generated and not yet handed to the sink, and starts a new top-level value.
    public func discard() { generator.reset() }

    /// Ends the current top-level value with a newline and lets a new one begin (JSON lines).
    public func endLine() throws {
        try generator.drain(sink)
        generator.reset()
        try newline.withUnsafeBytes { try sink($0) }
    }

    private let newline: [UInt8] = [0x0A]
}

extension JSONWriter {
    /// Writes one AiCOCO record as a JSON object: the format's fields first (in the format's
    /// order, optional ones only when present), then the extra fields in file order.
    public func record(_ record: AiCOCORecord) throws {
        try generator.mapOpen()
        switch record {
        case .image(let image):
            try member("id", image.id)
            try member("file_name", image.fileName)
            try name("index"); try number(image.index)
            try name("category_ids"); try ids(image.categoryIDs)
            try name("regressions"); try regressionItems(image.regressions)
            try members(image.extra)
        case .annotation(let annotation):
            try name("id"); try annotation.idKey.withUTF8 { try generator.string(bytes: $0) }
            try name("image_id"); try annotation.imageKey.withUTF8 { try generator.string(bytes: $0) }
            try name("object_id"); try annotation.objectKey.withUTF8 { try generator.string(bytes: $0) }
            try name("iscrowd"); try number(annotation.iscrowd)
            try name("bbox")
            if let boxes = annotation.bbox {
                try generator.arrayOpen()
                for box in boxes {
                    try generator.arrayOpen()
                    try withUnsafeBytes(of: (box.x1, box.y1, box.x2, box.y2)) { raw in
                        try generator.numberList(raw.bindMemory(to: Double.self))
                    }
                    try generator.arrayClose()
                }
                try generator.arrayClose()
            } else {
                try generator.null()
            }
            try name("segmentation")
            if let polygons = annotation.segmentation {
                try self.polygons(polygons)
            } else {
                try generator.null()
            }
            try members(annotation.extra)
        case .category(let category):
            try member("id", category.id)
            try member("name", category.name)
            try member("supercategory_id", category.supercategoryID)
            if let color = category.color { try member("color", color) }
            try members(category.extra)
        case .regression(let regression):
            try member("id", regression.id)
            try member("name", regression.name)
            try member("superregression_id", regression.superregressionID)
            if let unit = regression.unit { try member("unit", unit) }
            if let threshold = regression.threshold { try member("threshold", threshold) }
            try members(regression.extra)
        case .object(let object):
            try member("id", object.id)
            try name("category_ids"); try ids(object.categoryIDs)
            try name("regressions"); try regressionItems(object.regressions)
            if let confidence = object.confidence { try name("confidence"); try number(confidence) }
            try members(object.extra)
        case .meta(let meta):
            if meta.keys.contains(.categoryIDs) || meta.categoryIDs != nil {
                try name("category_ids"); try ids(meta.categoryIDs)
            }
            if meta.keys.contains(.regressions) || meta.regressions != nil {
                try name("regressions"); try regressionItems(meta.regressions)
            }
            if let taskType = meta.taskType { try member("task_type", taskType.rawValue) }
            if let windowSize = meta.windowSize { try name("window_size"); try number(windowSize) }
            if meta.keys.contains(.tableIDs) || meta.tableIDs != nil {
                try name("table_ids"); try ids(meta.tableIDs)
            }
            try members(meta.extra)
        case .table(let table):
            try member("id", table.id)
            try member("file_name", table.fileName)
            try members(table.extra)
        case .recordsReference(let reference):
            try member("format", reference.format)
            try member("href", reference.href)
            try name("rows"); try number(reference.rows)
            try name("bytes"); try number(reference.bytes)
            try members(reference.extra)
        case .tabularRecord(let record):
            try member("id", record.id)
            try member("table_id", record.tableID)
            try name("row_indexes")
            try generator.arrayOpen()
            for index in record.rowIndexes { try generator.integer(index) }
            try generator.arrayClose()
            try name("category_ids"); try ids(record.categoryIDs)
            try name("regressions"); try regressionItems(record.regressions)
            try members(record.extra)
        }
        try generator.mapClose()
    }

    /// `[[x1, y1, ...], ...]`, without one allocation per number.
    public func polygons(_ polygons: Polygons) throws {
        try generator.arrayOpen()
        try polygons.coordinates.withUnsafeBufferPointer { all in
            var start = 0
            for end in polygons.ends {
                try generator.arrayOpen()
                try generator.numberList(UnsafeBufferPointer(rebasing: all[start..<end]))
                try generator.arrayClose()
                start = end
            }
        }
        try generator.arrayClose()
    }

    /// A key known at compile time.
    fileprivate func name(_ key: StaticString) throws {
        try generator.string(bytes: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
    }

    /// A section's name as a string value.
    fileprivate func sectionName(_ section: AiCOCOSection) throws {
        let text: StaticString
        switch section {
        case .images: text = "images"
        case .annotations: text = "annotations"
        case .categories: text = "categories"
        case .regressions: text = "regressions"
        case .objects: text = "objects"
        case .meta: text = "meta"
        case .tables: text = "tables"
        case .records: text = "records"
        case .rows: text = "rows"
        }
        try name(text)
    }

    /// `"key": value` for a string or `null`, the key known at compile time.
    fileprivate func member(_ key: StaticString, _ text: String?) throws {
        try name(key)
        if let text { try generator.string(text) } else { try generator.null() }
    }

    private func ids(_ ids: [String]?) throws {
        guard let ids else { return try generator.null() }
        try generator.arrayOpen()
        for id in ids { try generator.string(id) }
        try generator.arrayClose()
    }

    private func regressionItems(_ items: [AiRegressionItem]?) throws {
        guard let items else { return try generator.null() }
        try generator.arrayOpen()
        for item in items {
            try generator.mapOpen()
            try member("regression_id", item.regressionID)
            try name("value"); try number(item.value)
            try generator.mapClose()
        }
        try generator.arrayClose()
    }

    private func members(_ members: [JSONMember]) throws {
        for member in members {
            try generator.string(member.key)
            try value(member.value)
        }
    }
}

/// Writes an AiCOCO document section by section, in any order, in constant memory:
///
/// ```swift
/// let writer = AiCOCOWriter(output: FileOutput(descriptor: 1))
/// try writer.beginSection(.images); try writer.write(.image(image)); try writer.endSection()
/// ...
/// try writer.finish()   // closes the document and flushes; until then it is never complete
/// ```
/// `meta` is a section holding exactly one record. Sections never begun are not written
/// (`finish(addingMissingSections: true)` writes them as `[]`).
public final class AiCOCOWriter {
    public let json: JSONWriter
    private let output: FileOutput?
    private var started = false
    private var current: AiCOCOSection?
    /// The single-object section open (`meta`, `records`) has its record.
    private var objectWritten = false
    public private(set) var writtenSections: [AiCOCOSection] = []
    /// Records written so far, per section.
    public private(set) var counts: [AiCOCOSection: Int] = [:]

    public init(pretty: Bool = false, sink: @escaping JSONSink) {
        json = JSONWriter(pretty: pretty, sink: sink)
        output = nil
    }

    public init(pretty: Bool = false, output: FileOutput) {
        json = JSONWriter(pretty: pretty, output: output)
        self.output = output
    }

    public func beginSection(_ section: AiCOCOSection) throws {
        guard current == nil else { throw JSONWriterMisuse(message: "section \(current!.rawValue) is still open") }
        guard !writtenSections.contains(section) else {
            throw JSONWriterMisuse(message: "section \(section.rawValue) written twice")
        }
        if !started {
            try json.beginObject()
            started = true
        }
        try json.key(section.rawValue)
        if !section.isSingleObject { try json.beginArray() }
        current = section
        writtenSections.append(section)
        counts[section] = 0
    }

    public func write(_ record: AiCOCORecord) throws {
        guard let current, record.section == current else {
            throw JSONWriterMisuse(message: "a record of \(record.section.rawValue) outside its section")
        }
        if current.isSingleObject {
            guard !objectWritten else { throw JSONWriterMisuse(message: "\(current.rawValue) holds one record") }
            objectWritten = true
        }
        try json.record(record)
        counts[current, default: 0] += 1
        try json.flushIfNeeded()
    }

    public func endSection() throws {
        guard let section = current else { throw JSONWriterMisuse(message: "no section is open") }
        if section.isSingleObject {
            guard objectWritten else { throw JSONWriterMisuse(message: "\(section.rawValue) needs its record") }
            objectWritten = false
        } else {
            try json.endArray()
        }
        current = nil
    }

    /// Writes a whole section at once.
    public func write<S: Sequence>(section: AiCOCOSection, _ records: S) throws where S.Element == AiCOCORecord {
        try beginSection(section)
        for record in records { try write(record) }
        try endSection()
    }

    /// Writes records in the order given, a section opening wherever the section changes (each
    /// section's records must come together, as they do in a file), then finishes the document,
    /// adding empty sections for those that had no record.
    public func writeDocument<S: Sequence>(_ records: S) throws where S.Element == AiCOCORecord {
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
    public var writtenKind: AiCOCOKind {
        writtenSections.contains(.records) ? .tabular : writtenSections.contains(.tables) ? .hybrid : .image
    }

    /// Closes the document and flushes everything (the `FileOutput` too).
    public func finish(addingMissingSections: Bool = false) throws {
        guard current == nil else { throw JSONWriterMisuse(message: "section \(current!.rawValue) is still open") }
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

/// Writes AiCOCO records as JSON lines: one compact JSON object per line, either the record
/// itself or, with `envelope`, `{"section":"images","record":{...}}`.
public final class AiCOCORecordLineWriter {
    public let json: JSONWriter
    public let envelope: Bool
    private let output: FileOutput?

    public init(envelope: Bool, sink: @escaping JSONSink) {
        json = JSONWriter(sink: sink)
        self.envelope = envelope
        output = nil
    }

    public init(envelope: Bool, output: FileOutput) {
        json = JSONWriter(output: output)
        self.envelope = envelope
        self.output = output
    }

    /// Writes the record and its newline; a record that cannot be written leaves nothing of
    /// itself behind (no partial line), whatever failed. With a sink, each line is handed to it
    /// at once; with a `FileOutput` (which needs `flush()` anyway), lines gather in the
    /// writer's buffer first.
    public func write(_ record: AiCOCORecord) throws {
        if output != nil {
            let mark = json.generator.pendingBytes
            do {
                try body(record)
            } catch {
                json.generator.rollback(to: mark)
                throw error
            }
            json.generator.endLine()
            try json.flushIfNeeded()
            return
        }
        do {
            try body(record)
        } catch {
            json.discard()
            throw error
        }
        try json.endLine()
    }

    private func body(_ record: AiCOCORecord) throws {
        do {
            if envelope {
                try json.beginObject()
                try json.name("section")
                try json.sectionName(record.section)
                try json.name("record")
                try json.record(record)
                try json.generator.mapClose()
            } else {
                try json.record(record)
            }
        }
    }

    public func flush() throws {
        try json.flush()
        try output?.flush()
    }
}
