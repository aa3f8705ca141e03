import Foundation
import Testing

/// The public API of the AiCOCO module follows one scheme: no type named `AiCOCO` or prefixed
/// `AiCOCO`/`Ai` (the module is the namespace), and every public symbol (with the cases of
/// public enums) has a doc comment. Read from the sources, so it holds for every file.
@Suite("Public API")
struct PublicAPITests {

    static let library = Paths.root.appendingPathComponent("Sources/AiCOCO")

    /// Every Swift file of the module, as a path relative to `Sources/AiCOCO`.
    static func sources() throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: library.path))
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
    }

    /// Every Swift file of the module (relative to `Sources/AiCOCO`), scanned.
    static func scans() throws -> [(file: String, scan: APIScan)] {
        try sources().map { file in
            (file, APIScan(try String(contentsOf: library.appendingPathComponent(file), encoding: .utf8)))
        }
    }

    @Test("every public symbol has a doc comment (AiCOCO and AiCOCOGen, protocol requirements too)")
    func documented() throws {
        var problems: [String] = []
        var checked = 0
        let generator = Paths.root.appendingPathComponent("Sources/AiCOCOGen")
        let generatorFiles = try FileManager.default.contentsOfDirectory(atPath: generator.path)
            .filter { $0.hasSuffix(".swift") }.sorted()
        let generatorScans = try generatorFiles.map { file in
            ("Sources/AiCOCOGen/\(file)", APIScan(try String(contentsOf: generator.appendingPathComponent(file), encoding: .utf8)))
        }
        for (name, scan) in try Self.scans().map({ ("Sources/AiCOCO/\($0.file)", $0.scan) }) + generatorScans {
            checked += scan.declarations.count
            problems += scan.undocumented.map { "\(name):\($0.line): no doc comment: \($0.text)" }
        }
        #expect(checked > 300, "the scan found only \(checked) public declarations: is it reading the sources?")
        #expect(problems.isEmpty, "\(problems.count) undocumented:\n\(problems.joined(separator: "\n"))")
    }

    @Test("no public type is named AiCOCO or prefixed AiCOCO/Ai")
    func names() throws {
        var problems: [String] = []
        var types = 0
        for (file, scan) in try Self.scans() {
            for type in scan.publicTypes {
                types += 1
                if APIScan.isPrefixed(type.name) {
                    problems.append("Sources/AiCOCO/\(file):\(type.line): \(type.name)")
                }
            }
        }
        #expect(types > 40, "the scan found only \(types) public types")
        #expect(problems.isEmpty, "prefixed public types:\n\(problems.joined(separator: "\n"))")
    }

    @Test("no public type of the generator is prefixed AiCOCO/Ai")
    func generatorNames() throws {
        let folder = Paths.root.appendingPathComponent("Sources/AiCOCOGen")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        var types: [String] = []
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            types += APIScan(text).publicTypes.map(\.name)
        }
        #expect(types.contains("DocumentGenerator") && types.contains("Options"), "the scan found \(types)")
        #expect(types.filter(APIScan.isPrefixed).isEmpty, "prefixed: \(types.filter(APIScan.isPrefixed))")
    }

    @Test("the scan finds what it must refuse")
    func scanRefuses() {
        let scan = APIScan("""
            /// Documented.
            public struct Fine {
                public var undocumentedProperty: Int
                /// Documented.
                @discardableResult
                public func documented() -> Int { 0 }
            }
            public final class AiThing {}
            /// Documented.
            public enum AiCOCOShape: String {
                /// Documented.
                case a
                case b, c
                func notPublic() {
                    switch self { case .a: break; default: break }
                }
            }
            /** Documented. */
            public typealias AiCOCO = Int
            package struct AiPackage {}
            /// Documented.
            public protocol Visiting {
                /// Documented.
                mutating func documented() throws
                mutating func undocumented() throws
                var property: Int { get }
            }
            """)
        #expect(scan.undocumented.map(\.line) == [3, 8, 13, 25, 26])
        #expect(scan.publicTypes.map(\.name) == ["Fine", "AiThing", "AiCOCOShape", "AiCOCO", "Visiting"])
        #expect(scan.publicTypes.map(\.name).filter(APIScan.isPrefixed) == ["AiThing", "AiCOCOShape", "AiCOCO"])
        #expect(!APIScan.isPrefixed("Annotation") && !APIScan.isPrefixed("AimPoint"))
    }
}

