/// A `validate` worker's visitor of annotations: notes only their ids (see `StretchIDs`) for the
/// skeleton's tables. The parser checks each record as it reads it; no line is rendered, since
/// `validate` writes none (see `checkSplitting`).
struct StretchKeys: AnnotationPart {
    private(set) var ids = StretchIDs()

    /// Handed over whole, at the end of the stretch.
    var isFull: Bool { false }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        ids.note(fields)
    }
}

/// The ids a worker notes from a stretch of annotations, for the skeleton's tables: every
/// annotation's id, and the ids it refers to (image, object), a reference dropped when the
/// annotation before it in the stretch referred to the same id.
///
/// Dropping and reordering within a stretch is sound because the split path gives only a
/// verdict: whether the tables find any problem at all (any sends the caller to the one-thread
/// path, which finds and places every problem). References to the same id from one stretch,
/// given at once, all hold or all fail but the dropped ones' counts; and no definition of an
/// image or an object comes between the references of one stretch.
struct StretchIDs: Sendable {
    private(set) var annotations = IDList()
    private(set) var images = IDList()
    private(set) var objects = IDList()

    mutating func note(_ fields: AnnotationFields) {
        annotations.append(fields.idKey, droppingRepeat: false)
        images.append(fields.imageKey, droppingRepeat: true)
        objects.append(fields.objectKey, droppingRepeat: true)
    }

    /// Gives the ids to the skeleton's tables, as the one-thread parse does while it reads the
    /// stretch; false when a table's temporary file failed. (Their places are not the ones in
    /// the file: any problem about them sends the caller back to the one-thread path, which
    /// places it.) Packed ids go to the packed tables straight, not decoded.
    func check(in checker: ReferenceChecker) -> Bool {
        let location = SourceLocation(offset: 1 << 48, line: 0, column: 0)
        let site = ReferenceSite(section: .annotations, record: 0, field: .id)
        let packed = annotations.packed
        var index = 0
        while index + 1 < packed.count {
            let words = (high: packed[index], low: packed[index + 1])
            index += 2
            if checker.definePacked(.annotations, words, site: site, at: location) != nil { return false }
        }
        for id in annotations.others {
            if id.withUTF8({ checker.defineAnnotation(id: $0, packed: id, site: site, at: location) }) != nil { return false }
        }
        return Self.refer(images, to: .images, field: .imageID, in: checker, at: location)
            && Self.refer(objects, to: .objects, field: .objectID, in: checker, at: location)
    }

    private static func refer(_ ids: IDList, to target: Section, field: Field, in checker: ReferenceChecker,
                              at location: SourceLocation) -> Bool {
        let site = ReferenceSite(section: .annotations, record: 0, field: field)
        let packed = ids.packed
        var index = 0
        while index + 1 < packed.count {
            let words = (high: packed[index], low: packed[index + 1])
            index += 2
            if checker.referencePacked(to: target, words, site: site, at: location) != nil { return false }
        }
        for id in ids.others {
            let failure = id.withUTF8 { checker.reference(to: target, packed: id, id: $0, site: site, at: { location }) }
            if failure != nil { return false }
        }
        return true
    }
}

/// Ids noted in order: those `RecordID` packs into two words as those words (no `RecordID`
/// kept: nothing to retain), the others as they are.
struct IDList: Sendable {
    /// The packed ids' words, high then low for each.
    private(set) var packed: [UInt64] = []
    private(set) var others: [RecordID] = []
    /// Whether the last id noted was packed (it ends `packed`) or not (it ends `others`).
    private var lastPacked: Bool?

    /// Notes `id`, unless `droppingRepeat` and it is the last one noted.
    mutating func append(_ id: RecordID, droppingRepeat: Bool) {
        if let words = id.packedWords {
            if droppingRepeat, lastPacked == true, packed[packed.count - 2] == words.high,
               packed[packed.count - 1] == words.low { return }
            packed.append(words.high)
            packed.append(words.low)
            lastPacked = true
        } else {
            if droppingRepeat, lastPacked == false, others.last == id { return }
            others.append(id)
            lastPacked = false
        }
    }
}
