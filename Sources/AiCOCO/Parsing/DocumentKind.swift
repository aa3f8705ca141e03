/// Which of the three kinds of output (image, tabular, hybrid) a document is, from its
/// top-level keys: a document that fits none is one schema error naming the closest kind and
/// what differs from it.
struct DocumentOutline {
    var documentStarted = false
    var documentEnded = false
    /// The top-level keys read, one bit per section ordinal.
    var sectionsSeen: UInt32 = 0
    /// Where each top-level key is (by section ordinal), for the kind check at the end.
    var keyPlaces = [SourceLocation?](repeating: nil, count: Section.allCases.count)
    /// The `meta` object's start and the fields it had, for the kind check at the end.
    var metaSeen: (start: SourceLocation, fields: UInt32, readAsTabular: Bool)?
    /// The `records` reference of a tabular output (when valid), and `meta.window_size`.
    var recordsReference: RecordsReference?
    var windowSize: Int?
    /// How the document gives its tabular records, from its key (`records_file`) or the
    /// value's type (`records` holding an array: inline).
    var recordsForm: RecordsReference.Form?
    /// Inline records read before `meta.window_size`: per count of row indexes (a few at most
    /// are kept), how many records had it and the first one's `row_indexes` place and path.
    var rowCountsUnchecked: [(rows: Int, records: Int, start: SourceLocation, path: String)] = []

    /// Whether the top-level key of `section` has been read.
    func saw(_ section: Section) -> Bool { sectionsSeen & (1 << UInt32(section.ordinal)) != 0 }

    /// The kind of the document read (once it has ended): the closest to its keys.
    func closestKind() -> (kind: DocumentForm.Kind, missing: [Section], extra: [Section]) {
        let seen = Section.documentKeys.filter { saw($0) }
        var best: (kind: DocumentForm.Kind, missing: [Section], extra: [Section])?
        for kind in DocumentForm.Kind.allCases {
            let missing = kind.sections.filter { !seen.contains($0) }
            let extra = seen.filter { !kind.sections.contains($0) }
            if best == nil || missing.count + extra.count < best!.missing.count + best!.extra.count {
                best = (kind, missing, extra)
            }
        }
        return best!
    }

    /// The document's kind, once it has ended with the keys of one.
    var documentKind: DocumentForm.Kind? {
        guard documentEnded else { return nil }
        let closest = closestKind()
        return closest.missing.isEmpty && closest.extra.isEmpty ? closest.kind : nil
    }
}

extension DocumentEngine {
    mutating func checkKind(documentStart: SourceLocation) throws(EngineStop) {
        let (kind, missing, extra) = outline.closestKind()
        if !missing.isEmpty || !extra.isEmpty {
            let quoted = { (sections: [Section]) in sections.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") }
            var parts: [String] = []
            if !missing.isEmpty {
                parts.append((missing.count == 1 ? "missing required top-level key " : "missing required top-level keys ")
                             + quoted(missing))
            }
            if !extra.isEmpty {
                parts.append("top-level key\(extra.count == 1 ? "" : "s") \(quoted(extra)) \(extra.count == 1 ? "does" : "do") not belong there")
            }
            let message = parts.joined(separator: "; ") + " (closest kind: \(kind.rawValue) output, with "
                + kind.sections.map(\.rawValue).joined(separator: ", ") + ")"
            // Placed on the first key that does not belong, else on the document's `{`.
            if let first = extra.compactMap({ section in outline.keyPlaces[section.ordinal].map { (section, $0) } })
                .min(by: { $0.1.offset < $1.1.offset }) {
                return try problem(.schema, message, at: first.1, path: "$." + first.0.rawValue)
            }
            return try problem(.schema, message, at: documentStart, path: "$")
        }
        guard let meta = outline.metaSeen else { return }
        let hasWindow = meta.fields & Field.windowSize.bit != 0
        if kind == .tabular && !hasWindow && !meta.readAsTabular {
            return try problem(.schema, "missing required key \"window_size\" (the meta of a tabular output)",
                           at: meta.start, path: "$.meta")
        }
        if kind != .tabular && hasWindow {
            return try problem(.schema, "\"window_size\" belongs to tabular outputs; the meta of \(kind == .image ? "an image" : "a hybrid") output has \"category_ids\" and \"regressions\"",
                           at: meta.start, path: "$.meta")
        }
        if kind != .hybrid && meta.fields & Field.tableIDs.bit != 0 {
            return try problem(.schema, "\"table_ids\" belongs to hybrid outputs (images and tables)",
                           at: meta.start, path: "$.meta")
        }
        if kind == .hybrid && options.strict {
            return try strictHybridMeta(fields: meta.fields, at: meta.start)
        }
        return
    }
}