/// The public declarations of one Swift file, found line by line (the sources' own layout:
/// one declaration a line, doc comments `///` or `/** */` right above, attributes between).
struct APIScan {
    struct Declaration { var line: Int; var text: String; var documented: Bool }
    struct PublicType { var line: Int; var name: String }

    private(set) var declarations: [Declaration] = []
    private(set) var publicTypes: [PublicType] = []
    var undocumented: [Declaration] { declarations.filter { !$0.documented } }

    init(_ text: String) {
        let publicDeclaration = #/^\s*(@[\w.]+(\([^)]*\))?\s+)*(public|open)\s/#
        let typeDeclaration =
            #/^\s*(@[\w.]+(\([^)]*\))?\s+)*(public|open)\s+((final|indirect)\s+)*(struct|class|enum|protocol|typealias|actor)\s+(?<name>\w+)/#
        let publicEnum = #/^(?<indent>\s*)(@[\w.]+(\([^)]*\))?\s+)*public\s+(indirect\s+)?enum\s.*\{\s*$/#
        let publicProtocol = #/^(?<indent>\s*)(@[\w.]+(\([^)]*\))?\s+)*public\s+protocol\s.*\{\s*$/#
        let requirement = #/^\s*(@[\w.]+(\([^)]*\))?\s+)*((static|mutating|nonmutating)\s+)*(func|var|init|subscript|associatedtype)\b/#
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func documented(above index: Int) -> Bool {
            var above = index - 1
            while above >= 0, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("@") { above -= 1 }
            guard above >= 0 else { return false }
            let previous = lines[above].trimmingCharacters(in: .whitespaces)
            return previous.hasPrefix("///") || previous.hasSuffix("*/")
        }
        for (index, line) in lines.enumerated() {
            if line.firstMatch(of: publicDeclaration) != nil,
               !line.contains(/^\s*public\s+extension\b/) {
                declarations.append(Declaration(line: index + 1, text: line.trimmingCharacters(in: .whitespaces),
                                                documented: documented(above: index)))
            }
            if let type = line.firstMatch(of: typeDeclaration) {
                publicTypes.append(PublicType(line: index + 1, name: String(type.output.name)))
            }
            // The requirements of a public protocol: the declarations one level in.
            if let protocolLine = line.firstMatch(of: publicProtocol) {
                let indent = String(protocolLine.output.indent)
                for inner in (index + 1)..<lines.count {
                    if lines[inner] == indent + "}" { break }
                    if lines[inner].hasPrefix(indent + "    "), lines[inner].firstMatch(of: requirement) != nil {
                        declarations.append(Declaration(line: inner + 1, text: lines[inner].trimmingCharacters(in: .whitespaces),
                                                        documented: documented(above: inner)))
                    }
                }
            }
            // The cases of a public enum: the lines one level in that start with `case`.
            if let enumLine = line.firstMatch(of: publicEnum) {
                let indent = String(enumLine.output.indent)
                for inner in (index + 1)..<lines.count {
                    if lines[inner] == indent + "}" { break }
                    if lines[inner].hasPrefix(indent + "    case ") {
                        declarations.append(Declaration(line: inner + 1, text: lines[inner].trimmingCharacters(in: .whitespaces),
                                                        documented: documented(above: inner)))
                    }
                }
            }
        }
        declarations.sort { $0.line < $1.line }
    }

    /// `AiCOCO`, `AiCOCO…` or `Ai` followed by a capital: the prefixes the module name replaces.
    static func isPrefixed(_ name: String) -> Bool {
        name.hasPrefix("AiCOCO") || name.wholeMatch(of: /Ai[A-Z].*/) != nil
    }
}
