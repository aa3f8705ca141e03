import Foundation
import Testing

/// Every `console` block of README.md, CONTRIBUTING.md and docs/ is run here and its output
/// compared with what the page shows, so no example can go stale.
///
/// A block is a list of commands (lines starting `$ `, continued after a trailing `\`), each
/// followed by the output it shows (standard output and standard error together). A line that is
/// only `...` stands for any number of lines; blank lines are not compared. The commands of a block run in order in one bash,
/// in a fresh directory where `Fixtures` is the repository's, with the built `aicoco` and the
/// project's Python first on the PATH.
@Suite("Examples in the documentation")
struct DocExampleTests {
    struct Block: CustomStringConvertible {
        var page: String
        var line: Int
        var commands: [String] = []
        var expected: [String] = []
        var description: String { "\(page):\(line)" }
    }

    static let pages: [String] = {
        let docs = Paths.root.appendingPathComponent("docs")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? [])
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        return ["README.md", "CONTRIBUTING.md"] + names
    }()

    /// The console blocks of `page` (a path from the repository's root).
    static func blocks(of page: String) throws -> [Block] {
        let text = try String(contentsOf: Paths.root.appendingPathComponent(page), encoding: .utf8)
        var blocks: [Block] = []
        var current: Block?
        var continuing = false
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            let trimmed = line.drop(while: { $0 == " " })
            if current == nil {
                if trimmed == "```console" { current = Block(page: page, line: number + 1) }
                continue
            }
            // Inside a list item the block is indented: drop the fence's indentation.
            let indent = line.count - trimmed.count
            let body = indent > 0 && line.prefix(indent).allSatisfy({ $0 == " " }) ? String(trimmed) : line
            if trimmed == "```" {
                blocks.append(current!)
                current = nil
                continuing = false
            } else if continuing {
                current!.commands[current!.commands.count - 1] += "\n" + body
                continuing = body.hasSuffix("\\")
            } else if body.hasPrefix("$ ") {
                current!.commands.append(String(body.dropFirst(2)))
                current!.expected.append("\u{0}command")
                continuing = body.hasSuffix("\\")
            } else {
                current!.expected.append(body)
            }
        }
        return blocks
    }

    static let allBlocks: [Block] = pages.flatMap { (try? blocks(of: $0)) ?? [] }

    /// Whether `actual` matches `expected`, where a `...` line matches any run of lines.
    static func matches(_ actual: ArraySlice<String>, _ expected: ArraySlice<String>) -> Bool {
        guard let first = expected.first else { return actual.isEmpty }
        if first == "..." {
            let rest = expected.dropFirst()
            for start in actual.indices + [actual.endIndex] where matches(actual[start...], rest) { return true }
            return false
        }
        guard actual.first == first else { return false }
        return matches(actual.dropFirst(), expected.dropFirst())
    }

    /// The `sh` blocks: set-up, install and benchmark commands, too slow or too invasive to run
    /// here (they build, install into /usr/local, time 200 MB files). Each must be valid bash,
    /// and every `aicoco` subcommand and option it names must exist.
    @Test("each sh block is valid bash, and names only subcommands and options aicoco has")
    func shellBlocks() throws {
        var blocks = 0
        for page in Self.pages {
            let text = try String(contentsOf: Paths.root.appendingPathComponent(page), encoding: .utf8)
            let parts = text.components(separatedBy: "```sh\n").dropFirst()
            for part in parts {
                let block = part.components(separatedBy: "```")[0]
                blocks += 1
                let syntax = try Tool.run(executable: "/bin/bash", ["-n", "-c", block])
                #expect(syntax.status == 0, "\(page): \(block)\n\(syntax.stderr)")
                for line in block.split(separator: "\n") {
                    let words = line.split(separator: " ").map(String.init)
                    guard let at = words.firstIndex(where: { $0 == "aicoco" || $0.hasSuffix("/aicoco") }),
                          at + 1 < words.count, words[at + 1].allSatisfy({ $0.isLetter }) else { continue }
                    let help = try Tool.run([words[at + 1], "--help"])
                    #expect(help.status == 0, "\(page): aicoco \(words[at + 1]) in \(line)")
                    for option in words[(at + 2)...] where option.hasPrefix("--") {
                        let name = String(option.prefix { $0 != "=" })
                        #expect(help.stdout.contains(name), "\(page): \(name) of aicoco \(words[at + 1]) in \(line)")
                    }
                }
            }
        }
        #expect(blocks >= 4)
    }

    @Test("the pages have examples, and the parser finds their commands")
    func found() throws {
        let readme = try Self.blocks(of: "README.md")
        #expect(readme.count >= 5)
        #expect(readme.allSatisfy { !$0.commands.isEmpty })
        #expect(Self.allBlocks.count > readme.count)
        #expect(Self.matches(["a", "b", "c"], ["a", "...", "c"]))
        #expect(Self.matches(["a", "c"], ["a", "...", "c"]))
        #expect(!Self.matches(["a", "b"], ["a", "...", "c"]))
    }

    @Test("each console block gives the output it shows", arguments: allBlocks)
    func example(_ block: Block) throws {
        let directory = NSTemporaryDirectory() + "aicoco-doc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/Fixtures", withDestinationPath: Paths.fixtures.path)
        let bin = URL(fileURLWithPath: Tool.path).deletingLastPathComponent().path
        let venv = Paths.root.appendingPathComponent(".venv/bin").path
        // Each command's output follows a marker line, so that the outputs can be told apart.
        var script = "set -o pipefail 2>/dev/null; exec 2>&1; cd '\(directory)'; export PATH='\(bin):\(venv):'\"$PATH\"\n"
        for command in block.commands {
            // The marker keeps the status of the command before it, for an `echo $?`.
            script += "__status=$?; echo '\u{1}command'; (exit $__status)\n" + command + "\n"
        }
        let result = try Tool.run(executable: "/bin/bash", ["-c", script])
        let actual = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0 == "\u{1}command" ? "\u{0}command" : String($0)
        }
        // Blank lines are for the reader (between commands, say): not compared.
        let expected = block.expected.filter { !$0.isEmpty }
        let shown = actual.filter { !$0.isEmpty }
        let same = Self.matches(shown[...], expected[...])
        #expect(same, """
            \(block): the output differs from the page's.
            page:
            \(expected.map { $0 == "\u{0}command" ? "$ ..." : $0 }.joined(separator: "\n"))
            got:
            \(shown.map { $0 == "\u{0}command" ? "$ ..." : $0 }.joined(separator: "\n"))
            """)
    }
}
