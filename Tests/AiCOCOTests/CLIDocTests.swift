import Foundation
import Testing

/// docs/cli.md is the binary's own help (scripts/cli-doc.sh): a changed help text without the
/// page regenerated fails here.
@Suite("docs/cli.md")
struct CLIDocTests {
    @Test("docs/cli.md equals what scripts/cli-doc.sh prints from the built binary")
    func upToDate() throws {
        let script = Paths.root.appendingPathComponent("scripts/cli-doc.sh").path
        let result = try Tool.run(executable: "/bin/bash", [script, Tool.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("## aicoco validate"))
        let page = try String(contentsOf: Paths.root.appendingPathComponent("docs/cli.md"), encoding: .utf8)
        #expect(page == result.stdout,
                "docs/cli.md is stale: run `bash scripts/cli-doc.sh .build/debug/aicoco > docs/cli.md`")
    }
}
