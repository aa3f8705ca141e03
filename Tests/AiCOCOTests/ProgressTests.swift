import Foundation
import Testing

/// The progress line on a pseudo-terminal (scripts/pty_progress.py runs aicoco with standard
/// error, and optionally standard output, on one).
@Suite("Progress on a terminal")
struct ProgressTests {
    static func onTerminal(_ arguments: [String], slow: String? = nil, stdoutOnTerminal: Bool = false) throws
        -> (status: Int, terminal: String, stdout: String) {
        var options: [String] = []
        if stdoutOnTerminal { options.append("--stdout-on-tty") }
        if let slow { options += ["--slow", slow] }
        let script = Paths.root.appendingPathComponent("scripts/pty_progress.py").path
        let result = try Tool.run(executable: "/usr/bin/env", [Paths.python, script] + options + ["--", Tool.path] + arguments)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        return (report["status"] as! Int, report["terminal"] as! String, report["stdout"] as! String)
    }

    static let slowInput = Paths.flavor.appendingPathComponent("flavor-seg3d-noisy.json").path

    @Test("a short run shows nothing")
    func shortRun() throws {
        let result = try Self.onTerminal(["validate", Paths.fixture("segmentation-series.json")])
        #expect(result.status == 0)
        #expect(result.terminal.isEmpty, "\(result.terminal.debugDescription)")
    }

    @Test("after a second of work it shows, and is erased when done")
    func longRunErased() throws {
        let result = try Self.onTerminal(["validate", "-"], slow: Self.slowInput)
        #expect(result.status == 0)
        #expect(result.terminal.contains("MB/s"), "\(result.terminal.debugDescription)")
        #expect(result.terminal.hasSuffix("\r\u{1B}[K"), "erased at the end: \(result.terminal.debugDescription)")
        #expect(result.stdout == "-: valid\n")
    }

    @Test("never on the terminal that receives the data")
    func notOnTheDataTerminal() throws {
        let result = try Self.onTerminal(["validate", "-"], slow: Self.slowInput, stdoutOnTerminal: true)
        #expect(result.status == 0)
        #expect(!result.terminal.contains("MB/s") && !result.terminal.contains("\u{1B}"), "\(result.terminal.debugDescription)")
        #expect(result.terminal.contains("-: valid"))
    }

    @Test("never before an open error", arguments: [["stats"], ["validate"], ["records"], ["filter", "--index", "1"],
                                                     ["convert", "--to", "coco"]])
    func notBeforeAnOpenError(subcommand: [String]) throws {
        let result = try Self.onTerminal(subcommand + ["/nonexistent/aicoco.json"])
        #expect(result.status == 2)
        #expect(result.terminal.hasPrefix("aicoco: cannot open /nonexistent/aicoco.json"), "\(result.terminal.debugDescription)")
        #expect(!result.terminal.contains("MB/s"))
    }

    @Test("--progress with standard error not a terminal: nothing before an open error")
    func forcedNotBeforeAnOpenError() throws {
        let result = try runTool(["stats", "--progress", "/nonexistent/aicoco.json"])
        #expect(result.status == 2)
        #expect(!result.stderr.contains("MB/s") && !result.stderr.contains("\r"), "\(result.stderr.debugDescription)")
    }
}
