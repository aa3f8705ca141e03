import Foundation
import Testing
@testable import AiCOCO

/// JSON read into a tree that keeps each number's text (and `NaN`, `Infinity`, `-Infinity`),
/// to compare what `records`, `assemble` and `filter` write with their input number by number,
/// at the same place.
indirect enum TextTree: Equatable {
    case number(String)
    case string(String)
    case literal(String)
    case array([TextTree])
    case object([Member])

    struct Member: Equatable {
        var key: String
        var value: TextTree
    }

    struct Malformed: Error {}

    /// The tree of `text`, or `Malformed` when it is not one JSON value.
    static func parse(_ text: [UInt8]) throws -> TextTree {
        var index = 0
        let tree = try value(text, &index)
        skipSpace(text, &index)
        guard index == text.count else { throw Malformed() }
        return tree
    }

    static func parse(_ text: String) throws -> TextTree { try parse(Array(text.utf8)) }

    private static func skipSpace(_ text: [UInt8], _ index: inout Int) {
        while index < text.count, [0x20, 0x0A, 0x0D, 0x09].contains(text[index]) { index += 1 }
    }

    /// Past an opening bracket at `index` (and the space after it): `true`, and past `close` too,
    /// when the container is empty.
    private static func opensEmpty(_ text: [UInt8], _ index: inout Int, close: Unicode.Scalar) -> Bool {
        index += 1
        skipSpace(text, &index)
        guard index < text.count, text[index] == UInt8(ascii: close) else { return false }
        index += 1
        return true
    }

    /// Past the `,` or `close` after a member or an item: `true` when it was `close`.
    private static func closes(_ text: [UInt8], _ index: inout Int, close: Unicode.Scalar) throws -> Bool {
        skipSpace(text, &index)
        guard index < text.count else { throw Malformed() }
        index += 1
        if text[index - 1] == UInt8(ascii: close) { return true }
        guard text[index - 1] == UInt8(ascii: ",") else { throw Malformed() }
        return false
    }

    private static func value(_ text: [UInt8], _ index: inout Int) throws -> TextTree {
        skipSpace(text, &index)
        guard index < text.count else { throw Malformed() }
        switch text[index] {
        case UInt8(ascii: "{"):
            var members: [Member] = []
            if opensEmpty(text, &index, close: "}") { return .object(members) }
            while true {
                skipSpace(text, &index)
                guard case .string(let key) = try value(text, &index) else { throw Malformed() }
                skipSpace(text, &index)
                guard index < text.count, text[index] == UInt8(ascii: ":") else { throw Malformed() }
                index += 1
                members.append(Member(key: key, value: try value(text, &index)))
                if try closes(text, &index, close: "}") { return .object(members) }
            }
        case UInt8(ascii: "["):
            var items: [TextTree] = []
            if opensEmpty(text, &index, close: "]") { return .array(items) }
            while true {
                items.append(try value(text, &index))
                if try closes(text, &index, close: "]") { return .array(items) }
            }
        case UInt8(ascii: "\""):
            var end = index + 1
            while end < text.count, text[end] != UInt8(ascii: "\"") { end += text[end] == UInt8(ascii: "\\") ? 2 : 1 }
            guard end < text.count else { throw Malformed() }
            // The escapes decoded by Foundation: the writers may escape differently.
            let decoded = try JSONSerialization.jsonObject(with: Data(text[index...end]), options: .fragmentsAllowed)
            index = end + 1
            guard let string = decoded as? String else { throw Malformed() }
            return .string(string)
        default:
            let start = index
            while index < text.count, !",]} \n\r\t".utf8.contains(text[index]) { index += 1 }
            let token = String(decoding: text[start..<index], as: UTF8.self)
            if ["true", "false", "null"].contains(token) { return .literal(token) }
            guard !token.isEmpty else { throw Malformed() }
            return .number(token)
        }
    }

    /// Where `self` (what was written) differs from `input`, or nil: numbers must have the same
    /// text; objects the same members (in the same order when `ordered`, else in any).
    func difference(from input: TextTree, ordered: Bool, path: String = "$") -> String? {
        switch (self, input) {
        case (.array(let written), .array(let read)):
            guard written.count == read.count else { return "\(path): \(written.count) items, input \(read.count)" }
            for (offset, pair) in zip(written, read).enumerated() {
                if let found = pair.0.difference(from: pair.1, ordered: ordered, path: "\(path)[\(offset)]") { return found }
            }
            return nil
        case (.object(let written), .object(let read)):
            guard written.map(\.key).sorted() == read.map(\.key).sorted() else {
                return "\(path): keys \(written.map(\.key)), input \(read.map(\.key))"
            }
            if ordered && written.map(\.key) != read.map(\.key) {
                return "\(path): key order \(written.map(\.key)), input \(read.map(\.key))"
            }
            for member in written {
                let other = read.first { $0.key == member.key }!
                if let found = member.value.difference(from: other.value, ordered: ordered, path: "\(path).\(member.key)") {
                    return found
                }
            }
            return nil
        default:
            return self == input ? nil : "\(path): \(self), input \(input)"
        }
    }

    var members: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    subscript(key: String) -> TextTree? { members?.first { $0.key == key }?.value }
}

