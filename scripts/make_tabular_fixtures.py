#!/usr/bin/env python3
"""Regenerate Fixtures/broken/tabular/: tabular and hybrid outputs with one problem each.

Each case is a document `NAME.json` and, for tabular outputs, its records artifact `NAME.jsonl`
beside it (the document's `records.href` names it). They start from the real FLaVor samples in
Fixtures/flavor/ (artifacts cut to their first 4 records). `expected.json` maps the case name to
`{file, kind, offset, line, column, path, contains}`, with `file` the file the problem is in
(the document or the artifact), places computed here from the bytes written, independently of
the Swift code:
- artifact places: line and column of the artifact; path `$[i]...` for the record on line i + 1;
  the count of rows and bytes is checked at the artifact's end (offset = its size, path `$`);
- document places follow Fixtures/README.md (first byte of the offending value; a missing key:
  the `{` of the object lacking it; a key that does not belong: its opening quote).
"""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAVOR = os.path.join(ROOT, "Fixtures", "flavor")
OUT = os.path.join(ROOT, "Fixtures", "broken", "tabular")


def load(name):
    with open(os.path.join(FLAVOR, name)) as f:
        return json.load(f)


def artifact_lines(name, count=4):
    with open(os.path.join(FLAVOR, name)) as f:
        return [json.loads(line) for line in f.readlines()[:count]]


def dumps(value):
    return json.dumps(value, separators=(",", ":"))


def place(text, offset):
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return {"offset": offset, "line": line, "column": offset - start + 1}


def find(text, needle, occurrence=0, after=0):
    offset = text.index(needle, after)
    for _ in range(occurrence):
        offset = text.index(needle, offset + 1)
    return offset


CLASSIFICATION = ("flavor-tabular-classification.json", "records_b3UbJp42tMFsBzD8Ucw9W.jsonl")
REGRESSION = ("flavor-tabular-regression.json", "records_bXoh5OOKg_t9ut3J6EVbC.jsonl")
expected = {}


def tabular_case(name, base, edit_records=None, raw_lines=None, edit_document=None, error=None):
    """Writes NAME.json and NAME.jsonl; `error(document_text, artifact_text)` gives the expectation."""
    document = load(base[0])
    records = artifact_lines(base[1])
    if edit_records:
        edit_records(records)
    lines = [dumps(r) for r in records]
    if raw_lines:
        lines = raw_lines(lines)
    artifact = "".join(line + "\n" for line in lines)
    document["records"]["href"] = "/invocations/artifacts/%s.jsonl" % name
    document["records"]["rows"] = sum(1 for line in lines if line.strip())
    document["records"]["bytes"] = len(artifact.encode())
    if edit_document:
        edit_document(document, artifact)
    text = dumps(document)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, name + ".jsonl"), "w") as f:
        f.write(artifact)
    expected[name] = error(text, artifact)


def document_case(name, document, error):
    text = dumps(document)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        f.write(text)
    expected[name] = error(text, None)


def in_artifact(name, kind, offset_of, path, contains):
    def error(_, artifact):
        entry = {"file": name + ".jsonl", "kind": kind}
        entry.update(place(artifact, offset_of(artifact)))
        entry.update({"path": path, "contains": contains})
        return entry
    return error


def in_document(name, kind, offset_of, path, contains):
    def error(document, _):
        entry = {"file": name + ".json", "kind": kind}
        entry.update(place(document, offset_of(document)))
        entry.update({"path": path, "contains": contains})
        return entry
    return error


