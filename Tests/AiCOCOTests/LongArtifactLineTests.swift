import Foundation
import Testing

/// A records artifact line far longer than a read chunk is parsed as it streams in, never held
/// whole (issue 25): `validate` stays under 32 MiB on a line of tens of MB, places what is wrong
/// in it, and reads the lines after it at their right places. The long lines are made at run time.
@Suite("long artifact lines, streamed")
struct LongArtifactLineTests {
    static let document = Paths.flavor.appendingPathComponent("flavor-tabular-classification.json").path
    static let artifact = Paths.flavor.appendingPathComponent("records_b3UbJp42tMFsBzD8Ucw9W.jsonl").path
    static let table = "pL_QEti-WqMT6rulL7Vix"

    @Test("a 40 MB line of 5 M row indexes: its window_size error placed, the lines after it read, in bounded memory")
    func longRowIndexes() throws {
        try inScratchDirectory { directory in
            // The fixture's first line, a 40 MB line (5 M row indexes, spaced; window_size is 3), then a line
            // whose table_id dangles, then the rest of the fixture.
            let prefix = "{\"id\":\"long\",\"table_id\":\"\(Self.table)\",\"row_indexes\":["
            let made = try Hostile.shell("""
                cd '\(directory)' && { head -n 1 '\(Self.artifact)'; printf '%s' '\(prefix)'; \
                yes '0,      ' | head -n 5000000 | tr -d '\\n'; printf '0],"category_ids":[],"regressions":null}\\n'; \
                printf '{"id":"after","table_id":"nowhere","row_indexes":[0,1,2],"category_ids":[],"regressions":null}\\n'; \
                tail -n +2 '\(Self.artifact)'; } > long.jsonl
                """)
            #expect(made.status == 0, "\(made.stderr)")
            let run = try ThirdRound.run("validate --max-record-bytes 64M --records long.jsonl '\(Self.document)'", in: directory)
            ThirdRound.expect(run, status: 1, placed: "long.jsonl:2:\(prefix.utf8.count): semantic error: 5000001 row indexes, but meta.window_size is 3 ($[1].row_indexes)",
                              "a 40 MB line of row indexes")
            // The line after it: placed on its own line, at its table_id's value.
            let tableColumn = "{\"id\":\"after\",\"table_id\":".utf8.count + 1
            #expect(run.stdout.contains("long.jsonl:3:\(tableColumn): reference error"), "\(run.stdout)")
            #expect(run.stdout.contains("the artifact has 62 records, but records.rows in the document says 60"), "\(run.stdout)")
        }
    }

    @Test("a 100 MB string on one line: a limit error on its first byte at once, in bounded memory")
    func longString() throws {
        try inScratchDirectory { directory in
            let prefix = "{\"id\":\"long\",\"table_id\":\"\(Self.table)\",\"row_indexes\":[0,1,2],\"note\":"
            let made = try Hostile.shell("""
                cd '\(directory)' && { printf '%s"' '\(prefix)'; head -c 100000000 /dev/zero | tr '\\0' x; \
                printf '"}\\n'; } > long.jsonl
                """)
            #expect(made.status == 0, "\(made.stderr)")
            // maxRecordBytes above the line's length: only the string's own limit (8 MiB) stops it.
            let run = try ThirdRound.run("validate --max-record-bytes 200M --records long.jsonl '\(Self.document)'", in: directory)
            ThirdRound.expect(run, status: 1,
                              placed: "long.jsonl:1:\(prefix.utf8.count + 1): limit error: string of more than 8388608 bytes (limit maxStringBytes) ($[0].note)",
                              "a 100 MB string")
        }
    }
}
