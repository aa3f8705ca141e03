/// The top-level sections of AiCOCO documents of every kind (`DocumentForm.Kind.sections` lists
/// those of each kind), and `rows`, the records of a tabular output's JSON-lines artifact.
public enum Section: String, CaseIterable, Sendable, Hashable {
    /// The image-output sections, as the document names them.
    case images, annotations, categories, regressions, objects, meta
    /// The input tables of tabular and hybrid outputs.
    case tables
    /// A tabular output's reference to its records artifact (one object, like `meta`).
    case records
    /// The records of the artifact, one per line (not a key of the document).
    case rows

    /// Sections holding one object rather than an array of records.
    public var isSingleObject: Bool { self == .meta || self == .records }
}

/// A `{"regression_id": ..., "value": ...}` item, as found in images, objects and meta.
public struct RegressionItem: Sendable, Equatable, Hashable {
    /// `regression_id`: the regression this value is for.
    public var regressionID: String
    /// `value`.
    public var value: Double
    /// `value` as the file wrote it, when that is not how a `Double` is written back (`81.0`,
    /// `1e-3`): writers write it as it came. Not part of equality.
    public var valueText: JSONNumber?

    /// An item; `valueText` keeps the number's literal text (see `valueText`).
    public init(regressionID: String, value: Double, valueText: JSONNumber? = nil) {
        (self.regressionID, self.value, self.valueText) = (regressionID, value, valueText)
    }

    /// Equal when the ids and values are (`valueText` is not compared).
    public static func == (a: RegressionItem, b: RegressionItem) -> Bool {
        a.regressionID == b.regressionID && a.value == b.value
    }

    /// Hashes the id and the value, as `==` compares them.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(regressionID)
        hasher.combine(value)
    }
}



/// One entry of `images`.
public struct Image: Sendable, Equatable {
    /// `id`.
    public var id: String
    /// `file_name`.
    public var fileName: String
    /// The image's position in its series (`index`; any JSON number).
    public var index: Double
    /// `category_ids`, or `nil` where the file says `null`.
    public var categoryIDs: [String]?
    /// `regressions`, or `nil` where the file says `null`.
    public var regressions: [RegressionItem]?
    /// Every other field, in file order.
    public var extra: [JSONMember]
    /// `index` as the file wrote it, when a `Double` is not written so (`1.0`); not part of equality.
    public var indexText: JSONNumber?

    /// Equal when every field but `indexText` is.
    public static func == (a: Image, b: Image) -> Bool {
        a.id == b.id && a.fileName == b.fileName && a.index == b.index && a.categoryIDs == b.categoryIDs
            && a.regressions == b.regressions && a.extra == b.extra
    }

    /// An image; `indexText` is left `nil`.
    public init(id: String, fileName: String, index: Double, categoryIDs: [String]?,
                regressions: [RegressionItem]?, extra: [JSONMember] = []) {
        (self.id, self.fileName, self.index, self.categoryIDs, self.regressions, self.extra)
            = (id, fileName, index, categoryIDs, regressions, extra)
    }
}

/// One `[x1, y1, x2, y2]` entry of an annotation's `bbox`.
public struct BoundingBox: Sendable, Equatable, Hashable {
    /// The corners, as the file gives them.
    public var x1: Double, y1: Double, x2: Double, y2: Double

    /// A box from its two corners.
    public init(x1: Double, y1: Double, x2: Double, y2: Double) {
        self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2
    }
}

