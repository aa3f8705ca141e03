/// Where a reference (or an id) stands in the document, kept compactly until it must be
/// written out as a JSON path.
struct ReferenceSite: Sendable {
    var section: Section
    var record: Int
    var field: Field
    /// Index in the list the value is in (`category_ids[i]`, `regressions[i]`), or -1.
    var listIndex = -1
    /// The key inside a list item (`regression_id`), or `.none`.
    var leaf = Field.none

    var path: String {
        // Records of the artifact: `$[i]`, the i-th line of the JSON-lines file.
        var text = section == .rows ? "$" : "$." + section.rawValue
        if !section.isSingleObject { text += "[\(record)]" }
        text += "." + field.jsonKey
        if listIndex >= 0 { text += "[\(listIndex)]" }
        if leaf != .none { text += "." + leaf.jsonKey }
        return text
    }

    var describedSource: String { ReferenceChecker.noun(section) }
}

/// Checks ids and references in one pass, whatever the order of the sections and the number
/// of records, within a memory budget: ids must be unique in each section, and every
/// referenced id must be defined.
///
/// Definitions and references go to tables that spill sorted runs to disk past the budget
/// (see `ExternalSorter`); the verdict comes at the end of the document from a sort-merge
/// join, so it is the same whatever the budget. While the tables are in memory they also
/// resolve what they can at once (a reference to an id already defined is dropped; the
/// references to one not yet defined are counted together). Every problem is reported at the
/// end, in file order:
/// - each later occurrence of an id is a duplicate;
/// - references made before their target section was complete are reported once per
///   missing id, at the first of them, with their count;
/// - each reference made after its target section was complete is reported on its own.
final class ReferenceChecker {
    private let budget: MemoryBudget
    /// Per section: ids defined (key → first place), indexed.
    private let defined: [ExternalSorter]
    /// Per target section: references made before it was complete (key → count, first place).
    private let pending: [ExternalSorter]
    /// Per target section: references made after it was complete (one record each).
    private let late: [ExternalSorter]
    /// Problems found, keyed by byte offset then order of discovery.
    let problems: ExternalSorter
    var problemCount = 0
    /// Images' indexes, for the duplicate check.
    let imageIndexes: ImageIndexes
    /// The same three tables for the ids `RecordID` packs into two words (`PackedReferences.swift`),
    /// with the places of their entries in `places`. Nothing refers to annotations: their
    /// ids are only kept for the duplicate check at the end (no index).
    let packedDefined: [PackedTable]
    let packedPending: [PackedTable]
    let packedLate: [PackedTable]
    let places: PlaceLog
    private(set) var completed: UInt32 = 0
    /// The current id's key (`keyCount` bytes of `keyCapacity`).
    var key: UnsafeMutableRawPointer
    private var keyCapacity = 64
    var keyCount = 0
    /// A payload being written: a count and a place, at most 8 + 5 * 10 + 3 bytes.
    private let payload = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)

    init(memoryLimit: Int = MemoryBudget.defaultLimit) {
        let budget = MemoryBudget(limit: memoryLimit)
        self.budget = budget
        let sections = Section.allCases.count
        defined = (0..<sections).map { _ in ExternalSorter(budget: budget, indexed: true) }
        pending = (0..<sections).map { _ in ExternalSorter(budget: budget, indexed: true) }
        late = (0..<sections).map { _ in ExternalSorter(budget: budget, indexed: false) }
        problems = ExternalSorter(budget: budget, indexed: false)
        imageIndexes = ImageIndexes(budget: budget)
        packedDefined = Section.allCases.map {
            PackedTable(budget: budget, indexed: $0 != .annotations, spillWeight: $0 == .annotations ? 8 : 1)
        }
        packedPending = (0..<sections).map { _ in PackedTable(budget: budget, indexed: true, spillWeight: 2) }
        packedLate = (0..<sections).map { _ in PackedTable(budget: budget, indexed: false, spillWeight: 4) }
        places = PlaceLog(budget: budget)
        key = UnsafeMutableRawPointer.allocate(byteCount: keyCapacity, alignment: 8)
    }

    deinit {
        key.deallocate()
        payload.deallocate()
    }

    static func noun(_ section: Section) -> String {
        switch section {
        case .images: "image"
        case .annotations: "annotation"
        case .categories: "category"
        case .regressions: "regression"
        case .objects: "object"
        case .meta: "meta"
        case .tables: "table"
        case .records: "records"
        case .rows: "record"
        }
    }

    /// The records of section `rows` are the document's inline `records`, not an artifact's lines.
    var rowsInline = false

    /// Highest memory the tables held, in bytes.
    var peakMemory: Int { budget.peak }

    /// Records the id of a record. Returns an error only when a temporary file fails.
    func define(_ section: Section, id: String, site: ReferenceSite, at location: SourceLocation) -> DocumentError? {
        var id = id
        return id.withUTF8 { define(section, id: $0, site: site, at: location) }
    }

    /// Records the id (UTF-8 bytes) of a record. Returns an error only when a temporary file fails.
    func define(_ section: Section, id: UnsafeBufferPointer<UInt8>, site: ReferenceSite,
                at location: SourceLocation) -> DocumentError? {
        if let words = RecordID.packedWords(id) { return definePacked(section, words, site: site, at: location) }
        encodeKey(id)
        return defineKey(section, site: site, at: location)
    }

    /// Records the current key as an id of `section`.
    private func defineKey(_ section: Section, site: ReferenceSite, at location: SourceLocation) -> DocumentError? {
        let key = UnsafeRawBufferPointer(start: self.key, count: keyCount)
        let hash = RawBytes.hash(key)
        let table = defined[section.ordinal]
        do {
            if table.find(key, hash: hash) != nil {
                try addProblem(.duplicate, target: section, site: site, location: location, count: 1)
                return nil
            }
            let length = Self.writePlace(site, location, to: payload)
            try table.append(key: key, payload: UnsafeRawBufferPointer(start: payload, count: length), hash: hash)
            return nil
        } catch {
            return Self.ioError(error)
        }
    }

    /// Records the id of an annotation, also held as `packed`. Returns an error only when a
    /// temporary file fails.
    func defineAnnotation(id: UnsafeBufferPointer<UInt8>, packed: RecordID, site: ReferenceSite,
                          at location: SourceLocation) -> DocumentError? {
        guard let words = packed.packedWords else {
            encodeKey(id)
            return defineKey(.annotations, site: site, at: location)
        }
        return definePacked(.annotations, words, site: site, at: location)
    }

    /// A reference from `site` to an id of `target`. Returns an error only when a temporary file fails.
    func reference(to target: Section, id: String, site: ReferenceSite,
                   at location: SourceLocation) -> DocumentError? {
        var id = id
        return id.withUTF8 { reference(to: target, id: $0, site: site, at: location) }
    }

    /// A reference from `site` to an id (UTF-8 bytes) of `target`. Returns an error only when a
    /// temporary file fails.
    func reference(to target: Section, id: UnsafeBufferPointer<UInt8>, site: ReferenceSite,
                   at location: SourceLocation) -> DocumentError? {
        if let words = RecordID.packedWords(id) { return referencePacked(to: target, words, site: site, at: location) }
        encodeKey(id)
        return referenceKey(to: target, site: site, at: location)
    }

    /// A reference from `site` to an id of `target` also held as `packed` (the id's UTF-8 bytes
    /// are `id`); `location` is computed only when the reference must be kept. Returns an error
    /// only when a temporary file fails.
    func reference(to target: Section, packed: RecordID, id: UnsafeBufferPointer<UInt8>, site: ReferenceSite,
                   at location: () -> SourceLocation) -> DocumentError? {
        if let words = packed.packedWords { return referencePacked(to: target, words, site: site, at: location()) }
        encodeKey(id)
        return referenceKey(to: target, site: site, at: location())
    }

    /// A reference to the current key.
    private func referenceKey(to target: Section, site: ReferenceSite,
                              at location: @autoclosure () -> SourceLocation) -> DocumentError? {
        let key = UnsafeRawBufferPointer(start: self.key, count: keyCount)
        let hash = RawBytes.hash(key)
        do {
            if defined[target.ordinal].find(key, hash: hash) != nil { return nil }
            if completed & (1 << UInt32(target.ordinal)) != 0 {
                let length = Self.writePlace(site, location(), to: payload)
                try late[target.ordinal].append(key: key, payload: UnsafeRawBufferPointer(start: payload, count: length))
                return nil
            }
            let table = pending[target.ordinal]
            if let ordinal = table.find(key, hash: hash) {
                let count = table.payload(of: ordinal)
                RawBytes.store64(RawBytes.load64(count.baseAddress!) + 1, count.baseAddress!)
                return nil
            }
            RawBytes.store64(1, payload)
            let length = 8 + Self.writePlace(site, location(), to: payload + 8)
            try table.append(key: key, payload: UnsafeRawBufferPointer(start: payload, count: length), hash: hash)
            return nil
        } catch {
            return Self.ioError(error)
        }
    }

    func sectionCompleted(_ section: Section) {
        completed |= 1 << UInt32(section.ordinal)
    }

    /// Joins the tables and hands every problem to `report`, in file order.
    func finish(_ report: (DocumentError) throws -> Void) throws {
        do {
            for section in Section.allCases where section != .meta {
                try join(section)
                try joinPacked(section)
            }
            try imageIndexes.finish(checker: self)
            places.reset()
            let stream = try problems.sorted()
            while !stream.atEnd {
                try report(problem(stream.payload))
                try stream.advance()
            }
            problems.reset()
        } catch let error as DocumentError {
            throw error
        } catch {
            throw Self.ioError(error)
        }
    }

    // MARK: The join

    private func join(_ target: Section) throws {
        let index = target.ordinal
        if pending[index].isEmpty && late[index].isEmpty && defined[index].isEmpty { return }
        let definitions = try defined[index].sorted()
        let before = try pending[index].sorted()
        let after = try late[index].sorted()
        var current: [UInt8] = []
        while true {
            var smallest: UnsafeRawBufferPointer?
            if !definitions.atEnd { smallest = definitions.key }
            // (No array of the three streams: that would be an allocation per id.)
            if !before.atEnd, smallest == nil || RawBytes.compare(before.key, smallest!) < 0 { smallest = before.key }
            if !after.atEnd, smallest == nil || RawBytes.compare(after.key, smallest!) < 0 { smallest = after.key }
            guard let smallest else { break }
            current.removeAll(keepingCapacity: true)
            current.append(contentsOf: smallest)
            try current.withUnsafeBytes { key in
                // Every occurrence of the id but the first is a duplicate.
                var first: (site: ReferenceSite, location: SourceLocation)?
                while !definitions.atEnd && RawBytes.compare(definitions.key, key) == 0 {
                    var position = 0
                    let place = Self.readPlace(definitions.payload, &position)
                    if let earlier = first, earlier.location.offset < place.location.offset {
                        try addProblem(.duplicate, target: target, site: place.site, location: place.location, count: 1, key: key)
                    } else {
                        if let later = first {
                            try addProblem(.duplicate, target: target, site: later.site, location: later.location, count: 1, key: key)
                        }
                        first = place
                    }
                    try definitions.advance()
                }
                let isDefined = first != nil
                var earliest: (site: ReferenceSite, location: SourceLocation)?
                var count = 0
                while !before.atEnd && RawBytes.compare(before.key, key) == 0 {
                    var position = 8
                    let place = Self.readPlace(before.payload, &position)
                    count += RawBytes.load64(before.payload.baseAddress!)
                    if earliest == nil || place.location.offset < earliest!.location.offset { earliest = place }
                    try before.advance()
                }
                if !isDefined, let earliest {
                    try addProblem(.dangling, target: target, site: earliest.site, location: earliest.location, count: count, key: key)
                }
                while !after.atEnd && RawBytes.compare(after.key, key) == 0 {
                    if !isDefined {
                        var position = 0
                        let place = Self.readPlace(after.payload, &position)
                        try addProblem(.dangling, target: target, site: place.site, location: place.location, count: 1, key: key)
                    }
                    try after.advance()
                }
            }
        }
        defined[index].reset()
        pending[index].reset()
        late[index].reset()
    }

    // MARK: Encoding

    /// Keys of ids `RecordID` holds as a `String` (the others go to the packed tables): a 0 byte
    /// and the UTF-8 bytes (17 bytes or more). An id of the packed tables is written as its
    /// `packedWords` (16 bytes, low word first) for the messages.
    private func encodeKey(_ id: UnsafeBufferPointer<UInt8>) {
        let needed = id.count + 1
        if needed > keyCapacity {
            key.deallocate()
            keyCapacity = max(needed, 2 * keyCapacity)
            key = UnsafeMutableRawPointer.allocate(byteCount: keyCapacity, alignment: 8)
        }
        key.storeBytes(of: 0, as: UInt8.self)
        (key + 1).copyMemory(from: id.baseAddress!, byteCount: id.count)
        keyCount = needed
    }

    @inline(__always)
    func storeWords(_ words: (high: UInt64, low: UInt64)) {
        key.storeBytes(of: words.low.littleEndian, toByteOffset: 0, as: UInt64.self)
        key.storeBytes(of: words.high.littleEndian, toByteOffset: 8, as: UInt64.self)
        keyCount = 16
    }

    /// The id a key was made from.
    static func decodeKey(_ key: UnsafeRawBufferPointer) -> String {
        if key.count == 16 {
            return RecordID(packedHigh: UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                        low: UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self))).string
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: key[1...]), as: UTF8.self)
    }

    /// Writes a place as `appendPlace` does, at `bytes` (room for 53 bytes); returns its length.
    @inline(__always)
    private static func writePlace(_ site: ReferenceSite, _ location: SourceLocation,
                                   to bytes: UnsafeMutableRawPointer) -> Int {
        var length = 0
        RawBytes.writeVarint(location.offset, to: bytes, &length)
        RawBytes.writeVarint(location.line, to: bytes, &length)
        RawBytes.writeVarint(location.column, to: bytes, &length)
        RawBytes.writeVarint(site.record, to: bytes, &length)
        RawBytes.writeVarint(site.listIndex + 1, to: bytes, &length)
        bytes.storeBytes(of: UInt8(site.section.ordinal), toByteOffset: length, as: UInt8.self)
        bytes.storeBytes(of: site.field.rawValue, toByteOffset: length + 1, as: UInt8.self)
        bytes.storeBytes(of: site.leaf.rawValue, toByteOffset: length + 2, as: UInt8.self)
        return length + 3
    }

    static func appendPlace(_ site: ReferenceSite, _ location: SourceLocation, to bytes: inout [UInt8]) {
        RawBytes.appendVarint(location.offset, to: &bytes)
        RawBytes.appendVarint(location.line, to: &bytes)
        RawBytes.appendVarint(location.column, to: &bytes)
        RawBytes.appendVarint(site.record, to: &bytes)
        RawBytes.appendVarint(site.listIndex + 1, to: &bytes)
        bytes.append(UInt8(site.section.ordinal))
        bytes.append(site.field.rawValue)
        bytes.append(site.leaf.rawValue)
    }

    static func readPlace(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> (site: ReferenceSite, location: SourceLocation) {
        let offset = RawBytes.readVarint(bytes, &position)
        let line = RawBytes.readVarint(bytes, &position)
        let column = RawBytes.readVarint(bytes, &position)
        let record = RawBytes.readVarint(bytes, &position)
        let listIndex = RawBytes.readVarint(bytes, &position) - 1
        let section = Section.allCases[Int(bytes[position])]
        let field = Field(rawValue: bytes[position + 1]) ?? .none
        let leaf = Field(rawValue: bytes[position + 2]) ?? .none
        position += 3
        return (ReferenceSite(section: section, record: record, field: field, listIndex: listIndex, leaf: leaf),
                SourceLocation(offset: offset, line: line, column: column))
    }

    static func ioError(_ error: Error) -> DocumentError {
        if let error = error as? DocumentError { return error }
        return .io("reference tables: \(error)")
    }
}
