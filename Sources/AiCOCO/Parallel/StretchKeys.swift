/// A `validate` worker's visitor of annotations: notes only their ids (id, image, object for
/// each) for the skeleton's tables. The parser checks each record as it reads it; no line is
/// rendered, since `validate` writes none (see `checkSplitting`).
struct StretchKeys: AnnotationPart {
    private(set) var keys: [RecordID] = []

    /// Handed over whole, at the end of the stretch.
    var isFull: Bool { false }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        keys.append(fields.idKey)
        keys.append(fields.imageKey)
        keys.append(fields.objectKey)
    }
}
