/// Where a reference (or an id) stands in the document, kept compactly until it must be
/// written out as a JSON path.
struct ReferenceSite: Sendable {
    var section: AiCOCOSection
    var record: Int
    var field: Field
    /// Index in the list the value is in (`category_ids[i]`, `regressions[i]`), or -1.
    var listIndex = -1
    /// The key inside a list item (`regression_id`), or `.none`.
    var leaf = Field.none

    var path: String {
        var text = "$." + section.rawValue
        if section != .meta { text += "[\(record)]" }
        text += "." + field.jsonKey
        if listIndex >= 0 { text += "[\(listIndex)]" }
        if leaf != .none { text += "." + leaf.jsonKey }
        return text
    }

    var describedSource: String {
        switch section {
        case .images: "image"
        case .annotations: "annotation"
        case .categories: "category"
        case .regressions: "regression"
        case .objects: "object"
        case .meta: "meta"
        }
    }
}

/// A set of ids kept as their bytes in one arena, found through an open-addressing table:
/// about the size of the ids plus 12 bytes each, never a `String` per id.
struct CompactIDSet {
    private var arena: [UInt8] = []
    /// 0 = empty; otherwise `(offset + 1) << 24 | length`.
    private var slots: [UInt64] = Array(repeating: 0, count: 64)
    private var hashes: [UInt32] = Array(repeating: 0, count: 64)
    private(set) var count = 0

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash ^ (hash >> 29)
    }

    /// Adds `id`; returns false if it was already there.
    mutating func insert(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { insert(bytes: $0) }
    }

    func contains(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { find($0).found }
    }

    private func find(_ bytes: UnsafeBufferPointer<UInt8>) -> (found: Bool, slot: Int) {
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        let tag = UInt32(truncatingIfNeeded: hash >> 32)
        while true {
            let entry = slots[slot]
            if entry == 0 { return (false, slot) }
            if hashes[slot] == tag {
                let length = Int(entry & 0xFF_FFFF)
                let offset = Int(entry >> 24) - 1
                if length == bytes.count, arena.withUnsafeBufferPointer({
                    UnsafeBufferPointer(rebasing: $0[offset..<offset + length]).elementsEqual(bytes)
                }) {
                    return (true, slot)
                }
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func insert(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let (found, slot) = find(bytes)
        if found { return false }
        let offset = arena.count
        arena.append(contentsOf: bytes)
        slots[slot] = UInt64(offset + 1) << 24 | UInt64(min(bytes.count, 0xFF_FFFF))
        hashes[slot] = UInt32(truncatingIfNeeded: Self.hash(bytes) >> 32)
        count += 1
        if count * 2 > slots.count { grow() }
        return true
    }

    private mutating func grow() {
        let oldSlots = slots
        slots = Array(repeating: 0, count: oldSlots.count * 2)
        hashes = Array(repeating: 0, count: oldSlots.count * 2)
        let mask = slots.count - 1
        arena.withUnsafeBufferPointer { arena in
            for entry in oldSlots where entry != 0 {
                let length = Int(entry & 0xFF_FFFF)
                let offset = Int(entry >> 24) - 1
                let bytes = UnsafeBufferPointer(rebasing: arena[offset..<offset + length])
                let hash = Self.hash(bytes)
                var slot = Int(truncatingIfNeeded: hash) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = entry
                hashes[slot] = UInt32(truncatingIfNeeded: hash >> 32)
            }
        }
    }
}

/// Checks ids and references in one pass, whatever the order of the sections: ids unique in
/// each section; references to a section already read are checked at once, the others are
/// kept (one entry per distinct id, with its first place) and checked at the end.
final class ReferenceChecker {
    private var defined = Array(repeating: CompactIDSet(), count: AiCOCOSection.allCases.count)
    private var completed: UInt32 = 0

    struct Pending {
        var site: ReferenceSite
        var location: SourceLocation
        var count: Int
    }

    private var pending = Array(repeating: [String: Pending](), count: AiCOCOSection.allCases.count)

    private static func noun(_ section: AiCOCOSection) -> String {
        switch section {
        case .images: "image"
        case .annotations: "annotation"
        case .categories: "category"
        case .regressions: "regression"
        case .objects: "object"
        case .meta: "meta"
        }
    }

    /// Records the id of a record; returns the error if the section already has it.
    func define(_ section: AiCOCOSection, id: String, site: ReferenceSite, at location: SourceLocation) -> AiCOCOError? {
        if defined[section.ordinal].insert(id) { return nil }
        return AiCOCOError(kind: .reference,
                           message: "duplicate id \(jsonQuoted(id)): another \(Self.noun(section)) has the same id",
                           path: site.path, location: location)
    }

    /// A reference from `site` to an id of `target`; returns the error if it is known to dangle.
    func reference(to target: AiCOCOSection, id: String, site: ReferenceSite,
                   at location: SourceLocation) -> AiCOCOError? {
        if defined[target.ordinal].contains(id) { return nil }
        if completed & (1 << UInt32(target.ordinal)) != 0 {
            return dangling(target, id: id, site: site, location: location, count: 1)
        }
        pending[target.ordinal][id, default: Pending(site: site, location: location, count: 0)].count += 1
        return nil
    }

    func sectionCompleted(_ section: AiCOCOSection) {
        completed |= 1 << UInt32(section.ordinal)
        // References seen before this section are resolved now, so that the pending table
        // never holds more than the ids still unknown.
        var stillPending: [String: Pending] = [:]
        for (id, entry) in pending[section.ordinal] where !defined[section.ordinal].contains(id) {
            stillPending[id] = entry
        }
        pending[section.ordinal] = stillPending
    }

    /// The references never resolved, in file order.
    func unresolved() -> [AiCOCOError] {
        var errors: [AiCOCOError] = []
        for section in AiCOCOSection.allCases {
            for (id, entry) in pending[section.ordinal] where !defined[section.ordinal].contains(id) {
                errors.append(dangling(section, id: id, site: entry.site, location: entry.location, count: entry.count))
            }
        }
        return errors.sorted { $0.location.offset < $1.location.offset }
    }

    private func dangling(_ target: AiCOCOSection, id: String, site: ReferenceSite, location: SourceLocation,
                          count: Int) -> AiCOCOError {
        var message = "\(site.describedSource) refers to \(Self.noun(target)) \(jsonQuoted(id)), which is not in \(target.rawValue)"
        if count > 1 { message += " (\(count) references to this id; this is the first)" }
        return AiCOCOError(kind: .reference, message: message, path: site.path, location: location)
    }
}
