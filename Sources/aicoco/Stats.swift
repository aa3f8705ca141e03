import AiCOCO
import ArgumentParser

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count what an AiCOCO file holds: records per section, polygons, points, bboxes, speed.",
        usage: "aicoco stats [--json] [<options>] [<file>]",
        discussion: """
        Reads the file once through the typed record API, in constant memory.

        Examples:
          aicoco stats Fixtures/segmentation-series.json
          aicoco stats --json big.json | jq .points
          aicoco generate --bytes 200M | aicoco stats -
        """
    )

    @OptionGroup var input: InputOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let progress = input.makeProgress()
        let start = now()
        let reader = AiCOCORecordReader(input.input, options: RecordReaderOptions(parser: ParserOptions(limits: input.limits, memoryLimit: input.memoryLimit)))
        var counts = SectionCounts()
        do {
            var seen = 0
            while let record = try reader.next() {
                counts.add(record)
                seen += 1
                if let progress, seen & 255 == 0 {
                    progress.update(bytes: reader.bytesRead, total: reader.totalBytes)
                }
            }
        } catch {
            progress?.finish(bytes: reader.bytesRead, total: reader.totalBytes)
            throw report(error, file: input.displayName)
        }
        let elapsed = now() - start
        let bytes = reader.bytesRead
        progress?.finish(bytes: bytes, total: reader.totalBytes)
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

/// What `stats` counts, from records only.
struct SectionCounts {
    var images = 0, annotations = 0, categories = 0, regressions = 0, objects = 0
    var polygons = 0, points = 0, bboxes = 0, nullSegmentations = 0
    var metaCategoryIDs = 0, metaRegressions = 0
    var taskType: String?
    /// Objects per category id, then named at the end (categories may come after objects).
    var objectsPerCategoryID: [String: Int] = [:]
    var categoryNames: [String: String] = [:]
    /// Annotations per image id, and each image's index (images may come after annotations).
    var annotationsPerImageID: [String: Int] = [:]
    var imageIndex: [String: Double] = [:]

    mutating func add(_ record: AiCOCORecord) {
        switch record {
        case .image(let image):
            images += 1
            imageIndex[image.id] = image.index
        case .annotation(let annotation):
            annotations += 1
            if let segmentation = annotation.segmentation {
                polygons += segmentation.count
                points += segmentation.pointCount
            } else {
                nullSegmentations += 1
            }
            bboxes += annotation.bbox?.count ?? 0
            annotationsPerImageID[annotation.imageID, default: 0] += 1
        case .category(let category):
            categories += 1
            categoryNames[category.id] = category.name
        case .regression:
            regressions += 1
        case .object(let object):
            objects += 1
            for id in object.categoryIDs ?? [] { objectsPerCategoryID[id, default: 0] += 1 }
        case .meta(let meta):
            metaCategoryIDs = meta.categoryIDs?.count ?? 0
            metaRegressions = meta.regressions?.count ?? 0
            taskType = meta.taskType?.rawValue
        }
    }

    /// Objects per category name, most first.
    var objectsPerCategory: [(name: String, count: Int)] {
        var byName: [String: Int] = [:]
        for (id, count) in objectsPerCategoryID { byName[categoryNames[id] ?? id, default: 0] += count }
        return byName.map { ($0.key, $0.value) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
    }

    /// Over the images that have annotations: lowest and highest image index, and
    /// fewest and most annotations on one image.
    var imageSpan: (minIndex: Double, maxIndex: Double, images: Int, fewest: Int, most: Int)? {
        var span: (Double, Double, Int, Int, Int)?
        for (id, count) in annotationsPerImageID {
            guard let index = imageIndex[id] else { continue }
            if let current = span {
                span = (min(current.0, index), max(current.1, index), current.2 + 1, min(current.3, count),
                        max(current.4, count))
            } else {
                span = (index, index, 1, count, count)
            }
        }
        return span
    }

    func json(bytes: Int, elapsed: Double, rate: Double) -> String {
        var fields = [
            "\"images\":\(images)", "\"annotations\":\(annotations)", "\"categories\":\(categories)",
            "\"regressions\":\(regressions)", "\"objects\":\(objects)", "\"polygons\":\(polygons)",
            "\"points\":\(points)", "\"bboxes\":\(bboxes)", "\"bytes\":\(bytes)",
            "\"elapsed_seconds\":\(fixed(elapsed, 3))", "\"mb_per_second\":\(fixed(rate, 1))",
        ]
        let perCategory = objectsPerCategory.map { "\(JSONText.quoted($0.name)):\($0.count)" }
        fields.append("\"objects_per_category\":{\(perCategory.joined(separator: ","))}")
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
