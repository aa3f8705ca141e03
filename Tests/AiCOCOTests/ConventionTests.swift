import Foundation
import Testing

/// Runs `aicoco` with `arguments`, standard output to `stdoutPath` (e.g. /dev/full), extra
/// environment variables; returns the status and standard error.
func runTool(_ arguments: [String], stdoutPath: String? = nil, environment: [String: String] = [:]) throws
    -> (status: Int32, stdout: String, stderr: String) {
    let result = try Tool.run(executable: Tool.path, arguments, environment: environment, stdoutPath: stdoutPath)
    return (result.status, result.stdout, result.stderr)
}

@Suite("Command-line conventions")
struct ConventionTests {
    static let subcommands = ["stats", "validate", "records", "assemble", "convert", "filter", "generate", "measure", "render"]

    @Test("usage errors exit 2 and show the subcommand's usage", arguments: [
        (["stats", "--max-depth", "deep"], "aicoco stats"),
        (["stats", "--no-such-option"], "aicoco stats"),
        (["validate", "--format", "xml"], "aicoco validate"),
        (["validate", "--max-errors", "-1"], "aicoco validate"),
        (["records", "--section", "pictures"], "aicoco records"),
        (["convert", "--to", "coco", "--image-size", "512"], "aicoco convert"),
        (["convert", "--to", "coco", "--image-size", "0x512"], "aicoco convert"),
        (["convert", "--to", "yolo"], "aicoco convert"),
        (["convert"], "aicoco convert"),
        (["filter", "--index", "20...10"], "aicoco filter"),
        (["filter", "--index", "ten"], "aicoco filter"),
        (["assemble", "--max-line-bytes", "lots"], "aicoco assemble"),
        (["generate", "--bytes", "12Q"], "aicoco generate"),
        (["generate", "--bytes", "1k", "--order", "meta,images"], "aicoco generate"),
        (["stats", "--max-string-bytes", "-5"], "aicoco stats"),
        (["frobnicate"], "aicoco <subcommand>"),
    ])
    func usageErrors(arguments: [String], usage: String) throws {
        let result = try runTool(arguments)
        #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains("Usage: \(usage)"), "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("typed values are accepted in all their forms")
    func typedValues() throws {
        let path = Paths.fixture("segmentation-series.json")
        for arguments in [["stats", "--max-string-bytes", "8M", "--max-record-bytes", "65536", path],
                          ["filter", "--index", "2...4", "--index", "..<2", "--index", "7...", "--index", "5", path],
                          ["filter", "--index", "1..<3", path],
                          ["convert", "--to", "coco", "--image-size", "512X256", path],
                          ["records", "--section", "meta", "--section", "images", path],
                          ["generate", "--bytes", "2k", "--order", "meta,annotations,objects,categories,regressions,images"]] {
            let result = try runTool(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(!result.stdout.isEmpty)
        }
        let sized = try runTool(["convert", "--to", "coco", "--image-size", "512x256", path])
        let coco = try JSONSerialization.jsonObject(with: Data(sized.stdout.utf8)) as! [String: Any]
        let image = (coco["images"] as! [[String: Any]])[0]
        #expect(image["width"] as? Int == 512 && image["height"] as? Int == 256)
    }

    @Test("--version prints the version and exits 0")
    func version() throws {
        let result = try runTool(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: ".").count == 3, "\(result.stdout)")
    }

    @Test("the limit options sit in their own titled group, out of the usage line", arguments: ["stats", "validate", "records", "assemble", "convert", "filter"])
    func limitsGroup(subcommand: String) throws {
        let help = try runTool([subcommand, "--help"], environment: ["COLUMNS": "100"]).stdout
        let usage = help.split(separator: "\n").first { $0.hasPrefix("USAGE:") } ?? ""
        for option in ["--max-record-coordinates", "--max-depth", "--max-string-bytes", "--max-number-bytes",
                       "--max-token-bytes", "--max-record-bytes"] {
            #expect(!usage.contains(option), "\(usage)")
        }
        #expect(usage.contains("[<options>]"))
        guard let limits = help.range(of: "\nLIMITS:\n") else {
            Issue.record("no LIMITS section: \(help)")
            return
        }
        let section = help[limits.upperBound...].prefix { _ in true }.components(separatedBy: "\n\n")[0]
        for option in ["--max-record-coordinates", "--max-depth", "--max-string-bytes", "--max-number-bytes",
                       "--max-token-bytes", "--max-record-bytes"] {
            #expect(section.contains(option), "\(option) not under LIMITS in \(subcommand)")
        }
    }

    @Test("help wraps cleanly at any width and its examples can be pasted", arguments: [64, 80, 120, 200])
    func helpWidth(columns: Int) throws {
        for subcommand in Self.subcommands + [""] {
            let arguments = subcommand.isEmpty ? ["--help"] : [subcommand, "--help"]
            let help = try runTool(arguments, environment: ["COLUMNS": "\(columns)"]).stdout
            let lines = help.components(separatedBy: "\n")
            var inExamples = false
            var commands: [String] = []
            var current = ""
            var prose: [String] = []
            for line in lines {
                if line.hasPrefix("USAGE:") { inExamples = false; continue }
                if line == "Examples:" { inExamples = true; continue }
                if inExamples {
                    if line.isEmpty { inExamples = false; continue }
                    // Each example line is a command, or a continuation of one ending in a backslash.
                    if line.hasPrefix("  aicoco ") || line.hasPrefix("  cat ") {
                        #expect(current.isEmpty, "\(subcommand) at \(columns): example line \"\(line)\" follows an unfinished one")
                        current = ""
                    } else {
                        #expect(line.hasPrefix("    ") && !current.isEmpty,
                                "\(subcommand) at \(columns): an example was wrapped: \"\(line)\"")
                    }
                    current += line.trimmingCharacters(in: .whitespaces)
                    if current.hasSuffix("\\") { current.removeLast(); current += " " } else {
                        commands.append(current)
                        current = ""
                    }
                    continue
                }
                #expect(line.count <= columns, "\(subcommand) at \(columns): \"\(line)\"")
                prose.append(line)
            }
            // Prose is wrapped once, by the parser: a line followed by more of its paragraph is full,
            // its next word would not have fit (hand-wrapped text wrapped again leaves short lines).
            for (line, next) in zip(prose, prose.dropFirst()) where !line.isEmpty && !next.isEmpty {
                let indent = line.prefix { $0 == " " }.count
                guard indent == next.prefix(while: { $0 == " " }).count, indent == 0 || indent == 26,
                      !line.hasSuffix(":"), !next.hasPrefix("  -") else { continue }
                let firstWord = next.split(separator: " ").first ?? ""
                #expect(line.count + 1 + firstWord.count >= columns,
                        "\(subcommand) at \(columns): ragged line \"\(line)\" before \"\(next)\"")
            }
            #expect(current.isEmpty)
            if !subcommand.isEmpty && subcommand != "help" {
                #expect(!commands.isEmpty, "\(subcommand): no examples")
            }
            for command in commands {
                let check = try Tool.run(executable: "/bin/bash", ["-n", "-c", command])
                #expect(check.status == 0, "\(command): \(check.stderr)")
            }
        }
    }

    @Test("standard output that cannot be written: exit 2 with a message", arguments: [
        ["stats"], ["stats", "--json"], ["validate"], ["validate", "--format", "json"], ["records"],
        ["convert", "--to", "coco", "--image-size", "512x512"], ["filter", "--category", "Liver"],
        ["generate", "--bytes", "64k"], ["--help"], ["--version"],
    ])
    func fullDisk(arguments: [String]) throws {
        // validate's text report is empty for a valid file: give it one with a problem.
        let path = arguments == ["validate"] ? Paths.broken.appendingPathComponent("reference-dangling-image-id.json").path
            : Paths.fixture("segmentation-series.json")
        let needsFile = !["generate", "--help", "--version"].contains(arguments[0])
        let result = try runTool(arguments + (needsFile ? [path] : []), stdoutPath: "/dev/full")
        #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains("No space left on device"), "\(arguments): \(result.stderr)")
    }

    @Test("assemble to a full disk: exit 2")
    func fullDiskAssemble() throws {
        let path = Paths.fixture("segmentation-series.json")
        let result = try Tool.run(executable: "/bin/bash",
                                  ["-c", "'\(Tool.path)' records '\(path)' | '\(Tool.path)' assemble > /dev/full"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("No space left on device"))
    }

    @Test("completions offer file names and section names")
    func completions() throws {
        let bash = try runTool(["--generate-completion-script", "bash"]).stdout
        #expect(bash.contains("annotations") && bash.contains("regressions"))
        #expect(bash.contains("compgen -f") || bash.contains("-o default") || bash.contains("__aicoco_add_completions -f"),
                "no file completion in the bash script")
        let zsh = try runTool(["--generate-completion-script", "zsh"]).stdout
        #expect(zsh.contains("_files"))
        #expect(zsh.contains("('images' 'annotations' 'categories' 'regressions' 'objects' 'meta' 'tables' 'records' 'rows')"))
        let fish = try runTool(["--generate-completion-script", "fish"]).stdout
        #expect(fish.contains("__fish_complete_path") || fish.contains("-F") || fish.contains("-r -F"))
    }
}
