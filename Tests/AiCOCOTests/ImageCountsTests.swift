import Testing
@testable import AiCOCO

/// `ImageCounts`, what a split stretch of `stats` counts per image: the same counts as a
/// dictionary, for packed ids (short ones, nanoids) and ids kept as strings alike.
struct ImageCountsTests {
    /// Ids of the three kinds `RecordID` holds: inline (up to 15 bytes), a 21-character
    /// nanoid, and any other (a `String`).
    static func id(_ number: Int) -> String {
        switch number % 3 {
        case 0: return "im\(number)"
        case 1: return String(("n\(number)" + String(repeating: "x", count: 21)).prefix(21))
        default: return "a longer image id, kept as a string \(number)"
        }
    }

    @Test func countsAsADictionaryDoes() {
        var counts = ImageCounts()
        var expected: [String: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        // Up to the capacity of ids, each seen a random number of times in a random order.
        var ids: [String] = []
        for number in 0..<ImageCounts.capacity {
            for _ in 0..<(1 + number % 4) { ids.append(Self.id(number)) }
        }
        ids.shuffle(using: &generator)
        for id in ids {
            counts.add(RecordID(id))
            expected[id, default: 0] += 1
        }
        #expect(counts.count == ImageCounts.capacity)
        var found: [String: Int] = [:]
        counts.forEach { id, count in
            #expect(found[id.string] == nil)
            found[id.string] = count
        }
        #expect(found == expected)
    }

    @Test func emptyGivesNothing() {
        var calls = 0
        ImageCounts().forEach { _, _ in calls += 1 }
        #expect(calls == 0)
        #expect(ImageCounts().count == 0)
    }
}
