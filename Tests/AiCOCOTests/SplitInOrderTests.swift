import Foundation
import Testing
@testable import AiCOCO

/// A part that keeps annotation ids in the order it read them, handed over every few.
struct AnnotationIDsInOrder: AnnotationPart {
    var ids: [String] = []
    var isFull: Bool { ids.count >= 5 }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        ids.append(fields.id)
    }
}

/// Every record's section and every annotation's id, in the order the visitor is given them.
struct InOrderVisitor: SplittableVisitor, Equatable {
    var seen: [String] = []

    func makePart() -> AnnotationIDsInOrder { AnnotationIDsInOrder() }
    mutating func absorb(_ part: AnnotationIDsInOrder) throws { seen += part.ids }

    mutating func visit(_ record: Record, index: Int) throws { seen.append("\(record.section) \(index)") }
    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws { seen.append(fields.id) }
}

/// `parseSplittingInOrder` (the C ABI's batches): the workers' parts reach the visitor in file
/// order, between the records before the split and those after it, whatever the threads.
@Suite struct SplitInOrderTests {
    @Test(arguments: [2, 3])
    func partsComeInFileOrder(threads: Int) throws {
        let bytes = generate(bytes: 300_000, seed: 21).bytes
        let path = NSTemporaryDirectory() + "h-parallel-inorder-\(getpid())-\(threads)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        var parser = DocumentParser(visitor: InOrderVisitor(), options: DocumentParsing.Options())
        try parser.parse(.file(path))
        let inOrder = parser.visitor
        #expect(inOrder.seen.count > 100)
        for stretch in [3_000, 20_000] {
            var split = SplitOptions(threads: threads)
            split.stretchBytes = stretch
            split.minimumBytes = 0
            var visitor = InOrderVisitor()
            var reports: [Int] = []
            let whole = try parseSplittingInOrder(.file(path), visitor: &visitor, options: DocumentParsing.Options(),
                                                  split: split, maxStretchBytes: stretch) { reports.append($0) }
            #expect(whole == true, "stretch \(stretch): not read to the end split")
            #expect(visitor == inOrder, "stretch \(stretch): another order")
            #expect(reports.last == bytes.count && zip(reports, reports.dropFirst()).allSatisfy { $0 <= $1 })
        }
    }
}