/// One entry of `annotations`.
public struct Annotation: Sendable, Equatable {
    /// The ids, held without allocation (see `RecordID`); `id`, `imageID` and `objectID` give them as text.
    public var idKey: RecordID
    /// `image_id`, held as `idKey` is.
    public var imageKey: RecordID
    /// `object_id`, held as `idKey` is.
    public var objectKey: RecordID
    /// `id` as text.
    public var id: String {
        get { idKey.string }
        set { idKey = RecordID(newValue) }
    }
    /// `image_id` as text.
    public var imageID: String {
        get { imageKey.string }
        set { imageKey = RecordID(newValue) }
    }
    /// `object_id` as text.
    public var objectID: String {
        get { objectKey.string }
        set { objectKey = RecordID(newValue) }
    }
    /// `iscrowd`: 1 for an RLE mask, 0 otherwise.
    public var iscrowd: Int
    /// `bbox`, or `nil` where the file says `null`.
    public var bbox: [BoundingBox]?
    /// `segmentation`, or `nil` where the file says `null`.
    public var segmentation: Polygons?
    /// Every other field, in file order.
    public var extra: [JSONMember]
    /// `bbox` and `segmentation` as the file wrote them (`DocumentParsing.Options.keepsNumberText`);
    /// not part of equality.
    public var coordinateText: CoordinateText?

    /// An annotation from its ids as text.
    public init(id: String, imageID: String, objectID: String, iscrowd: Int,
                bbox: [BoundingBox]?, segmentation: Polygons?, extra: [JSONMember] = []) {
        self.init(idKey: RecordID(id), imageKey: RecordID(imageID), objectKey: RecordID(objectID), iscrowd: iscrowd,
                  bbox: bbox, segmentation: segmentation, extra: extra)
    }

    /// An annotation from ids already held as `RecordID`s.
    public init(idKey: RecordID, imageKey: RecordID, objectKey: RecordID, iscrowd: Int,
                bbox: [BoundingBox]?, segmentation: Polygons?, extra: [JSONMember] = []) {
        (self.idKey, self.imageKey, self.objectKey, self.iscrowd, self.bbox, self.segmentation, self.extra)
            = (idKey, imageKey, objectKey, iscrowd, bbox, segmentation, extra)
    }
}

/// One entry of `categories`.
public struct Category: Sendable, Equatable {
    /// `id`.
    public var id: String
    /// `name`.
    public var name: String
    /// `supercategory_id`, or `nil` where the file says `null`.
    public var supercategoryID: String?
    /// Optional `color`, e.g. `#FFFFFF`.
    public var color: String?
    /// Every other field, in file order.
    public var extra: [JSONMember]

    /// A category.
    public init(id: String, name: String, supercategoryID: String?, color: String? = nil,
                extra: [JSONMember] = []) {
        (self.id, self.name, self.supercategoryID, self.color, self.extra) = (id, name, supercategoryID, color, extra)
    }
}

/// One entry of `regressions`.
public struct Regression: Sendable, Equatable {
    /// `id`.
    public var id: String
    /// `name`.
    public var name: String
    /// `superregression_id`, or `nil` where the file says `null`.
    public var superregressionID: String?
    /// Optional `unit`, e.g. `mmHg`.
    public var unit: String?
    /// Optional `threshold` when it is a string (as the format shows it); any other
    /// JSON type is kept in `extra` under the same key.
    public var threshold: String?
    /// Every other field, in file order.
    public var extra: [JSONMember]

    /// A regression.
    public init(id: String, name: String, superregressionID: String?, unit: String? = nil,
                threshold: String? = nil, extra: [JSONMember] = []) {
        (self.id, self.name, self.superregressionID, self.unit, self.threshold, self.extra)
            = (id, name, superregressionID, unit, threshold, extra)
    }
}

/// One entry of `objects`: an instance label.
public struct Object: Sendable, Equatable {
    /// `id`.
    public var id: String
    /// `category_ids`, or `nil` where the file says `null`.
    public var categoryIDs: [String]?
    /// `regressions`, or `nil` where the file says `null`.
    public var regressions: [RegressionItem]?
    /// Optional `confidence`.
    public var confidence: Double?
    /// Every other field, in file order.
    public var extra: [JSONMember]
    /// `confidence` as the file wrote it, when a `Double` is not written so (`0.50`); not part
    /// of equality.
    public var confidenceText: JSONNumber?

    /// Equal when every field but `confidenceText` is.
    public static func == (a: Object, b: Object) -> Bool {
        a.id == b.id && a.categoryIDs == b.categoryIDs && a.regressions == b.regressions
            && a.confidence == b.confidence && a.extra == b.extra
    }

