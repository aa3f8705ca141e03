import AiCOCO
import ArgumentParser

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count what an AiCOCO file holds: records per section, polygons, points, bboxes, speed.",
        usage: "aicoco stats [--json] [<options>] [<file>]",
        discussion: """
        Reads the file once through the event API (no record is built), in constant memory.

        Examples:
          aicoco stats Fixtures/segmentation-series.json
          aicoco stats --json big.json | jq .points
          aicoco generate --bytes 200M | aicoco stats -
        """
    )

    @OptionGroup var input: InputOptions

    @OptionGroup var artifact: RecordsArtifactOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let progress = input.makeProgress()
        let total = progress == nil ? nil : regularFileSize(input)
        let start = now()
        var options = ParserOptions(limits: input.limits, memoryLimit: input.memoryLimit)
        options.recordsArtifact = artifact.source
        var parser = AiCOCOParser(visitor: SectionCounts(memoryLimit: input.memoryLimit), options: options)
        var counts: SectionCounts
        do {
            try parser.parse(input.input) { progress?.update(bytes: $0, total: total) }
            counts = parser.visitor
            try counts.finish()
        } catch {
            progress?.finish(bytes: parser.bytesFed, total: total, succeeded: false)
            throw report(error, file: input.displayName)
        }
        let elapsed = now() - start
        let bytes = parser.bytesFed
        progress?.finish(bytes: bytes, total: total)
        let rate = elapsed > 0 ? Double(bytes) / elapsed / 1e6 : 0
        do {
            if json {
                try printData(counts.json(bytes: bytes, elapsed: elapsed, rate: rate))
            } else {
                try printData(counts.text(file: input.displayName, bytes: bytes, elapsed: elapsed, rate: rate))
            }
        } catch {
            throw report(error, file: input.displayName)
        }
    }
}

/// What `stats` counts, from the parser's events: records whole except annotations, whose
/// fields and coordinate chunks are counted as they stream by.
struct SectionCounts: AiCOCOVisitor {
    var images = 0, annotations = 0, categories = 0, regressions = 0, objects = 0
    var polygons = 0, points = 0, bboxes = 0, nullSegmentations = 0
    var metaCategoryIDs = 0, metaRegressions = 0
    var taskType: String?
    /// Tabular and hybrid outputs.
    var tables = 0, tabularRecords = 0
    var windowSize: Int?
    var artifactRows: Int?
    /// The meta section's predictions (a classification's category ids, a regression's values),
    /// named at the end from the categories and regressions.
    var metaCategoryIDList: [String] = []
    var metaRegressionItems: [AiRegressionItem] = []
    var regressionNames: [String: (name: String, unit: String?)] = [:]
    /// Objects per category id, then named at the end (categories may come after objects).
    var objectsPerCategoryID: [String: Int] = [:]
    var categoryNames: [String: String] = [:]
    /// Annotations per image joined with the images' indexes (images may come after
    /// annotations), within the memory limit.
    let tally: AnnotatedImageTally
    var imageSpan: AnnotatedImageTally.Span?
    /// Coordinate numbers of the polygon being read.
    private var polygonValues = 0

    init(memoryLimit: Int) {
        tally = AnnotatedImageTally(memoryLimit: memoryLimit)
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
            categoryNames[category.id] = category.name
        case .regression(let regression):
            regressions += 1
            regressionNames[regression.id] = (regression.name, regression.unit)
        case .object(let object):
            objects += 1
            for id in object.categoryIDs ?? [] { objectsPerCategoryID[id, default: 0] += 1 }
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
        polygonValues += chunk.values.count
        if chunk.endsPolygon {
            points += polygonValues / 2
            polygonValues = 0
        }
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        annotations += 1
        if let count = fields.polygonCount { polygons += count } else { nullSegmentations += 1 }
        bboxes += fields.bboxCount ?? 0
        try tally.addAnnotation(imageID: fields.imageID)
    }

    mutating func visitAnnotationDropped(index: Int) throws {
        polygonValues = 0
    }