def line_start(artifact, index):
    offset = 0
    for _ in range(index):
        offset = artifact.index("\n", offset) + 1
    return offset


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))

    # The artifact's rules.
    def negative(records): records[1]["row_indexes"][1] = -4
    tabular_case("artifact-row-index-negative", CLASSIFICATION, negative, error=in_artifact(
        "artifact-row-index-negative", "schema", lambda a: find(a, "-4", after=line_start(a, 1)),
        "$[1].row_indexes[1]", "non-negative"))

    def fraction(records): records[2]["row_indexes"][1] = "FRACTION"
    tabular_case("artifact-row-index-fraction", CLASSIFICATION, fraction,
                 raw_lines=lambda lines: [l.replace('"FRACTION"', "7.0") for l in lines],
                 error=in_artifact("artifact-row-index-fraction", "schema", lambda a: find(a, "7.0"),
                                   "$[2].row_indexes[1]", "non-negative integer"))

    def short_window(records): records[0]["row_indexes"] = [0, 1]
    tabular_case("artifact-window-size", CLASSIFICATION, short_window, error=in_artifact(
        "artifact-window-size", "semantic", lambda a: find(a, "[0,1]"), "$[0].row_indexes", "window_size"))

    def dangling_table(records): records[1]["table_id"] = "NoSuchTable0000000000"
    tabular_case("artifact-dangling-table-id", CLASSIFICATION, dangling_table, error=in_artifact(
        "artifact-dangling-table-id", "reference", lambda a: find(a, '"NoSuchTable0000000000"'),
        "$[1].table_id", "NoSuchTable0000000000"))

    def unknown_category(records): records[0]["category_ids"] = [records[0]["category_ids"][0], "NoSuchCategory0000000"]
    tabular_case("artifact-unknown-category", CLASSIFICATION, unknown_category, error=in_artifact(
        "artifact-unknown-category", "reference", lambda a: find(a, '"NoSuchCategory0000000"'),
        "$[0].category_ids[1]", "NoSuchCategory0000000"))

    def unknown_regression(records): records[1]["regressions"][1]["regression_id"] = "NoSuchRegression00000"
    tabular_case("artifact-unknown-regression", REGRESSION, unknown_regression, error=in_artifact(
        "artifact-unknown-regression", "reference", lambda a: find(a, '"NoSuchRegression00000"'),
        "$[1].regressions[1].regression_id", "NoSuchRegression00000"))

    def more_rows(document, _): document["records"]["rows"] = 5
    tabular_case("artifact-rows-mismatch", CLASSIFICATION, edit_document=more_rows, error=in_artifact(
        "artifact-rows-mismatch", "semantic", lambda a: len(a.encode()), "$", "rows"))

    def more_bytes(document, artifact): document["records"]["bytes"] = len(artifact.encode()) + 10
    tabular_case("artifact-bytes-mismatch", CLASSIFICATION, edit_document=more_bytes, error=in_artifact(
        "artifact-bytes-mismatch", "semantic", lambda a: len(a.encode()), "$", "bytes"))

    def no_table(records): del records[2]["table_id"]
    tabular_case("artifact-missing-table-id", CLASSIFICATION, no_table, error=in_artifact(
        "artifact-missing-table-id", "schema", lambda a: line_start(a, 2), "$[2]", "table_id"))

    def split(lines):
        cut = lines[1].index(',"row_indexes"') + 1
        return [lines[0], lines[1][:cut], lines[1][cut:]] + lines[2:]
    tabular_case("artifact-record-split-over-lines", CLASSIFICATION, raw_lines=split, error=in_artifact(
        "artifact-record-split-over-lines", "syntax", lambda a: line_start(a, 2) - 1, "$[1]", "line"))

    tabular_case("artifact-line-not-object", CLASSIFICATION,
                 raw_lines=lambda lines: [lines[0], "[1,2]"] + lines[2:], error=in_artifact(
                     "artifact-line-not-object", "schema", lambda a: line_start(a, 1), "$[1]", "object"))

    def ids_string(records): records[0]["category_ids"] = "Arrhythmia"
    tabular_case("artifact-category-ids-string", CLASSIFICATION, ids_string, error=in_artifact(
        "artifact-category-ids-string", "schema", lambda a: find(a, '"Arrhythmia"'), "$[0].category_ids", "array"))

    def item_extra(records): records[0]["regressions"][0]["unit"] = "bpm"
    tabular_case("artifact-regression-item-extra-key", REGRESSION, item_extra, error=in_artifact(
        "artifact-regression-item-extra-key", "schema", lambda a: find(a, '[{"regression_id"') + 1,
        "$[0].regressions[0]", "regression_id"))

    tabular_case("artifact-empty-line", CLASSIFICATION,
                 raw_lines=lambda lines: lines[:2] + [""] + lines[2:], error=in_artifact(
                     "artifact-empty-line", "schema", lambda a: line_start(a, 2), "$[2]", "empty"))

    tabular_case("artifact-duplicate-key", CLASSIFICATION,
                 raw_lines=lambda lines: [lines[0].replace('"table_id"', '"id":"again","table_id"', 1)] + lines[1:],
                 error=in_artifact("artifact-duplicate-key", "semantic", lambda a: find(a, '"id"', occurrence=1),
                                   "$[0].id", "duplicate"))

    # The document's rules.
    def csv(document, _): document["records"]["format"] = "csv"
    tabular_case("tabular-records-format", CLASSIFICATION, edit_document=csv, error=in_document(
        "tabular-records-format", "schema", lambda d: find(d, '"csv"'), "$.records.format", "jsonl"))

    def no_window(document, _): document["meta"] = {}
    tabular_case("tabular-missing-window-size", CLASSIFICATION, edit_document=no_window, error=in_document(
        "tabular-missing-window-size", "schema", lambda d: find(d, '"meta":{}') + 7, "$.meta", "window_size"))

    def fractional_rows(document, _): document["records"]["rows"] = "ROWS"
    tabular_case("tabular-rows-not-integer", CLASSIFICATION, edit_document=fractional_rows, error=in_document(
        "tabular-rows-not-integer", "schema", lambda d: find(d, '"ROWS"'), "$.records.rows", "integer"))

    def negative_bytes(document, _): document["records"]["bytes"] = -1
    tabular_case("tabular-bytes-negative", CLASSIFICATION, edit_document=negative_bytes, error=in_document(
        "tabular-bytes-negative", "schema", lambda d: find(d, "-1"), "$.records.bytes", "non-negative"))

    def duplicate_table(document, _): document["tables"][1]["id"] = document["tables"][0]["id"]
    tabular_case("tabular-duplicate-table-id", CLASSIFICATION, edit_document=duplicate_table, error=in_document(
        "tabular-duplicate-table-id", "reference",
        lambda d: find(d, '"id"', after=find(d, '"file_name"')) + 5, "$.tables[1].id", "duplicate"))

    def table_without_name(document, _): del document["tables"][0]["file_name"]
    tabular_case("tables-missing-file-name", CLASSIFICATION, edit_document=table_without_name, error=in_document(
        "tables-missing-file-name", "schema", lambda d: find(d, '[{"id"') + 1, "$.tables[0]", "file_name"))

    def with_images(document, _): document["images"] = []
    tabular_case("kind-tabular-with-images", CLASSIFICATION, edit_document=with_images, error=in_document(
        "kind-tabular-with-images", "schema", lambda d: find(d, '"images"'), "$.images", "tabular"))

    hybrid = load("flavor-hybrid-classification.json")
    hybrid["meta"]["table_ids"] = [hybrid["tables"][0]["id"], "NoSuchTable0000000000"]
    document_case("hybrid-dangling-table-ids", hybrid, in_document(
        "hybrid-dangling-table-ids", "reference", lambda d: find(d, '"NoSuchTable0000000000"'),
        "$.meta.table_ids[1]", "NoSuchTable0000000000"))

    tabular = load(CLASSIFICATION[0])
    del tabular["records"]
    document_case("kind-tabular-missing-records", tabular, in_document(
        "kind-tabular-missing-records", "schema", lambda d: 0, "$", "records"))

    tabular_case("artifact-two-records-on-a-line", CLASSIFICATION,
                 raw_lines=lambda lines: [lines[0] + lines[1]] + lines[2:], error=in_artifact(
                     "artifact-two-records-on-a-line", "syntax", lambda a: a.index("}{") + 1, "$[0]", "line"))

    def zero_window(document, _): document["meta"]["window_size"] = 0
    tabular_case("tabular-window-size-zero", CLASSIFICATION, edit_document=zero_window, error=in_document(
        "tabular-window-size-zero", "schema", lambda d: find(d, '"window_size":0') + 14, "$.meta.window_size",
        "positive integer"))

    hybrid_window = load("flavor-hybrid-regression.json")
    hybrid_window["meta"]["window_size"] = 3
    document_case("hybrid-window-size", hybrid_window, in_document(
        "hybrid-window-size", "schema", lambda d: find(d, '"meta":{') + 7, "$.meta", "window_size"))

    image_tables = load("flavor-classification.json")
    image_tables["meta"]["table_ids"] = None
    document_case("image-table-ids", image_tables, in_document(
        "image-table-ids", "schema", lambda d: find(d, '"meta":{') + 7, "$.meta", "table_ids"))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
