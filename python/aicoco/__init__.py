"""aicoco: read, check and measure AiCOCO files (Taiwan AILabs' FLaVor outputs) from Python, on
the Swift engine of swift-aicoco (streaming, constant memory, the GIL free while it parses).

    import aicoco
    aicoco.stats("series.json")["annotations"]
    report = aicoco.validate("series.json"); report.valid, report.problems
    for batch in aicoco.annotations("series.json"):
        batch.coordinates, batch.polygon_offsets, batch.annotation_offsets, batch.to_pandas()
    for image in aicoco.records("series.json", "images"): image["index"]

`aicoco.dask` maps them over the files of an archive on a Dask cluster.
"""
from ._annotations import AnnotationBatch, AnnotationReader, annotations
from ._api import records, stats, validate
from ._errors import AiCOCOError, Problem, Report

__version__ = "0.1.0"

__all__ = ["AiCOCOError", "AnnotationBatch", "AnnotationReader", "Problem", "Report", "annotations",
           "records", "stats", "validate", "cli_path"]


def cli_path():
    """The `aicoco` command installed with the package (built with the Swift runtime linked
    statically), else the one on the PATH; None when there is neither."""
    import os
    import shutil

    bundled = os.path.join(os.path.dirname(__file__), "bin", "aicoco")
    if os.access(bundled, os.X_OK):
        return bundled
    return shutil.which("aicoco")
