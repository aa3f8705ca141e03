import Foundation
import Testing

/// The C fence: the C library (Glibc, Darwin), yajl (CYajl) and zlib (CZlib) are imported only
/// by the files of `Sources/AiCOCO/Interop/`; every other source speaks typed Swift.
@Suite("C fence")
struct FenceTests {
    static let fenced: Set<String> = ["Glibc", "Darwin", "Musl", "CYajl", "CZlib"]
    static let allowedFolder = "Sources/AiCOCO/Interop/"

    /// The fenced module a line of Swift imports, if any (`import Glibc`, `@preconcurrency
    /// import CYajl`, `internal import struct Glibc.stat`...).
    static func fencedImport(_ line: String) -> String? {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        while let first = words.first, first.hasPrefix("@")
                || ["public", "package", "internal", "fileprivate", "private"].contains(first) {
            words.removeFirst()
        }
        guard words.first == "import", words.count >= 2 else { return nil }
        var module = words[1]
        if ["struct", "class", "enum", "protocol", "typealias", "func", "var", "let"].contains(module), words.count >= 3 {
            module = words[2]
        }
        let name = String(module.prefix(while: { $0 != "." && $0 != ";" }))
        return fenced.contains(name) ? name : nil
    }

    /// Every Swift file under `Sources/`, as paths relative to the repository.
    static func sourceFiles() throws -> [String] {
        let root = Paths.root.path + "/"
        guard let walker = FileManager.default.enumerator(atPath: root + "Sources") else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.map { "Sources/" + $0 }.sorted()
    }

    /// Each file's fenced imports: (file, line number, module).
    static func fencedImports() throws -> [(file: String, line: Int, module: String)] {
        var found: [(String, Int, String)] = []
        for file in try sourceFiles() {
            let text = try String(contentsOfFile: Paths.root.path + "/" + file, encoding: .utf8)
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if let module = fencedImport(String(line)) { found.append((file, index + 1, module)) }
            }
        }
        return found
    }

    @Test("Glibc, CYajl and CZlib are imported only in Sources/AiCOCO/Interop/")
    func onlyInteropImportsC() throws {
        let outside = try Self.fencedImports().filter { !$0.file.hasPrefix(Self.allowedFolder) }
        #expect(outside.isEmpty, "outside the fence: \(outside.map { "\($0.file):\($0.line): import \($0.module)" })")
    }

    @Test("the check reads the tree: the yajl and zlib wrappers are found inside the fence")
    func checkSeesTheInterop() throws {
        let imports = try Self.fencedImports()
        #expect(try Self.sourceFiles().count > 100)
        #expect(imports.contains { $0.file == "Sources/AiCOCO/Interop/YajlLexer.swift" && $0.module == "CYajl" })
        #expect(imports.contains { $0.file.hasPrefix(Self.allowedFolder) && $0.module == "CZlib" })
        #expect(imports.contains { $0.file.hasPrefix(Self.allowedFolder) && $0.module == "Glibc" })
    }

    @Test("an import line is recognised in every form", arguments: [
        ("import Glibc", "Glibc"), ("  import CYajl", "CYajl"), ("@preconcurrency import CZlib", "CZlib"),
        ("internal import Glibc", "Glibc"), ("@_implementationOnly import CZlib", "CZlib"),
        ("import struct Glibc.stat", "Glibc"), ("import func Darwin.write", "Darwin"), ("import Glibc;", "Glibc"),
    ])
    func recognisesImports(line: String, module: String) {
        #expect(Self.fencedImport(line) == module)
    }

    @Test("other lines are not imports of the fenced modules", arguments: [
        "import AiCOCO", "import Foundation", "// import Glibc", "import GlibcShim", "let x = \"import Glibc\"",
        "#if canImport(Glibc)",
    ])
    func ignoresOthers(line: String) {
        #expect(Self.fencedImport(line) == nil)
    }
}
