// The reference checker's problems: kept in a table as they are found, given back in the order
// of the document with their messages.

extension ReferenceChecker {
    enum ProblemKind: UInt8 {
        case duplicate, dangling, duplicateIndex
    }

    /// Keeps a problem for the end: key = offset and order of discovery (big-endian, so that
    /// bytes sort as numbers); payload = kind, target, count, place, then the id's key.
    func addProblem(_ kind: ProblemKind, target: Section, site: ReferenceSite, location: SourceLocation,
                            count: Int, key idKey: UnsafeRawBufferPointer? = nil) throws {
        var sortKey: [UInt8] = []
        sortKey.reserveCapacity(16)
        for value in [UInt64(location.offset), UInt64(problemCount)] {
            for shift in stride(from: 56, through: 0, by: -8) { sortKey.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        problemCount += 1
        var bytes: [UInt8] = [kind.rawValue, UInt8(target.ordinal)]
        RawBytes.appendVarint(count, to: &bytes)
        Self.appendPlace(site, location, to: &bytes)
        bytes.append(contentsOf: idKey ?? UnsafeRawBufferPointer(start: key, count: keyCount))
        try sortKey.withUnsafeBytes { sortKey in try bytes.withUnsafeBytes { try problems.append(key: sortKey, payload: $0) } }
    }

    func problem(_ payload: UnsafeRawBufferPointer) -> DocumentError {
        let kind = ProblemKind(rawValue: payload[0])!
        let target = Section.allCases[Int(payload[1])]
        var position = 2
        let count = RawBytes.readVarint(payload, &position)
        let place = Self.readPlace(payload, &position)
        let id = Self.decodeKey(UnsafeRawBufferPointer(rebasing: payload[position...]))
        let message: String
        switch kind {
        case .duplicateIndex:
            let index = ImageIndexes.value(UnsafeRawBufferPointer(rebasing: payload[position...]))
            return DocumentError(kind: .semantic, message: "another image has the index \(formatJSONNumber(index)): an index orders an image among the others (a slice in its series), so no two may be equal",
                               path: place.site.path, location: place.location)
        case .duplicate:
            message = "duplicate id \(jsonQuoted(id)): another \(Self.noun(target)) has the same id"
        case .dangling:
            var text = "\(place.site.describedSource) refers to \(Self.noun(target)) \(jsonQuoted(id)), which is not in \(target.rawValue)"
            if count > 1 { text += " (\(count) references to this id; this is the first)" }
            message = text
        }
        // Inline records (FLaVor 2.1.0 to 2.2.1) are in the document, at `$.records[i]`.
        let path = rowsInline && place.site.section == .rows ? "$.records" + place.site.path.dropFirst() : place.site.path
        return DocumentError(kind: .reference, message: message, path: path, location: place.location)
    }
}
