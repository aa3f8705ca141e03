import AiCOCO
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count what an AiCOCO file holds: records per section, polygons, points, bboxes, speed.",
        usage: "aicoco stats [--json] [<options>] [<file> ...]",
        discussion: """
        Reads the file once through the event API (no record is built), in constant memory.

        Examples:
          aicoco stats output.json
          aicoco stats --json big.json | jq .points
          aicoco stats --json series/*.json \\
            | jq -r '[.file, .annotations] | @tsv'
          aicoco generate --bytes 200M | aicoco stats -
        """
    )

    @OptionGroup var input: InputOptions

    @Argument(help: ArgumentHelp("More AiCOCO files: each is counted in turn and its report written in argument order (a blank line between text reports; with --json, one object per line, each with its \"file\").", valueName: "file"), completion: .file())
    var moreFiles: [String] = []

    @OptionGroup var artifact: RecordsArtifactOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    /// Exit 0 when every file is counted, 1 when one is invalid, 2 when one cannot be read (the
    /// others are still counted), as `validate` does.
    func run() throws {
        let files = [input.displayName] + moreFiles
        var status: Int32 = 0
        for (number, file) in files.enumerated() {
            let code = count(file, separated: number > 0 && !json, named: files.count > 1)
            if code == ExitStatus.cannotRead || status == 0 { status = max(status, code) }
            if code == -1 { break }
        }
        if status > 0 { throw ExitCode(status) }
    }

    /// Counts one file and writes its report; the exit code it calls for (-1: standard output
    /// went away, stop quietly).
    func count(_ file: String, separated: Bool, named: Bool) -> Int32 {
        let progress = input.makeProgress()
        let total = progress == nil ? nil : regularFileSize(path: file)
        let start = now()
        var options = ParserOptions(limits: input.limits, memoryLimit: input.memoryLimit)
        options.recordsArtifact = artifact.source
        options.allowNonFinite = input.limitOptions.allowNan
        var parser = DocumentParser(visitor: SectionCounts(memoryLimit: input.memoryLimit), options: options)
        var counts: SectionCounts
        do {
            try parser.parse(AiCOCOInput(argument: file)) { progress?.update(bytes: $0, total: total) }
            counts = parser.visitor
            counts.form = parser.documentForm
            counts.nonFinite = parser.nonFiniteCounts
            try counts.finish()
        } catch {
            progress?.finish(bytes: parser.bytesFed, total: total, succeeded: false)
            return report(error, file: file).rawValue
        }
        let elapsed = now() - start
        let bytes = parser.bytesFed
        progress?.finish(bytes: bytes, total: total)
        let rate = elapsed > 0 ? Double(bytes) / elapsed / 1e6 : 0
        do {
            if json {
                try counts.writeJSON(file: named ? file : nil, bytes: bytes, elapsed: elapsed, rate: rate)
            } else {
                if separated { try writeData("\n") }
                try counts.writeText(file: file, bytes: bytes, elapsed: elapsed, rate: rate)
            }
        } catch is OutputClosed {
            return -1
        } catch {
            return report(error, file: file).rawValue
        }
        return 0
    }
}