    /// Joins the annotation counts with the images.
    mutating func finish() throws {
        imageSpan = try tally.finish()
    }

    /// Objects per category name, most first.
    var objectsPerCategory: [(name: String, count: Int)] {
        var byName: [String: Int] = [:]
        for (id, count) in objectsPerCategoryID { byName[categoryNames[id] ?? id, default: 0] += count }
        return byName.map { ($0.key, $0.value) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
    }

    func json(bytes: Int, elapsed: Double, rate: Double) -> String {
        var fields = [
            "\"images\":\(images)", "\"annotations\":\(annotations)", "\"categories\":\(categories)",
            "\"regressions\":\(regressions)", "\"objects\":\(objects)", "\"polygons\":\(polygons)",
            "\"points\":\(points)", "\"bboxes\":\(bboxes)", "\"bytes\":\(bytes)",
            "\"elapsed_seconds\":\(fixed(elapsed, 3))", "\"mb_per_second\":\(fixed(rate, 1))",
        ]
        if tables > 0 || artifactRows != nil {
            fields.append("\"tables\":\(tables)")
            fields.append("\"tabular_records\":\(tabularRecords)")
            if let windowSize { fields.append("\"window_size\":\(windowSize)") }
        }
        let perCategory = objectsPerCategory.map { "\(JSONText.quoted($0.name)):\($0.count)" }
        fields.append("\"objects_per_category\":{\(perCategory.joined(separator: ","))}")
        let predicted = metaCategoryIDList.map { JSONText.quoted(categoryNames[$0] ?? $0) }
        let values = metaRegressionItems.map { item in
            let regression = regressionNames[item.regressionID]
            return "{\"name\":\(JSONText.quoted(regression?.name ?? item.regressionID)),\"value\":\(JSONText.number(item.value))"
                + (regression?.unit.map { ",\"unit\":\(JSONText.quoted($0))" } ?? "") + "}"
        }
        fields.append("\"meta\":{\"category_ids\":\(metaCategoryIDs),\"regressions\":\(metaRegressions),\"task_type\":\(taskType.map(JSONText.quoted) ?? "null"),\"predicted_categories\":[\(predicted.joined(separator: ","))],\"regression_values\":[\(values.joined(separator: ","))]}")
        if let span = imageSpan {
            fields.append("\"annotated_images\":{\"count\":\(span.images),\"min_index\":\(JSONText.number(span.minIndex)),\"max_index\":\(JSONText.number(span.maxIndex)),\"min_annotations\":\(span.fewest),\"max_annotations\":\(span.most)}")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    func text(file: String, bytes: Int, elapsed: Double, rate: Double) -> String {
        var lines = [
            "file:         \(file)",
            "bytes:        \(bytes) (\(formatBytes(bytes)))",
            "images:       \(images)",
            "annotations:  \(annotations)",
            "categories:   \(categories)",
            "regressions:  \(regressions)",
            "objects:      \(objects)",
            "polygons:     \(polygons)",
            "points:       \(points) coordinate pairs",
            "bboxes:       \(bboxes)",
            "meta:         \(metaCategoryIDs) category ids, \(metaRegressions) regressions"
                + (taskType.map { ", task \($0)" } ?? ""),
        ]
        if tables > 0 || artifactRows != nil {
            lines.append("tables:       \(tables)")
            lines.append("tabular records: \(tabularRecords)" + (windowSize.map { ", window size \($0)" } ?? ""))
        }
        let perCategory = objectsPerCategory
        if !perCategory.isEmpty {
            lines.append("objects per category: " + perCategory.map { "\($0.name) \($0.count)" }.joined(separator: ", "))
        }
        if let span = imageSpan {
            lines.append("annotated images: \(span.images), index \(JSONText.number(span.minIndex))...\(JSONText.number(span.maxIndex)), \(span.fewest) to \(span.most) annotations each")
        }
        lines.append("elapsed:      \(fixed(elapsed, 3)) s, \(fixed(rate, 1)) MB/s")
        return lines.joined(separator: "\n")
    }
}
