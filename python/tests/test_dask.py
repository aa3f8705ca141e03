"""aicoco.dask on a LocalCluster of 2 worker processes, over generated files and a broken one."""
import json

import pytest

distributed = pytest.importorskip("distributed")

import aicoco
import aicoco.dask
from conftest import FIXTURES, run


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_stats_of_every_file_and_the_broken_one_as_a_row(client, cli, generated):
    frame = aicoco.dask.stats(generated, client=client)
    assert list(frame["file"]) == [str(path) for path in generated]
    # The workers are other processes: the rows come from there.
    assert len(client.scheduler_info()["workers"]) == 2
    for path, row in zip(generated, frame.to_dict("records")):
        out = run(cli, "stats", "--json", path)
        if path.name == "bad.json":
            assert not row["ok"] and row["error_kind"] == "syntax"
            assert row["error"] == out.stderr.splitlines()[0]
        else:
            assert row["ok"], row["error"]
            expected = json.loads(out.stdout)
            for key in ("images", "annotations", "polygons", "points", "bboxes", "bytes"):
                assert row[key] == expected[key]
            assert row["annotated_images.count"] == expected["annotated_images"]["count"]


def test_validate_reports_the_broken_file_without_stopping_the_others(client, generated):
    frame = aicoco.dask.validate(list(generated) + [FIXTURES / "broken" / "reference-dangling-image-id.json"],
                                 client=client)
    assert len(frame) == len(generated) + 1
    valid = dict(zip(frame["file"], frame["valid"]))
    assert [valid[str(p)] for p in generated] == [p.name != "bad.json" for p in generated]
    dangling = frame.iloc[-1]
    assert dangling["error_count"] == 1 and dangling["problems"][0]["kind"] == "reference"
    assert dangling["first_problem"].endswith("($.annotations[1].image_id)")
    bad = frame[frame["file"].str.endswith("bad.json")].iloc[0]
    assert bad["error_count"] >= 1 and bad["problems"][0]["kind"] == "syntax"


def test_measure_gathers_every_file_rows_and_the_failures(client, cli, generated):
    files = [FIXTURES / "flavor" / "flavor-seg3d-smooth.json", generated[2]]
    frame = aicoco.dask.measure(files, client=client, image_size=(512, 512), spacing=(0.7, 0.7, 5))
    good = frame[frame["file"] == str(files[0])]
    out = run(cli, "measure", "--image-size", "512x512", "--spacing", "0.7,0.7,5", files[0])
    assert len(good) == len(out.stdout.splitlines()) - 1 and good["ok"].all()
    assert good["pixels"].sum() == sum(int(line.split(",")[5]) for line in out.stdout.splitlines()[1:]
                                       if line.split(",")[5])
    bad = frame[frame["file"] == str(files[1])]
    assert len(bad) == 1 and not bad["ok"].iloc[0] and "syntax error" in bad["error"].iloc[0]
