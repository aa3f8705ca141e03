/// The three kinds of AiCOCO output FLaVor writes, told apart by their top-level keys.
public enum AiCOCOKind: String, Sendable, Equatable, CaseIterable {
    /// `images`, `annotations`, `categories`, `regressions`, `objects`, `meta`.
    case image
    /// `tables`, `categories`, `regressions`, `records` (a reference to a JSON-lines
    /// artifact), `meta` with `window_size`.
    case tabular
    /// The image sections plus `tables`; `meta` may carry `table_ids`.
    case hybrid

    /// The top-level keys a document of this kind has, in the order FLaVor writes them.
    public var sections: [AiCOCOSection] {
        switch self {
        case .image: [.images, .annotations, .categories, .regressions, .objects, .meta]
        case .tabular: [.tables, .categories, .regressions, .records, .meta]
        case .hybrid: [.images, .tables, .annotations, .categories, .regressions, .objects, .meta]
        }
    }
}

/// One entry of `tables`: an input table (a CSV file) of a tabular or hybrid output.
public struct AiTable: Sendable, Equatable {
    public var id: String
    public var fileName: String
    /// Every other field, in file order.
    public var extra: [JSONMember]

    public init(id: String, fileName: String, extra: [JSONMember] = []) {
        self.id = id
        self.fileName = fileName
        self.extra = extra
    }
}

/// The `records` object of a tabular output: where its records are (a JSON-lines artifact)
/// and how many rows and bytes it has.
public struct AiRecordsReference: Sendable, Equatable {
    /// `format`; only `jsonl` is defined.
    public var format: String
    /// `href`, e.g. `/invocations/artifacts/records_x.jsonl`: the artifact is looked for under
    /// its last path component beside the document.
    public var href: String
    /// Number of records (lines) in the artifact.
    public var rows: Int
    /// Size of the artifact in bytes.
    public var bytes: Int
    public var extra: [JSONMember]

    public init(format: String = "jsonl", href: String, rows: Int, bytes: Int, extra: [JSONMember] = []) {
        self.format = format
        self.href = href
        self.rows = rows
        self.bytes = bytes
        self.extra = extra
    }

    /// The artifact's file name: the last path component of `href`.
    public var fileName: String {
        String(href.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
    }
}

/// One line of a tabular output's records artifact: the prediction for a window of rows of
/// one table.
public struct AiTabularRecord: Sendable, Equatable {
    public var id: String
    public var tableID: String
    /// The rows of the table this record is about (`window_size` of them).
    public var rowIndexes: [Int]
    /// `category_ids`, or `nil` where the line says `null`.
    public var categoryIDs: [String]?
    /// `regressions`, or `nil` where the line says `null`.
    public var regressions: [AiRegressionItem]?
    /// Every other field, in file order.
    public var extra: [JSONMember]

    public init(id: String, tableID: String, rowIndexes: [Int], categoryIDs: [String]?,
                regressions: [AiRegressionItem]?, extra: [JSONMember] = []) {
        self.id = id
        self.tableID = tableID
        self.rowIndexes = rowIndexes
        self.categoryIDs = categoryIDs
        self.regressions = regressions
        self.extra = extra
    }
}

/// An operation on images and annotations (`convert`, `filter`) was given a tabular output,
/// which has neither: there is nothing to do. Hybrid outputs are handled through their image part.
public struct NothingToDoForTabular: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was asked, e.g. "convert to COCO".
    public var operation: String

    public init(operation: String) { self.operation = operation }

    public var description: String {
        "a tabular output (tables, with its records in a JSON-lines artifact) has no images or annotations: nothing to \(operation)"
    }
}