    /// An object; `confidenceText` is left `nil`.
    public init(id: String, categoryIDs: [String]?, regressions: [RegressionItem]?,
                confidence: Double? = nil, extra: [JSONMember] = []) {
        (self.id, self.categoryIDs, self.regressions, self.confidence, self.extra)
            = (id, categoryIDs, regressions, confidence, extra)
    }
}

/// The `meta` object: whole-series labels (image and hybrid outputs), the window size
/// (tabular outputs).
public struct Meta: Sendable, Equatable {
    /// `category_ids` (whole-series classes), or `nil` where the file says `null`.
    public var categoryIDs: [String]?
    /// `regressions` (whole-series values), or `nil` where the file says `null`.
    public var regressions: [RegressionItem]?
    /// Optional `task_type`.
    public var taskType: Meta.TaskType?
    /// `window_size`: rows per record of a tabular output.
    public var windowSize: Int?
    /// `table_ids` of a hybrid output, or `nil` where it is `null` or absent.
    public var tableIDs: [String]?
    /// Which of the keys that may be `null` the object has.
    public var keys: Keys
    /// Every other field, in file order.
    public var extra: [JSONMember]

    /// Keys of `meta` whose value may be `null`, so that absent and `null` differ.
    public struct Keys: OptionSet, Sendable, Equatable {
        /// The keys present, one bit each.
        public let rawValue: UInt8
        /// The keys whose bits `rawValue` sets.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// `category_ids`.
        public static let categoryIDs = Keys(rawValue: 1)
        /// `regressions`.
        public static let regressions = Keys(rawValue: 2)
        /// `table_ids`.
        public static let tableIDs = Keys(rawValue: 4)
    }

    /// The meta of an image or hybrid output (`table_ids` is written when given or in `keys`).
    public init(categoryIDs: [String]?, regressions: [RegressionItem]?, taskType: Meta.TaskType? = nil,
                tableIDs: [String]? = nil, keys: Keys? = nil, extra: [JSONMember] = []) {
        (self.categoryIDs, self.regressions, self.taskType, self.windowSize, self.tableIDs)
            = (categoryIDs, regressions, taskType, nil, tableIDs)
        self.keys = keys ?? (tableIDs == nil ? [.categoryIDs, .regressions] : [.categoryIDs, .regressions, .tableIDs])
        self.extra = extra
    }

    /// The meta of a tabular output.
    public init(windowSize: Int, extra: [JSONMember] = []) {
        (self.categoryIDs, self.regressions, self.taskType, self.windowSize, self.tableIDs)
            = (nil, nil, nil, windowSize, nil)
        self.keys = []
        self.extra = extra
    }
}

extension Meta {
    /// The kind of task a whole-series label answers (`meta.task_type`).
    public enum TaskType: String, Sendable, Equatable, CaseIterable {
        /// FLaVor's task types: one class, one of many, any of many.
        case binary, multiclass, multilabel
    }
}

/// A record of any section, as the record API delivers them.
public enum Record: Sendable, Equatable {
    /// An entry of `images`.
    case image(Image)
    /// An entry of `annotations`.
    case annotation(Annotation)
    /// An entry of `categories`.
    case category(Category)
    /// An entry of `regressions`.
    case regression(Regression)
    /// An entry of `objects`.
    case object(Object)
    /// The `meta` object.
    case meta(Meta)
    /// An entry of `tables`.
    case table(Table)
    /// The `records` object of a tabular output (its artifact's reference).
    case recordsReference(RecordsReference)
    /// A line of a tabular output's records artifact.
    case tabularRecord(TabularRecord)

    /// The section this record belongs to.
    public var section: Section {
        switch self {
        case .image: .images
        case .annotation: .annotations
        case .category: .categories
        case .regression: .regressions
        case .object: .objects
        case .meta: .meta
        case .table: .tables
        case .recordsReference: .records
        case .tabularRecord: .rows
        }
    }
}
