// What `aicoco stats --json` prints, for the C API: the same counts from the same events.
import AiCOCO

/// The counts of `aicoco stats` (`SectionCounts` of the command, which lives in the executable
/// target): records whole except annotations, whose fields and coordinate chunks are counted as
/// they stream by. The Python tests hold the two to the same output on every fixture.
struct StatsCounts: DocumentVisitor {
    var images = 0, annotations = 0, categories = 0, regressions = 0, objects = 0
    var polygons = 0, points = 0, bboxes = 0
    var metaCategoryIDs = 0, metaRegressions = 0
    var taskType: String?
    var tables = 0, tabularRecords = 0
    var windowSize: Int?
    var artifactRows: Int?
    var metaCategoryIDList: [String] = []
    var metaRegressionItems: [AiRegressionItem] = []
    let tally: AnnotatedImageTally
    var imageSpan: AnnotatedImageTally.Span?
    let categoryTally: CategoryTally
    var metaNames = CategoryTally.Names()
    /// The document's kind and form (`stats --json`'s "document"), and its NaN and infinities.
    var form: AiCOCODocumentForm?
    var nonFinite = NonFiniteCounts()
    private var polygonValues = 0

    init(memoryLimit: Int) {
        tally = AnnotatedImageTally(memoryLimit: memoryLimit)
        categoryTally = CategoryTally(sharingBudgetOf: tally)
    }

    mutating func visit(_ record: AiCOCORecord, index: Int) throws {
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

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        guard chunk.kind == .segmentation else { return }
        polygonValues += chunk.count
        if chunk.endsPolygon {
            points += polygonValues / 2
            polygonValues = 0
        }
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        annotations += 1
        if let count = fields.polygonCount { polygons += count }
        bboxes += fields.bboxCount ?? 0
        try tally.addAnnotation(imageKey: fields.imageKey)
    }

    mutating func visitAnnotationDropped(index: Int) throws {
        polygonValues = 0
    }

    mutating func finish() throws {
        imageSpan = try tally.finish()
        metaNames = try categoryTally.finish(metaCategoryIDs: metaCategoryIDList,
                                             metaRegressionIDs: metaRegressionItems.map(\.regressionID))
    }

    /// The object `stats --json` prints, in its key order.
    func json(bytes: Int, elapsed: Double) throws -> String {
        let rate = elapsed > 0 ? Double(bytes) / elapsed / 1e6 : 0
        var fields = [
            "\"images\":\(images)", "\"annotations\":\(annotations)", "\"categories\":\(categories)",
            "\"regressions\":\(regressions)", "\"objects\":\(objects)", "\"polygons\":\(polygons)",
            "\"points\":\(points)", "\"bboxes\":\(bboxes)", "\"bytes\":\(bytes)",
            "\"elapsed_seconds\":\(JSONText.number((elapsed * 1000).rounded() / 1000))",
            "\"mb_per_second\":\(JSONText.number((rate * 10).rounded() / 10))",
        ]
        if tables > 0 || artifactRows != nil {
            fields.append("\"tables\":\(tables)")
            fields.append("\"tabular_records\":\(tabularRecords)")
            if let windowSize { fields.append("\"window_size\":\(windowSize)") }
        }
        if let form { fields.append("\"document\":" + form.jsonText) }
        if nonFinite.total > 0 {
            fields.append("\"non_finite\":{\"NaN\":\(nonFinite.nan),\"Infinity\":\(nonFinite.infinity),\"-Infinity\":\(nonFinite.negativeInfinity)}")
        }
        var text = "{" + fields.joined(separator: ",") + ",\"objects_per_category\":{"
        var first = true
        try categoryTally.forEachObjectCount { name, count in
            if !first { text += "," }
            first = false
            text += "\(JSONText.quoted(name)):\(count)"
        }
        text += "}"
        let predicted = metaNames.categories.map { JSONText.quoted($0) }
        let values = zip(metaRegressionItems, metaNames.regressions).map { item, regression in
            "{\"name\":\(JSONText.quoted(regression?.name ?? item.regressionID)),\"value\":\(JSONText.number(item.value))"
                + (regression?.unit.map { ",\"unit\":\(JSONText.quoted($0))" } ?? "") + "}"
        }
        text += ",\"meta\":{\"category_ids\":\(metaCategoryIDs),\"regressions\":\(metaRegressions),\"task_type\":\(taskType.map(JSONText.quoted) ?? "null"),\"predicted_categories\":[\(predicted.joined(separator: ","))],\"regression_values\":[\(values.joined(separator: ","))]}"
        if let span = imageSpan {
            text += ",\"annotated_images\":{\"count\":\(span.images),\"min_index\":\(JSONText.number(span.minIndex)),\"max_index\":\(JSONText.number(span.maxIndex)),\"min_annotations\":\(span.fewest),\"max_annotations\":\(span.most)}"
        }
        return text + "}"
    }
}
