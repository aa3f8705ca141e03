/// The reference checks of ids `RecordID` packs into two words (inline ids of up to 15 bytes and
/// nanoids, what FLaVor writes): the same three tables and the same join as for other ids,
/// on fixed-width entries (`PackedTable`) whose places wait in the `PlaceLog` until a
/// problem needs them. Packed and other ids never equal each other, so the two sets of
/// tables are checked apart; problems from both are reported together, in file order.
extension ReferenceChecker {
    private static func logged(_ site: ReferenceSite, _ location: SourceLocation) -> PlaceLog.Place {
        PlaceLog.Place(offset: location.offset, line: location.line, column: location.column, record: site.record,
                       listIndex: site.listIndex, section: UInt8(site.section.ordinal), field: site.field.rawValue,
                       leaf: site.leaf.rawValue)
    }

    private static func site(_ place: PlaceLog.Place) -> (site: ReferenceSite, location: SourceLocation) {
        (ReferenceSite(section: Section.allCases[Int(place.section)], record: place.record,
                       field: Field(rawValue: place.field) ?? .none, listIndex: place.listIndex,
                       leaf: Field(rawValue: place.leaf) ?? .none),
         SourceLocation(offset: place.offset, line: place.line, column: place.column))
    }

    /// Records an id of `section` (its `packedWords`).
    func definePacked(_ section: Section, _ words: (high: UInt64, low: UInt64), site: ReferenceSite,
                      at location: SourceLocation) -> DocumentError? {
        let table = packedDefined[section.ordinal]
        do {
            if table.find(high: words.high, low: words.low) != nil {
                storeWords(words)
                try addProblem(.duplicate, target: section, site: site, location: location, count: 1)
                return nil
            }
            let ordinal = try places.append(Self.logged(site, location))
            try table.add(high: words.high, low: words.low, ordinal: ordinal)
            return nil
        } catch {
            return Self.ioError(error)
        }
    }

    /// A reference to an id of `target` (its `packedWords`).
    func referencePacked(to target: Section, _ words: (high: UInt64, low: UInt64), site: ReferenceSite,
                         at location: @autoclosure () -> SourceLocation) -> DocumentError? {
        do {
            if packedDefined[target.ordinal].find(high: words.high, low: words.low) != nil { return nil }
            if completed & (1 << UInt32(target.ordinal)) != 0 {
                let ordinal = try places.append(Self.logged(site, location()))
                try packedLate[target.ordinal].add(high: words.high, low: words.low, ordinal: ordinal)
                return nil
            }
            let table = packedPending[target.ordinal]
            if let index = table.find(high: words.high, low: words.low) {
                table.addCount(1, at: index)
                return nil
            }
            let ordinal = try places.append(Self.logged(site, location()))
            try table.add(high: words.high, low: words.low, ordinal: ordinal, count: 1)
            return nil
        } catch {
            return Self.ioError(error)
        }
    }

    /// The join of `target`'s packed tables, as `join` does for the others: every definition
    /// of an id but the first is a duplicate; the references made before the section was
    /// complete to an id it lacks are one problem at the earliest, with their count; those
    /// made after, one problem each.
    func joinPacked(_ target: Section) throws {
        let index = target.ordinal
        let tables = (packedDefined[index], packedPending[index], packedLate[index])
        if tables.0.isEmpty && tables.1.isEmpty && tables.2.isEmpty { return }
        let definitions = try tables.0.sorted()
        let before = try tables.1.sorted()
        let after = try tables.2.sorted()
        while true {
            // (No array of the three streams: that would be an allocation per id.)
            var smallest: PackedTable.Entry?
            if !definitions.atEnd { smallest = definitions.current }
            if !before.atEnd, smallest == nil || before.current.idPrecedes(smallest!) { smallest = before.current }
            if !after.atEnd, smallest == nil || after.current.idPrecedes(smallest!) { smallest = after.current }
            guard let id = smallest else { break }
            storeWords((id.high, id.low))
            // Definitions come from the document in file order: the first ordinal is the first.
            var isDefined = false
            while !definitions.atEnd && definitions.current.sameID(id) {
                if isDefined {
                    let place = Self.site(try places.place(Int(definitions.current.ordinal)))
                    try addProblem(.duplicate, target: target, site: place.site, location: place.location, count: 1)
                }
                isDefined = true
                try definitions.advance()
            }
            var earliest: (site: ReferenceSite, location: SourceLocation)?
            var count = 0
            while !before.atEnd && before.current.sameID(id) {
                if !isDefined {
                    // References from a records artifact come later but have their own offsets.
                    let place = Self.site(try places.place(Int(before.current.ordinal)))
                    count += Int(before.current.count)
                    if earliest == nil || place.location.offset < earliest!.location.offset { earliest = place }
                }
                try before.advance()
            }
            if let earliest {
                try addProblem(.dangling, target: target, site: earliest.site, location: earliest.location, count: count)
            }
            while !after.atEnd && after.current.sameID(id) {
                if !isDefined {
                    let place = Self.site(try places.place(Int(after.current.ordinal)))
                    try addProblem(.dangling, target: target, site: place.site, location: place.location, count: 1)
                }
                try after.advance()
            }
        }
        tables.0.reset()
        tables.1.reset()
        tables.2.reset()
    }
}
