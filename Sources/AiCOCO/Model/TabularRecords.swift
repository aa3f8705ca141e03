extension DocumentForm {
    /// The three kinds of AiCOCO output FLaVor writes, told apart by their top-level keys.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// `images`, `annotations`, `categories`, `regressions`, `objects`, `meta`.
        case image
        /// `tables`, `categories`, `regressions`, `records` (a reference to a JSON-lines
        /// artifact), `meta` with `window_size`.
        case tabular
        /// The image sections plus `tables`; `meta` may carry `table_ids`.
        case hybrid

        /// The top-level keys a document of this kind has, in the order FLaVor writes them.
        public var sections: [Section] {
            switch self {
            case .image: [.images, .annotations, .categories, .regressions, .objects, .meta]
            case .tabular: [.tables, .categories, .regressions, .records, .meta]
            case .hybrid: [.images, .tables, .annotations, .categories, .regressions, .objects, .meta]
            }
        }
    }
}

/// One entry of `tables`: an input table (a CSV file) of a tabular or hybrid output.
public struct Table: Sendable, Equatable {
    /// `id`.
    public var id: String
    /// `file_name`: the table's CSV file.
    public var fileName: String
    /// Every other field, in file order.
    public var extra: [JSONMember]

    /// A table.
    public init(id: String, fileName: String, extra: [JSONMember] = []) {
        (self.id, self.fileName, self.extra) = (id, fileName, extra)
    }
}

/// The `records` object of a tabular output: where its records are (a JSON-lines artifact)
/// and how many rows and bytes it has.
public struct RecordsReference: Sendable, Equatable {
    /// `format`; only `jsonl` is defined.
    public var format: String
    /// `href`, e.g. `/invocations/artifacts/records_x.jsonl`: the artifact is looked for under
    /// its last path component beside the document.
    public var href: String
    /// Number of records (lines) in the artifact.
    public var rows: Int
    /// Size of the artifact in bytes.
    public var bytes: Int
    /// Every other field, in file order.
    public var extra: [JSONMember]
    /// How the document wrote it: `records.href` (FLaVor 2.2.3) or `records_file.path` (2.2.2,
    /// whose path `href` then holds).
    public var form: RecordsReference.Form

    /// A reference; `form` says which key holds `href`.
    public init(format: String = "jsonl", href: String, rows: Int, bytes: Int, extra: [JSONMember] = [],
                form: RecordsReference.Form = .href) {
        (self.format, self.href, self.rows, self.bytes, self.extra, self.form)
            = (format, href, rows, bytes, extra, form)
    }

    /// The key path of `href` as the document writes it: `records.href` or `records_file.path`.
    public var locationKey: String { form == .recordsFile ? "records_file.path" : "records.href" }

    /// The artifact's file name: the last path component of `href`.
    public var fileName: String {
        String(href.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
    }
}

extension RecordsReference {
    /// Where a tabular output's records are, in the forms FLaVor's releases wrote.
    public enum Form: String, Sendable, Equatable, CaseIterable {
        /// `"records": [{...}, ...]`, the records themselves (FLaVor 2.1.0 to 2.2.1).
        case inline
        /// `"records_file": {"format", "path", "rows", "bytes"}`, a JSON-lines artifact at a server
        /// path (FLaVor 2.2.2).
        case recordsFile = "records_file"
        /// `"records": {"format", "href", "rows", "bytes"}`, a JSON-lines artifact (FLaVor 2.2.3).
        case href

        /// The FLaVor releases that write this form.
        public var flavorReleases: String {
            switch self {
            case .inline: "2.1.0 to 2.2.1"
            case .recordsFile: "2.2.2"
            case .href: "2.2.3"
            }
        }
    }
}

/// What a document is: its kind and, for a tabular output, the form of its records; with the
/// FLaVor releases whose outputs have that form.
public struct DocumentForm: Sendable, Equatable {
    /// Image, tabular or hybrid.
    public var kind: DocumentForm.Kind
    /// Tabular outputs only.
    public var records: RecordsReference.Form?

    /// A form; `records` only for tabular outputs.
    public init(kind: DocumentForm.Kind, records: RecordsReference.Form? = nil) {
        self.kind = kind
        self.records = records
    }

    /// The FLaVor releases that write documents of this form (image and hybrid outputs have
    /// kept one form from 2.1.0 on).
    public var flavorReleases: String { records?.flavorReleases ?? "2.1.0 to 2.2.3" }

    /// E.g. `tabular output, records inline`.
    public var described: String {
        let records: String
        switch self.records {
        case .inline?: records = ", records inline"
        case .recordsFile?: records = ", records in records_file.path"
        case .href?: records = ", records in records.href"
        case nil: records = ""
        }
        return "\(kind.rawValue) output\(records)"
    }
}

/// One line of a tabular output's records artifact: the prediction for a window of rows of
/// one table.
public struct TabularRecord: Sendable, Equatable {
    /// `id`.
    public var id: String
    /// `table_id`: the table whose rows this record is about.
    public var tableID: String
    /// The rows of the table this record is about (`window_size` of them).
    public var rowIndexes: [Int]
    /// `category_ids`, or `nil` where the line says `null`.
    public var categoryIDs: [String]?
    /// `regressions`, or `nil` where the line says `null`.
    public var regressions: [RegressionItem]?
    /// Every other field, in file order.
    public var extra: [JSONMember]

    /// A tabular record.
    public init(id: String, tableID: String, rowIndexes: [Int], categoryIDs: [String]?,
                regressions: [RegressionItem]?, extra: [JSONMember] = []) {
        (self.id, self.tableID, self.rowIndexes, self.categoryIDs, self.regressions, self.extra)
            = (id, tableID, rowIndexes, categoryIDs, regressions, extra)
    }
}

/// An operation on images and annotations (`convert`, `filter`) was given a tabular output,
/// which has neither: there is nothing to do. Hybrid outputs are handled through their image part.
public struct NothingToDoForTabular: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was asked, e.g. "convert to COCO".
    public var operation: String

    /// The error for `operation`.
    public init(operation: String) { self.operation = operation }

    /// The message, naming the operation.
    public var description: String {
        "a tabular output (tables, with its records in a JSON-lines artifact) has no images or annotations: nothing to \(operation)"
    }
}

extension DocumentForm {
    /// `{"kind":"tabular","records":"inline","flavor_releases":"2.1.0 to 2.2.1"}`.
    /// As `stats --json` and `validate --format json` give it ("document").
    package var jsonText: String {
        "{\"kind\":\"\(kind.rawValue)\",\"records\":\(records.map { "\"\($0.rawValue)\"" } ?? "null"),\"flavor_releases\":\"\(flavorReleases)\"}"
    }
}
