import Foundation
import Testing
import AiCOCO

@Suite("TextBlock: bytes, decimals and numbers out in blocks")
struct TextBlockTests {
    /// What `body` writes through a block of `capacity` bytes, read back from the file.
    private func written(capacity: Int, _ body: (TextBlock) throws -> Void) throws -> String {
        let path = NSTemporaryDirectory() + "aicoco-textblock-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let output = try FileOutput(path: path, capacity: 256)
            let block = TextBlock(output: output, capacity: capacity)
            try body(block)
            try block.flush()
            try output.flush()
        }
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("decimals and numbers as JSON writes them, bytes and slices as given")
    func formatting() throws {
        let values = [0, 7, -7, 10, 99, 100, 12_345, -1_000_000, Int(1) << 53, Int.max, Int.min]
        let numbers = [0.5, -0.0, 2.0, 1e300, -1.25e-7, 0.1 + 0.2, 3e15]
        let text = try written(capacity: 1 << 16) { block in
            for value in values { try block.append(decimal: value); try block.append(byte: 44) }
            for number in numbers { try block.append(number: number); try block.append(byte: 44) }
            try block.append(Array("head,".utf8))
            try block.append(Array("0123456789".utf8), 3..<6)
        }
        let expected = values.map(String.init).joined(separator: ",") + "," + numbers.map { JSONText.number($0) }.joined(separator: ",") + ",head,345"
        #expect(text == expected)
    }

    @Test("a small block flushes as it fills; text longer than the block goes straight out, in order")
    func smallBlock() throws {
        var expected = ""
        let long = String(repeating: "abcdefghij", count: 40)
        let text = try written(capacity: 64) { block in
            for row in 0..<500 {
                try block.append(Array("row,".utf8))
                try block.append(decimal: row * 7919)
                try block.append(number: Double(row) / 8)
                if row % 50 == 0 { try block.append(Array(long.utf8)) }
                try block.append(byte: 10)
                expected += "row,\(row * 7919)\(JSONText.number(Double(row) / 8))\(row % 50 == 0 ? long : "")\n"
            }
        }
        #expect(text == expected)
    }
}
