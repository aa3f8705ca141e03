// The counts of `aicoco stats` and of the C ABI's `aicoco_stats`, from the parser's events.

/// What an AiCOCO document holds, counted from the parser's events in one pass: records whole
/// except annotations, whose fields and coordinate chunks are counted as they stream by. Joins
/// annotations with their images' indexes and objects with their categories' names within a
/// memory limit (the spilling tables), whatever the order of the sections.
///
///     var parser = DocumentParser(visitor: SectionCounts(memoryLimit: limit), options: options)
///     try parser.parse(input)
///     var counts = parser.visitor
///     try counts.finish(form: parser.documentForm, nonFinite: parser.nonFiniteCounts)
public struct SectionCounts: DocumentVisitor {
    /// Records of each section but annotations.
    public internal(set) var images = 0, categories = 0, regressions = 0, objects = 0
    /// Annotations, their polygons, coordinate pairs and bboxes.
    var totals = AnnotationTotals()
    /// Annotations.
    public var annotations: Int { totals.annotations }
    /// Polygons of the segmentations.
    public var polygons: Int { totals.polygons }
    /// Coordinate pairs of the segmentations.
    public var points: Int { totals.points }
    /// Bboxes.
    public var bboxes: Int { totals.bboxes }
    /// Annotations whose segmentation is null.
    public var nullSegmentations: Int { totals.nullSegmentations }
    /// Entries of the meta's `category_ids` and `regressions`.
    public internal(set) var metaCategoryIDs = 0, metaRegressions = 0
    /// The meta's task type.
    public internal(set) var taskType: String?
    /// Tables and tabular records (tabular and hybrid outputs).
    public internal(set) var tables = 0, tabularRecords = 0
    /// The meta's window size (tabular outputs).
    public internal(set) var windowSize: Int?
    /// The rows a records artifact's reference declares.
    public internal(set) var artifactRows: Int?
    /// The document's kind and form of records (and so the FLaVor releases that write it).
    public internal(set) var form: DocumentForm?
    /// `NaN`, `Infinity`, `-Infinity` read (`allowNonFinite`).
    public internal(set) var nonFinite = NonFiniteCounts()
    /// The meta's predicted category ids, held whole as the meta record is (named by `finish`).
    public internal(set) var metaCategoryIDList: [String] = []
    /// The meta's regression values, held whole as the meta record is (named by `finish`).
    public internal(set) var metaRegressionItems: [RegressionItem] = []
    /// The annotated images' span of indexes and annotations each (after `finish`).
    package private(set) var imageSpan: AnnotatedImageTally.Span?
    /// The names of the meta's predicted categories and regressions (after `finish`).
    package private(set) var metaNames = CategoryTally.Names()
    /// Annotations per image joined with the images' indexes (images may come after annotations).
    let tally: AnnotatedImageTally
    /// Objects per category and the names of categories and regressions (they may come after
    /// the objects and the meta), within the same memory limit.
    private let categoryTally: CategoryTally
    /// Counts holding at most about `memoryLimit` bytes of ids in memory (the rest spills to
    /// temporary files).
    public init(memoryLimit: Int) {
        tally = AnnotatedImageTally(memoryLimit: memoryLimit)
        categoryTally = CategoryTally(sharingBudgetOf: tally)
    }

    /// Counts a whole record (any but an annotation).
    public mutating func visit(_ record: Record, index: Int) throws {
        switch record {
        case .image(let image):
            images += 1
            try tally.addImage(id: image.id, index: image.index)
        case .annotation:
            break
        case .category(let category):
            categories += 1
            try categoryTally.addCategory(id: category.id, name: category.name)
        case .regression(let regression):
            regressions += 1
            try categoryTally.addRegression(id: regression.id, name: regression.name, unit: regression.unit)
        case .object(let object):
            objects += 1
            try categoryTally.addObject(categoryIDs: object.categoryIDs ?? [])
        case .meta(let meta):
            metaCategoryIDs = meta.categoryIDs?.count ?? 0
            metaRegressions = meta.regressions?.count ?? 0
            taskType = meta.taskType?.rawValue
            windowSize = meta.windowSize
            metaCategoryIDList = meta.categoryIDs ?? []
            metaRegressionItems = meta.regressions ?? []
        case .table:
            tables += 1
        case .recordsReference(let reference):
            artifactRows = reference.rows
        case .tabularRecord:
            tabularRecords += 1
        }
    }

    /// Counts a segmentation's coordinate pairs as they stream by.
    public mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        totals.count(chunk)
    }

    /// Counts an annotation, its polygons and bboxes, and its image's annotations.
    public mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        totals.count(fields)
        try tally.addAnnotation(imageKey: fields.imageKey)
    }

    /// Forgets the coordinates of an annotation dropped before its end.
    public mutating func visitAnnotationDropped(index: Int) throws {
        totals.drop()
    }

    /// Once the document is read: takes the parser's `documentForm` and `nonFiniteCounts`, joins
    /// the annotation counts with the images, and the categories and regressions with the
    /// objects and the meta.
    public mutating func finish(form: DocumentForm?, nonFinite: NonFiniteCounts) throws {
        self.form = form
        self.nonFinite = nonFinite
        imageSpan = try tally.finish()
        metaNames = try categoryTally.finish(metaCategoryIDs: metaCategoryIDList,
                                             metaRegressionIDs: metaRegressionItems.map(\.regressionID))
    }

    /// Calls `body` with each category's name and objects, most objects first, then by name
    /// (after `finish`; there may be millions: they are read back from the tables). Once.
    public func forEachObjectCount(_ body: (_ name: String, _ objects: Int) throws -> Void) throws {
        try categoryTally.forEachObjectCount(body)
    }
}
