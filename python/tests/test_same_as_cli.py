"""stats, validate and records give what the `aicoco` command gives, on every fixture."""
import json

import pytest

import aicoco
from conftest import ROOT, fixture_files, run

FILES = fixture_files()
TIMING = ("elapsed_seconds", "mb_per_second")


def name(path):
    """The path both sides are given (absolute: a tabular output's artifact is named beside it)."""
    return str(path)


def short_id(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", FILES, ids=short_id)
def test_stats_equals_stats_json(cli, path):
    out = run(cli, "stats", "--json", name(path))
    if out.returncode == 0:
        expected = json.loads(out.stdout)
        got = aicoco.stats(path)
        assert set(got) == set(expected)
        for key in TIMING:
            expected.pop(key), got.pop(key)
        assert got == expected
    else:
        with pytest.raises(aicoco.AiCOCOError) as caught:
            aicoco.stats(path)
        assert caught.value.describe(name(path)) == out.stderr.splitlines()[0]


@pytest.mark.parametrize("path", FILES, ids=short_id)
def test_validate_equals_validate_format_json(cli, path):
    out = run(cli, "validate", "--format", "json", name(path))
    expected = json.loads(out.stdout)
    if expected.get("readable") is False:
        with pytest.raises(aicoco.AiCOCOError):
            aicoco.validate(path)
        return
    report = aicoco.validate(path, name=name(path))
    assert report.valid == expected["valid"] == (out.returncode == 0)
    assert report.error_count == expected["error_count"]
    assert report.truncated == expected["truncated"] and report.bytes == expected["bytes"]
    assert [{"kind": p.kind, "message": p.message, "path": p.path, "line": p.line, "column": p.column,
             "offset": p.offset, **({"file": p.file} if p.file else {})} for p in report.problems] == expected["errors"]


@pytest.mark.parametrize("path", FILES, ids=short_id)
def test_records_equal_records_lines(cli, path):
    out = run(cli, "records", name(path))
    expected = [json.loads(line) for line in out.stdout.splitlines()]
    got = []
    if out.returncode == 0:
        got = [{"section": section, "record": record} for section, record in aicoco.records(path)]
    else:
        with pytest.raises(aicoco.AiCOCOError) as caught:
            for section, record in aicoco.records(path):
                got.append({"section": section, "record": record})
        assert caught.value.describe(name(path)) == out.stderr.splitlines()[0]
    assert got == expected


@pytest.mark.parametrize("path", [p for p in FILES if "broken" not in p.parts][:12], ids=short_id)
def test_records_of_one_section_equal_records_section(cli, path):
    for section in ["annotations", "images", "meta"]:
        out = run(cli, "records", "--section", section, name(path))
        if out.returncode != 0:
            continue
        assert list(aicoco.records(path, section)) == [json.loads(l) for l in out.stdout.splitlines()]