/// Every fixture through `records` (its document and its artifact), `records | assemble` and
/// `filter`: each number written is byte-equal to the number at the same place of the input.
@Suite struct NumberTextPlacesTests {
    /// The format's own keys of each section; other keys are extra, kept in their input order.
    static let formatKeys: [String: Set<String>] = [
        "images": ["id", "file_name", "index", "category_ids", "regressions"],
        "annotations": ["id", "image_id", "object_id", "iscrowd", "bbox", "segmentation"],
        "categories": ["id", "name", "supercategory_id", "color"],
        "regressions": ["id", "name", "superregression_id", "unit", "threshold"],
        "objects": ["id", "category_ids", "regressions", "confidence"],
        "meta": ["category_ids", "regressions", "task_type", "window_size", "table_ids"],
        "tables": ["id", "file_name"],
        "records": ["format", "href", "path", "rows", "bytes"],
        "rows": ["id", "table_id", "row_indexes", "category_ids", "regressions"],
    ]

    /// Where a written record differs from the input's: the same members and numbers (the
    /// format's keys in any order, extra keys in the input's order, their values exactly).
    static func recordDifference(_ written: TextTree, _ read: TextTree, section: String, skipping: Set<String> = [])
        -> String? {
        guard let writtenMembers = written.members, let readMembers = read.members else {
            return written.difference(from: read, ordered: true)
        }
        let known = formatKeys[section] ?? []
        let extraOrder = { (members: [TextTree.Member]) in members.map(\.key).filter { !known.contains($0) } }
        if extraOrder(writtenMembers) != extraOrder(readMembers) {
            return "\(section): extra keys \(extraOrder(writtenMembers)), input \(extraOrder(readMembers))"
        }
        let keep = { (members: [TextTree.Member]) in TextTree.object(members.filter { !skipping.contains($0.key) }) }
        for member in writtenMembers where !known.contains(member.key) {
            if let found = member.value.difference(from: read[member.key]!, ordered: true, path: "\(section).\(member.key)") {
                return found
            }
        }
        return keep(writtenMembers).difference(from: keep(readMembers), ordered: false, path: section)
    }

    /// The records of a document by section (`rows` for a tabular output's records, inline or
    /// in its artifact), in file order.
    static func inputRecords(_ path: String) throws -> [String: [TextTree]]? {
        guard let document = try? TextTree.parse(Array(Data(contentsOf: URL(fileURLWithPath: path)))),
              let members = document.members else { return nil }
        var sections: [String: [TextTree]] = [:]
        for member in members {
            switch (member.key, member.value) {
            case ("records", .array(let rows)): sections["rows"] = rows
            case ("records", let reference), ("records_file", let reference):
                // Both keys: a broken document, left out.
                if sections["records"] != nil { return nil }
                sections["records"] = [reference]
                guard case .string(let location)? = reference["href"] ?? reference["path"] else { continue }
                let artifact = URL(fileURLWithPath: path).deletingLastPathComponent()
                    .appendingPathComponent(String(location.split(separator: "/").last ?? "")).path
                guard let text = try? String(contentsOfFile: artifact, encoding: .utf8) else { continue }
                // An artifact whose lines are not one record each (a broken one) is left out.
                guard let rows = try? text.split(separator: "\n").map({ try TextTree.parse(String($0)) }) else { return nil }
                sections["rows"] = rows
            case (let key, .array(let records)): sections[key] = records
            case (let key, let record): sections[key] = [record]
            }
        }
        return sections
    }

