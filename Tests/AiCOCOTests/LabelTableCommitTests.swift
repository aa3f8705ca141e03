import AiCOCO
import Foundation
import Testing

// `convert --to nifti` writes two files, the volume and its value table (`v.labels.json`, or
// `DIR/labels.json` for --split): both are written whole under hidden names before either is
// renamed, the table first, with the terminating signals held back between the renames. So an
// error in either leaves both old files as they were, and an interrupted run leaves the old pair
// or the new pair, never a new volume beside an old table.

@Suite("convert --to nifti: the volume and its label table put in place together (issue 20, item 6)")
struct LabelTableCommitTests {
    typealias H = PixelHostile

    static let text = H.document(images: [H.image(0, width: 8), H.image(1, width: 8)],
                                 annotations: [H.annotation(0, image: 0, "[1,1,5,1,5,5]"), H.annotation(1, image: 1, "[2,2,6,2,6,6]")])

    static func read(_ path: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("LabelVolumeConverter.prepare: nothing at the path until commit() (.nii and .nii.gz); a prepared volume dropped uncommitted leaves nothing",
          arguments: ["v.nii", "v.nii.gz"])
    func prepareThenCommit(output: String) throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + output
        let converter = LabelVolumeConverter()
        do {
            let dropped = try converter.prepare(passes: { .bytes(Array(Self.text.utf8)) }, to: path)
            #expect(dropped.summary.filled == 2)
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(ThirdRound.contents(directory).contains { $0.hasPrefix(".\(output).aicoco-") }, "\(ThirdRound.contents(directory))")
        }
        #expect(ThirdRound.contents(directory).isEmpty, "\(ThirdRound.contents(directory))")
        let prepared = try converter.prepare(passes: { .bytes(Array(Self.text.utf8)) }, to: path)
        #expect(!FileManager.default.fileExists(atPath: path))
        try prepared.commit()
        #expect(ThirdRound.contents(directory) == [output], "\(ThirdRound.contents(directory))")
        let expected = try converter.convert(passes: { .bytes(Array(Self.text.utf8)) }, to: directory + "/same-" + output)
        #expect(expected.filled == 2)
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written == (try Data(contentsOf: URL(fileURLWithPath: directory + "/same-" + output))), "prepare and commit write what convert does")
    }

    @Test("a table that cannot be written (its path is a directory): exit 2 naming it, the old volume untouched, no temporary file",
          arguments: ["v.nii", "v.nii.gz"])
    func tableFails(output: String) throws {
        let directory = try H.directory(with: Self.text)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("old volume\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + output))
        try FileManager.default.createDirectory(atPath: directory + "/v.labels.json", withIntermediateDirectories: false)
        let run = try H.run("convert --to nifti -o \(output) in.json", in: directory)
        H.expect(run, status: 2, message: "v.labels.json", "convert --to nifti -o \(output)")
        #expect(run.stderr.contains("directory"), "\(run.stderr)")
        #expect(Self.read(directory + "/" + output) == "old volume\n", "the volume was replaced without its table")
        H.expectNothingLeft(in: directory, keeping: [output, "v.labels.json"], "-o \(output)")

        // The same run with the table's path free writes both.
        try FileManager.default.removeItem(atPath: directory + "/v.labels.json")
        H.expect(try H.run("convert --to nifti -o \(output) in.json", in: directory), status: 0, "convert --to nifti -o \(output), table free")
        #expect(Self.read(directory + "/" + output) != "old volume\n")
        #expect(Self.read(directory + "/v.labels.json")?.contains("\"labels\"") == true)
    }

    @Test("--split DIR whose labels.json is a directory: exit 2, no volume put in DIR, no temporary file")
    func splitTableFails() throws {
        let directory = try H.directory(with: Self.text)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/out/labels.json", withIntermediateDirectories: true)
        let run = try H.run("convert --to nifti --split out in.json", in: directory)
        H.expect(run, status: 2, message: "labels.json", "convert --to nifti --split")
        #expect(ThirdRound.contents(directory + "/out") == ["labels.json"], "\(ThirdRound.contents(directory + "/out"))")

        try FileManager.default.removeItem(atPath: directory + "/out/labels.json")
        H.expect(try H.run("convert --to nifti --split out in.json", in: directory), status: 0, "convert --to nifti --split, table free")
        #expect(ThirdRound.contents(directory + "/out") == ["1-Organ.nii.gz", "labels.json"], "\(ThirdRound.contents(directory + "/out"))")
    }

    @Test("interrupted at several points (SIGINT, SIGTERM, SIGHUP): the old volume and table, or the new ones, never one of each")
    func interruptedPair() throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generated = try Hostile.shell("'\(Tool.path)' generate --bytes 2M --shape smooth > '\(directory)/in.json'")
        #expect(generated.status == 0)
        let delays = ["0.05", "0.15", "0.3", "0.5", "0.8", "1.2"]
        for output in ["v.nii", "v.nii.gz"] {
            for (index, delay) in delays.enumerated() {
                let signal = ["INT", "TERM", "HUP"][index % 3]
                try Data("old volume\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + output))
                try Data("old table\n".utf8).write(to: URL(fileURLWithPath: directory + "/v.labels.json"))
                let script = "cd '\(directory)' && { env --default-signal=INT '\(Tool.path)' convert --to nifti --image-size 256x256 "
                    + "-o \(output) in.json > /dev/null 2>&1 & pid=$!; sleep \(delay); kill -\(signal) $pid; wait $pid; echo \"status=$?\"; }"
                let result = try Hostile.shell(script)
                let volumeIsOld = Self.read(directory + "/" + output) == "old volume\n"
                let tableIsOld = Self.read(directory + "/v.labels.json") == "old table\n"
                #expect(volumeIsOld == tableIsOld, "-o \(output), SIG\(signal) after \(delay) s (\(result.stdout)): volume old \(volumeIsOld), table old \(tableIsOld)")
                let left = ThirdRound.contents(directory).filter { $0.contains(".aicoco-") }
                #expect(left.isEmpty, "-o \(output), SIG\(signal) after \(delay) s: \(left)")
            }
        }
    }
}