/// What `stats` counts, from the parser's events: records whole except annotations, whose
/// fields and coordinate chunks are counted as they stream by.
struct SectionCounts: DocumentVisitor {
    var images = 0, annotations = 0, categories = 0, regressions = 0, objects = 0
    var polygons = 0, points = 0, bboxes = 0, nullSegmentations = 0
    var metaCategoryIDs = 0, metaRegressions = 0
    var taskType: String?
    /// Tabular and hybrid outputs.
    var tables = 0, tabularRecords = 0
    var windowSize: Int?
    var artifactRows: Int?
    /// The document's kind and form of records (and so the FLaVor releases that write it).
    var form: AiCOCODocumentForm?
    /// `NaN`, `Infinity`, `-Infinity` read (`--allow-nan`).
    var nonFinite = NonFiniteCounts()
    /// The meta section's predictions (a classification's category ids, a regression's values),
    /// named at the end from the categories and regressions.
    /// (Held whole, as the meta record is: bounded by `--max-record-bytes`.)
    var metaCategoryIDList: [String] = []
    var metaRegressionItems: [AiRegressionItem] = []
    /// Annotations per image joined with the images' indexes (images may come after
    /// annotations), within the memory limit.
    let tally: AnnotatedImageTally
    var imageSpan: AnnotatedImageTally.Span?
    /// Objects per category and the names of categories and regressions (they may come after
    /// the objects and the meta), within the same memory limit.
    let categoryTally: CategoryTally
    var metaNames = CategoryTally.Names()
    /// Coordinate numbers of the polygon being read.
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
        if let count = fields.polygonCount { polygons += count } else { nullSegmentations += 1 }
        bboxes += fields.bboxCount ?? 0
        try tally.addAnnotation(imageKey: fields.imageKey)
    }

    mutating func visitAnnotationDropped(index: Int) throws {
        polygonValues = 0
    }

    /// Joins the annotation counts with the images, and the categories and regressions with
    /// the objects and the meta.
    mutating func finish() throws {
        imageSpan = try tally.finish()
        metaNames = try categoryTally.finish(metaCategoryIDs: metaCategoryIDList,
                                             metaRegressionIDs: metaRegressionItems.map(\.regressionID))
    }

    /// Writes `text` then, for each category (most objects first, then by name), `item(name,
    /// count)` joined by `separator`, then `end`, to standard output in pieces (there may be
    /// millions of categories). Once.
    func writeObjectsPerCategory(_ text: String, item: (String, Int) -> String, separator: String, end: String) throws {
        var buffer = text
        var first = true
        try categoryTally.forEachObjectCount { name, count in
            if !first { buffer += separator }
            first = false
            buffer += item(name, count)
            if buffer.utf8.count >= 1 << 16 {
                try writeData(buffer)
                buffer = ""
            }
        }
        try writeData(buffer + end)
    }

    /// `file`: the file's name as a first field (when several files are counted).
    func writeJSON(file: String? = nil, bytes: Int, elapsed: Double, rate: Double) throws {
        var fields = file.map { ["\"file\":\(JSONText.quoted($0))"] } ?? []
        fields += [
            "\"images\":\(images)", "\"annotations\":\(annotations)", "\"categories\":\(categories)",
            "\"regressions\":\(regressions)", "\"objects\":\(objects)", "\"polygons\":\(polygons)",
            "\"points\":\(points)", "\"bboxes\":\(bboxes)", "\"bytes\":\(bytes)",
            "\"elapsed_seconds\":\(fixed(elapsed, 3))", "\"mb_per_second\":\(fixed(rate, 1))",
        ]
        if let form { fields.append("\"document\":" + form.jsonText) }
        if nonFinite.total > 0 {
            fields.append("\"non_finite\":{\"NaN\":\(nonFinite.nan),\"Infinity\":\(nonFinite.infinity),\"-Infinity\":\(nonFinite.negativeInfinity)}")
        }
        if tables > 0 || artifactRows != nil {
            fields.append("\"tables\":\(tables)")
            fields.append("\"tabular_records\":\(tabularRecords)")
            if let windowSize { fields.append("\"window_size\":\(windowSize)") }
        }
        let head = "{" + fields.joined(separator: ",") + ",\"objects_per_category\":{"
        fields = []
        let predicted = metaNames.categories.map { JSONText.quoted($0) }
        let values = zip(metaRegressionItems, metaNames.regressions).map { item, regression in
            return "{\"name\":\(JSONText.quoted(regression?.name ?? item.regressionID)),\"value\":\(JSONText.number(item.value))"
                + (regression?.unit.map { ",\"unit\":\(JSONText.quoted($0))" } ?? "") + "}"
        }
        fields.append("\"meta\":{\"category_ids\":\(metaCategoryIDs),\"regressions\":\(metaRegressions),\"task_type\":\(taskType.map(JSONText.quoted) ?? "null"),\"predicted_categories\":[\(predicted.joined(separator: ","))],\"regression_values\":[\(values.joined(separator: ","))]}")
        if let span = imageSpan {
            fields.append("\"annotated_images\":{\"count\":\(span.images),\"min_index\":\(JSONText.number(span.minIndex)),\"max_index\":\(JSONText.number(span.maxIndex)),\"min_annotations\":\(span.fewest),\"max_annotations\":\(span.most)}")
        }
        try writeObjectsPerCategory(head, item: { "\(JSONText.quoted($0)):\($1)" }, separator: ",",
                                    end: "}," + fields.joined(separator: ",") + "}\n")
    }

    func writeText(file: String, bytes: Int, elapsed: Double, rate: Double) throws {
        var lines = [
            "file:         \(file)",
            "bytes:        \(bytes) (\(formatBytes(bytes)))",
            "kind:         " + (form.map { "\($0.described) (FLaVor \($0.flavorReleases))" } ?? "unknown"),
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
        if !metaNames.categories.isEmpty {
            lines.append("predicted:    " + metaNames.categories.joined(separator: ", "))
        }
        if !metaRegressionItems.isEmpty {
            let values = zip(metaRegressionItems, metaNames.regressions).map { item, regression in
                "\(regression?.name ?? item.regressionID) \(JSONText.number(item.value))" + (regression?.unit.map { " \($0)" } ?? "")
            }
            lines.append("regression values: " + values.joined(separator: ", "))
        }
        if tables > 0 || artifactRows != nil {
            lines.append("tables:       \(tables)")
            lines.append("tabular records: \(tabularRecords)" + (windowSize.map { ", window size \($0)" } ?? ""))
        }
        if nonFinite.total > 0 {
            lines.append("non-finite:   \(nonFinite.total) (NaN \(nonFinite.nan), Infinity \(nonFinite.infinity), -Infinity \(nonFinite.negativeInfinity))")
        }
        var rest: [String] = []
        if let span = imageSpan {
            rest.append("annotated images: \(span.images), index \(JSONText.number(span.minIndex))...\(JSONText.number(span.maxIndex)), \(span.fewest) to \(span.most) annotations each")
        }
        rest.append("elapsed:      \(fixed(elapsed, 3)) s, \(fixed(rate, 1)) MB/s")
        // "objects per category: A 3, B 2" on its own line, only when some object has a category.
        var head = lines.joined(separator: "\n") + "\n"
        var any = false
        try writeObjectsPerCategory("", item: { name, count in
            var piece = "\(name) \(count)"
            if !any {
                piece = head + "objects per category: " + piece
                head = ""
                any = true
            }
            return piece
        }, separator: ", ", end: "")
        try writeData((any ? "\n" : head) + rest.joined(separator: "\n") + "\n")
    }
}

/// Writes `text` to standard output as it is (`printData` without the newline).
private func writeData(_ text: String) throws {
    guard !text.isEmpty else { return }
    guard writeStandardOutput(text) else {
        if errno == EPIPE { throw OutputClosed() }
        throw ReportNotWritten(reason: String(cString: strerror(errno)))
    }
}