    static let fixtures: [String] = {
        let directories = [Paths.fixtures, Paths.broken, Paths.broken.appendingPathComponent("tabular"),
                           Paths.fixtures.appendingPathComponent("strict"), Paths.fixtures.appendingPathComponent("fuzz")]
        var paths: [String] = []
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            paths += names.filter { $0.hasSuffix(".json") && $0 != "expected.json" }.sorted()
                .map { directory.appendingPathComponent($0).path }
        }
        return paths + NumbersAsWrittenTests.fixtures.filter { !$0.hasPrefix(Paths.fixtures.path + "/") || $0.contains("/flavor/") }
    }()

    @Test("records writes each number of a fixture as the input has it at that place (scanner and yajl paths)",
          arguments: fixtures)
    func recordsKeepEachNumberInPlace(fixture: String) throws {
        guard let expected = try Self.inputRecords(fixture) else { return }
        for arguments in [["records"], ["records", "--allow-nan"]] {
            let run = try Tool.run(arguments + [fixture])
            if fixture.contains("/nan/") && arguments.count == 1 { continue }
            var seen: [String: Int] = [:]
            for line in run.stdout.split(separator: "\n") {
                let envelope = try TextTree.parse(String(line))
                guard case .string(let section)? = envelope["section"], let record = envelope["record"] else {
                    Issue.record("\(fixture): a line without its envelope: \(line)")
                    return
                }
                let index = seen[section, default: 0]
                seen[section] = index + 1
                guard let read = expected[section], index < read.count else {
                    Issue.record("\(fixture): \(section) record \(index) is not in the input")
                    return
                }
                if let difference = Self.recordDifference(record, read[index], section: section) {
                    Issue.record("\(fixture) (\(arguments.joined(separator: " "))): \(section)[\(index)]: \(difference)")
                    return
                }
            }
            // A valid input: every record is written.
            if run.status == 0 {
                #expect(seen == expected.mapValues(\.count).filter { $0.value > 0 }, "\(fixture)")
            }
        }
    }

    /// Where two documents' records differ (by section, in order), or nil. With `subset`, the
    /// written records of a section may be some of the input's (as `filter` keeps them), each
    /// compared with the input's record of the same `id`, in the input's order.
    static func documentDifference(_ written: [String: [TextTree]], _ read: [String: [TextTree]], subset: Bool = false)
        -> String? {
        let sections = { (records: [String: [TextTree]]) in Set(records.filter { !$0.value.isEmpty }.keys) }
        guard subset ? sections(written).isSubset(of: sections(read)) : sections(written) == sections(read) else {
            return "sections \(sections(written)), input \(sections(read))"
        }
        for (section, records) in written {
            let input = read[section] ?? []
            guard subset || records.count == input.count else { return "\(section): \(records.count) records" }
            var next = 0
            for (index, record) in records.enumerated() {
                if subset, let id = record["id"] {
                    guard let found = input[next...].firstIndex(where: { $0["id"] == id }) else {
                        return "\(section)[\(index)]: not in the input, or out of its order"
                    }
                    next = found
                }
                guard next < input.count else { return "\(section): \(records.count) records" }
                if let difference = recordDifference(record, input[next], section: section) {
                    return "\(section)[\(index)]: \(difference)"
                }
                next += 1
            }
        }
        return nil
    }

    @Test("records | assemble, and filter, give each number of a fixture back in its place", arguments: fixtures)
    func assembleAndFilterKeepEachNumberInPlace(fixture: String) throws {
        guard let expected = try Self.inputRecords(fixture) else { return }
        let lines = try Tool.run(["records", "--allow-nan", fixture])
        // Only what is valid goes back into a document.
        guard lines.status == 0 else { return }
        let directory = try GenerationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("back.json").path
        // The artifact under its own name, beside the document (the reference keeps naming it).
        var artifactName = "records.jsonl"
        if case .string(let location)? = expected["records"]?.first.flatMap({ $0["href"] ?? $0["path"] }) {
            artifactName = String(location.split(separator: "/").last ?? "")
        }
        let artifact = directory.appendingPathComponent(artifactName).path
        let back = try Tool.run(["assemble", "--allow-nan", "-o", out, "--artifact", artifact], input: Array(lines.stdout.utf8))
        #expect(back.status == 0, "\(fixture): \(back.stderr)")
        let assembled = try #require(try Self.inputRecords(out))
        if let difference = Self.documentDifference(assembled, expected) { Issue.record("\(fixture), assembled: \(difference)") }

        let filtered = try Tool.run(["filter", "--allow-nan", "-o", out, fixture])
        // filter has nothing to do for a tabular output with an artifact.
        guard expected["records"] == nil else { return }
        #expect(filtered.status == 0, "\(fixture): \(filtered.stderr)")
        let kept = try #require(try Self.inputRecords(out))
        // Without criteria every image, annotation and object stays (categories only when referenced).
        for section in ["images", "annotations", "objects"] {
            #expect(kept[section]?.count ?? 0 == expected[section]?.count ?? 0, "\(fixture): \(section)")
        }
        if let difference = Self.documentDifference(kept, expected, subset: true) {
            Issue.record("\(fixture), filtered: \(difference)")
        }
    }
}
