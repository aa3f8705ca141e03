import Foundation
import Testing
@testable import AiCOCO

@Suite("Typed records")
struct RecordTests {
    @Test("every good fixture gives the records an independent JSON parser sees", arguments: Paths.goodFixtures)
    func fixtureMatchesOracle(name: String) throws {
        let bytes = try Paths.bytes(Paths.fixture(name))
        let records = try readRecords(.file(Paths.fixture(name)))
        let expected = try oracleRecords(bytes)
        let actual = bySection(records.map(normalizedExtras))
        for section in Section.allCases {
            #expect(actual[section] ?? [] == expected[section] ?? [], "section \(section) of \(name)")
        }
        #expect(records.count == expected.values.reduce(0) { $0 + $1.count })
    }

    @Test("segmentation fixture: fields, polygons and bboxes as written")
    func segmentationContents() throws {
        let records = try readRecords(.file(Paths.fixture("segmentation-series.json")))
        let annotations = records.compactMap { if case .annotation(let a) = $0 { a } else { nil } }
        let images = records.compactMap { if case .image(let i) = $0 { i } else { nil } }
        #expect(images.count == 8)
        #expect(images.map(\.index) == (0..<8).map(Double.init))
        #expect(images.allSatisfy { $0.categoryIDs == nil && $0.regressions == nil })
        #expect(annotations.count == 15)
        let imageIDs = Set(images.map(\.id))
        #expect(annotations.allSatisfy { imageIDs.contains($0.imageID) && $0.iscrowd == 0 })
        // Every id is a 21-character nanoid.
        #expect(annotations.allSatisfy { $0.id.utf8.count == 21 })
        let withTwo = annotations.filter { ($0.segmentation?.count ?? 0) == 2 }
        #expect(!withTwo.isEmpty)
        for annotation in annotations {
            if let polygons = annotation.segmentation {
                for polygon in polygons { #expect(polygon.count % 2 == 0 && polygon.count >= 6) }
                if let box = annotation.bbox?.first {
                    let xs = stride(from: 0, to: polygons.coordinates.count, by: 2).map { polygons.coordinates[$0] }
                    #expect(box.x1 <= xs.min()! && box.x2 >= xs.max()!)
                }
            }
        }
    }

    @Test("extras keep every field the format does not name, in file order, with literal numbers")
    func extrasKept() throws {
        let records = try readRecords(.file(Paths.fixture("extras.json")))
        guard case .meta(let meta) = records.first else {
            Issue.record("meta comes first in extras.json")
            return
        }
        #expect(meta.taskType == .binary)
        #expect(meta.extra.map(\.key) == ["model", "thresholds", "deterministic"])
        #expect(meta.extra[key: "deterministic"] == .bool(true))
        if case .array(let thresholds) = meta.extra[key: "thresholds"] {
            #expect(thresholds.map { if case .number(let n) = $0 { n.literal } else { "" } } == ["0.5", "0.25", "1.5e-3", "-2E+2"])
        } else {
            Issue.record("thresholds is an array")
        }
        let annotation = records.compactMap { if case .annotation(let a) = $0 { a } else { nil } }.first!
        #expect(annotation.segmentation?.coordinates.first == 10.5)
        #expect(annotation.bbox == [BoundingBox(x1: 10, y1: 20, x2: 30.75, y2: 40.5)])
        let text = records.flatMap { record -> [JSONMember] in
            switch record {
            case .image(let i): i.extra
            case .category(let c): c.extra
            default: []
            }
        }
        #expect(text.contains { if case .number(let n) = $0.value { n.literal == "12345678901234567890" } else { false } })
    }

    @Test("chunk boundaries change no record: 1-byte, odd and single chunks", arguments: Paths.goodFixtures)
    func chunkInvariance(name: String) throws {
        let bytes = try Paths.bytes(Paths.fixture(name))
        let whole = try readRecordsChunked(bytes, chunkSizes: [bytes.count])
        #expect(try readRecordsChunked(bytes, chunkSizes: [1]) == whole)
        #expect(try readRecordsChunked(bytes, chunkSizes: [7, 1, 3, 64, 2]) == whole)
        #expect(try readRecords(.bytes(bytes)) == whole)
    }

    @Test("chunk boundaries on a generated document with long polygons")
    func chunkInvarianceGenerated() throws {
        let (bytes, _) = generate(bytes: 400_000, seed: 3, shape: .long)
        let whole = try readRecordsChunked(bytes, chunkSizes: [bytes.count])
        #expect(try readRecordsChunked(bytes, chunkSizes: [1, 2, 3, 5, 8, 13, 4093]) == whole)
        #expect(try readRecordsChunked(bytes, chunkSizes: [65_537]) == whole)
    }

    @Test("key order and pretty-printing change no record")
    func orderAndPrettyInvariance() throws {
        let compact = generate(bytes: 300_000, seed: 5).bytes
        let reference = bySection(try readRecords(.bytes(compact)).map(normalizedExtras))
        let orders: [[Section]] = [
            [.meta, .annotations, .objects, .categories, .regressions, .images],
            [.annotations, .images, .meta, .regressions, .categories, .objects],
        ]
        for order in orders {
            let other = bySection(try readRecords(.bytes(generate(bytes: 300_000, seed: 5, order: order).bytes))
                .map(normalizedExtras))
            #expect(other == reference, "order \(order)")
        }
        // The same document pretty-printed by Foundation (other key order inside records too).
        let object = try JSONSerialization.jsonObject(with: Data(compact))
        let pretty = Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
        #expect(pretty.count > compact.count * 2)
        #expect(bySection(try readRecords(.bytes(pretty)).map(normalizedExtras)) == reference)
        // And the generator's own pretty output matches Foundation's reading of it.
        let generatedPretty = generate(bytes: 300_000, seed: 5, pretty: true).bytes
        #expect(generatedPretty.contains(UInt8(ascii: "\n")))
        let expected = try oracleRecords(generatedPretty)
        let actual = bySection(try readRecords(.bytes(generatedPretty)).map(normalizedExtras))
        for section in Section.allCases { #expect(actual[section] ?? [] == expected[section] ?? []) }
    }

    @Test("records come out in file order, as they are read")
    func fileOrder() throws {
        let order: [Section] = [.meta, .annotations, .objects, .categories, .regressions, .images]
        let generated = generate(bytes: 100_000, seed: 2, order: order, shape: .detection).bytes
        let records = try readRecords(.bytes(generated))
        var sectionsInOrder: [Section] = []
        for record in records where sectionsInOrder.last != record.section { sectionsInOrder.append(record.section) }
        #expect(sectionsInOrder == order)
    }

    @Test("the generator's own counts match what is read")
    func generatorCounts() throws {
        let (bytes, summary) = generate(bytes: 2_000_000, seed: 9)
        let records = try readRecords(.bytes(bytes))
        var counts = [Section: Int]()
        var polygons = 0, points = 0, bboxes = 0
        for record in records {
            counts[record.section, default: 0] += 1
            if case .annotation(let a) = record {
                polygons += a.segmentation?.count ?? 0
                points += a.segmentation?.pointCount ?? 0
                bboxes += a.bbox?.count ?? 0
            }
        }
        #expect(counts[.images] == summary.images)
        #expect(counts[.annotations] == summary.annotations)
        #expect(counts[.categories] == summary.categories)
        #expect(counts[.regressions, default: 0] == summary.regressions)
        #expect(counts[.objects] == summary.objects)
        #expect(polygons == summary.polygons && points == summary.points && bboxes == summary.bboxes)
        #expect(bytes.count == summary.bytes)
        #expect(abs(Double(bytes.count) - 2_000_000) < 200_000)
    }

    @Test("the generator is deterministic and seeded")
    func generatorDeterminism() {
        #expect(generate(bytes: 50_000, seed: 4).bytes == generate(bytes: 50_000, seed: 4).bytes)
        #expect(generate(bytes: 50_000, seed: 4).bytes != generate(bytes: 50_000, seed: 5).bytes)
    }

    @Test("generated documents match the independent parser too")
    func generatedMatchesOracle() throws {
        let (bytes, _) = generate(bytes: 200_000, seed: 11, pretty: true, order: [.objects, .meta, .annotations, .images, .regressions, .categories])
        let expected = try oracleRecords(bytes)
        let actual = bySection(try readRecords(.bytes(bytes)).map(normalizedExtras))
        for section in Section.allCases { #expect(actual[section] ?? [] == expected[section] ?? []) }
    }
}

@Suite("Streaming")
struct StreamingTests {
    @Test("async records equal pulled records")
    func asyncEqualsSync() async throws {
        let (bytes, _) = generate(bytes: 300_000, seed: 7)
        let pulled = try readRecords(.bytes(bytes))
        var awaited: [Record] = []
        for try await record in RecordReader(.bytes(bytes)).records { awaited.append(record) }
        #expect(awaited == pulled)
    }

    @Test("an async sequence of byte chunks as input")
    func asyncChunkInput() async throws {
        let (bytes, _) = generate(bytes: 200_000, seed: 8)
        let expected = try readRecords(.bytes(bytes))
        let chunks = AsyncStream<[UInt8]> { continuation in
            var position = 0
            var size = 1
            while position < bytes.count {
                let end = min(bytes.count, position + size)
                continuation.yield(Array(bytes[position..<end]))
                position = end
                size = size * 3 % 9_973 + 1
            }
            continuation.finish()
        }
        var records: [Record] = []
        for try await record in RecordReader(chunks: chunks).records { records.append(record) }
        #expect(records == expected)
    }

    @Test("the parser runs inside next(), one slice at a time, only when no record is waiting")
    func boundedBuffer() throws {
        let (bytes, summary) = generate(bytes: 1_000_000, seed: 1)
        let reader = RecordReader(.bytes(bytes), options: RecordReader.Options(sliceBytes: 4096))
        var taken = 0
        while true {
            let before = reader.bufferTraffic
            let readBefore = reader.bytesRead
            guard try reader.next() != nil else { break }
            taken += 1
            let after = reader.bufferTraffic
            #expect(after.popped == taken)
            if before.pushed > before.popped {
                // A record was waiting: no input was read for this one.
                #expect(reader.bytesRead == readBefore)
            }
            if taken == 10 {
                // No thread runs ahead while the consumer does something else.
                let read = reader.bytesRead
                Thread.sleep(forTimeInterval: 0.05)
                #expect(reader.bytesRead == read)
                #expect(read < bytes.count || summary.annotations < 20)
            }
        }
        #expect(reader.bytesRead == bytes.count)
        #expect(reader.bufferTraffic.pushed == taken)
    }

    @Test("many documents parsed concurrently give the same records")
    func concurrentParses() async throws {
        let documents = (1...6).map { generate(bytes: 120_000, seed: UInt64($0)).bytes }
        let expected = try documents.map { try readRecords(.bytes($0)) }
        try await withThrowingTaskGroup(of: (Int, [Record]).self) { group in
            for (index, document) in documents.enumerated() {
                group.addTask {
                    var records: [Record] = []
                    for try await record in RecordReader(.bytes(document)).records { records.append(record) }
                    return (index, records)
                }
            }
            for try await (index, records) in group { #expect(records == expected[index]) }
        }
    }

    @Test("the visitor API streams coordinates in bounded chunks")
    func visitorChunks() throws {
        struct Counter: DocumentVisitor {
            var largestChunk = 0
            var numbers = 0
            var polygonEnds = 0
            var annotations = 0
            mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
                largestChunk = max(largestChunk, chunk.count)
                numbers += chunk.count
                if chunk.endsPolygon && chunk.kind == .segmentation { polygonEnds += 1 }
            }
            mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws { annotations += 1 }
        }
        // One polygon of 3 million numbers.
        var text = Array(#"{"images":[],"categories":[],"regressions":[],"objects":[],"meta":{"category_ids":null,"regressions":null},"annotations":[{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[["#.utf8)
        for i in 0..<3_000_000 { text.append(contentsOf: "\(i % 512),".utf8) }
        text.removeLast()
        text.append(contentsOf: "]]}]}".utf8)
        let counter = try parseDocument(.bytes(text), visitor: Counter())
        #expect(counter.numbers == 3_000_000)
        #expect(counter.largestChunk <= 4096)
        #expect(counter.polygonEnds == 1 && counter.annotations == 1)
        // The record API refuses it under a small per-record limit, saying how to get around it.
        var limits = DocumentParsing.Limits()
        limits.maxCoordinatesPerRecord = 1_000_000
        let error = firstError(.bytes(text), limits: limits)
        #expect(error?.kind == .limit)
        #expect(error?.message.contains("maxCoordinatesPerRecord") == true)
        #expect(error?.message.contains("visitor API") == true)
        #expect(error?.path.hasPrefix("$.annotations[0].segmentation[0][") == true)
    }
}

func firstError(_ input: DocumentSource, limits: DocumentParsing.Limits) -> DocumentError? {
    do {
        _ = try readRecords(input, options: RecordReader.Options(parser: DocumentParsing.Options(limits: limits)))
        return nil
    } catch {
        return error as? DocumentError
    }
}

@Suite("Ids without allocation")
struct AiIDTests {
    @Test("every kind of id reads back as the same text, and equal texts give equal ids")
    func roundTrip() {
        let texts = ["", "a", "image-1", "123456789012345", "1234567890123456", "zO_cR_sgFeq0QSAAavSb0",
                     "-----------------____", "AAAAAAAAAAAAAAAAAAAAA", "zzzzzzzzzzzzzzzzzzzz9", "zO_cR_sgFeq0QSAAavSb!",
                     "zO_cR_sgFeq0QSAAavSb0x", "é", "ééééééééé", "ids with spaces and more than 21 bytes"]
        for text in texts {
            let id = RecordID(text)
            #expect(id.string == text)
            let fromBytes = Array(text.utf8).withUnsafeBufferPointer { RecordID(bytes: $0) }
            #expect(fromBytes == id)
            #expect(fromBytes.hashValue == id.hashValue)
        }
        #expect(Set(texts.map(RecordID.init)).count == texts.count)
        var annotation = Annotation(id: "zO_cR_sgFeq0QSAAavSb0", imageID: "i", objectID: "o", iscrowd: 0,
                                      bbox: nil, segmentation: nil)
        annotation.objectID = "Mj8CCOVZ2t1TDeAwvOmpd"
        #expect(annotation.objectID == "Mj8CCOVZ2t1TDeAwvOmpd")
        #expect(annotation.id == "zO_cR_sgFeq0QSAAavSb0")
    }
}
