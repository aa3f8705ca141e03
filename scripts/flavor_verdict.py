#!/usr/bin/env python3
"""FLaVor's own output models' verdict on AiCOCO files (plus the schema's, for image outputs).

Usage: flavor_verdict.py --flavor CHECKOUT [--commit SHA] [--record OUT.tsv] FILE...

CHECKOUT is a FLaVor source tree (github.com/ailabstw/FLaVor; at least its
flavor/serve/inference/data_models/ and pyproject.toml). Its pydantic models are imported from
there (nothing of FLaVor is copied here); pydantic 2 must be installed. FastAPI is not needed:
when it is missing, a stand-in `fastapi.UploadFile` is made, which only the input models use.

The model is chosen as FLaVor's strategies choose it, by the document's keys: `records` ->
AiCOCOTabularOutputDataModel, else `tables` -> AiCOCOHybridOutputDataModel, else
AiCOCOImageOutputDataModel; the document is read with json.loads (NaN refused) and validated with
model_validate (model_validate_json must agree, else the script stops). For a tabular output,
each line of its records artifact (the file named by the last component of `records.href`,
beside the document) is validated with AiRecord too: FLaVor 2.2.3 writes those lines without
validating them, but AiRecord is its model of a record (2.1.0 to 2.2.1 validated inline records
with it). The schema verdict is scripts/schema_verdict.py's, for image outputs only (the upstream
schema knows no tables; "n/a" for the others).

Prints (or, with --record, writes) one tab-separated line per file:
  FILE  KIND  SCHEMA  MODEL  MODEL_PATH  MODEL_ERROR  TARGET
KIND image|tabular|hybrid; SCHEMA valid|invalid|n/a; MODEL accept|reject; MODEL_PATH the JSON
path of pydantic's first error ($.images[0].index; an artifact line's: artifact$[i]...), "-" when
accepted; MODEL_ERROR pydantic's error type; TARGET what the case targets (from a cases.tsv beside
the file, else "-").
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import schema_verdict  # noqa: E402


def load_models(checkout):
    root = os.path.join(checkout, "flavor", "serve", "inference", "data_models")
    try:
        import fastapi  # noqa: F401
    except ImportError:
        stub = types.ModuleType("fastapi")

        class UploadFile:
            @classmethod
            def __get_pydantic_core_schema__(cls, source, handler):
                from pydantic_core import core_schema
                return core_schema.any_schema()

        stub.UploadFile = UploadFile
        sys.modules["fastapi"] = stub
    spec = importlib.util.spec_from_file_location(
        "flavor_data_models", os.path.join(root, "__init__.py"), submodule_search_locations=[root])
    package = importlib.util.module_from_spec(spec)
    sys.modules["flavor_data_models"] = package
    spec.loader.exec_module(package)
    import flavor_data_models.api as api
    import flavor_data_models.functional as functional
    return api, functional


def flavor_version(checkout):
    try:
        with open(os.path.join(checkout, "pyproject.toml")) as f:
            for line in f:
                if line.startswith("version"):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def first_error(error, prefix="$"):
    e = error.errors()[0]
    return prefix + schema_verdict.format_path(e["loc"])[1:], e["type"]


def model_verdict(path, doc, text, api, functional):
    from pydantic import ValidationError
    if "records" in doc:
        kind, model = "tabular", api.AiCOCOTabularOutputDataModel
    elif "tables" in doc:
        kind, model = "hybrid", api.AiCOCOHybridOutputDataModel
    else:
        kind, model = "image", api.AiCOCOImageOutputDataModel
    verdict = None
    try:
        model.model_validate(doc)
    except ValidationError as error:
        verdict = first_error(error)
    try:
        model.model_validate_json(text)
        agrees = verdict is None
    except ValidationError as error:
        agrees = verdict is not None
    if not agrees:
        sys.exit("%s: model_validate and model_validate_json disagree" % path)
    if verdict is None and kind == "tabular":
        href = doc["records"]["href"]
        artifact = os.path.join(os.path.dirname(path), href.rsplit("/", 1)[-1])
        with open(artifact, encoding="utf-8") as f:
            for number, line in enumerate(f):
                try:
                    functional.AiRecord.model_validate(json.loads(line))
                except ValidationError as error:
                    verdict = first_error(error, "artifact$[%d]" % number)
                    break
    return kind, verdict


def targets_beside(path):
    cases = os.path.join(os.path.dirname(path), "cases.tsv")
    out = {}
    if os.path.exists(cases):
        with open(cases) as f:
            for line in f:
                name, target = line.rstrip("\n").split("\t", 1)
                out[name] = target
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flavor", required=True, help="a FLaVor source tree")
    parser.add_argument("--commit", help="the FLaVor commit of that tree (for the header)")
    parser.add_argument("--record", help="write the verdicts to this file")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    api, functional = load_models(args.flavor)
    import jsonschema
    import pydantic
    with open(schema_verdict.schema_path()) as f:
        validator = jsonschema.Draft7Validator(json.load(f))
    commit = args.commit
    if commit is None:
        try:
            commit = subprocess.check_output(["git", "-C", args.flavor, "rev-parse", "HEAD"], text=True).strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "unknown"
    lines = ["# verdicts of FLaVor %s (commit %s) output models, pydantic %s, and of spec/aicoco.schema.json"
             % (flavor_version(args.flavor), commit, pydantic.VERSION),
             "# file\tkind\tschema\tmodel\tmodel_path\tmodel_error\ttarget"]
    for path in sorted(args.files):
        text = open(path, encoding="utf-8").read()
        doc = schema_verdict.load(path)
        kind, verdict = model_verdict(path, doc, text, api, functional)
        if kind == "image":
            schema = "valid" if schema_verdict.best_match(validator.iter_errors(doc)) is None else "invalid"
        else:
            schema = "n/a"
        model_path, model_error = verdict if verdict else ("-", "-")
        name = os.path.relpath(path, os.path.dirname(HERE))
        target = targets_beside(path).get(os.path.basename(path), "-")
        lines.append("\t".join([name, kind, schema, "reject" if verdict else "accept", model_path, model_error, target]))
    text = "\n".join(lines) + "\n"
    if args.record:
        with open(args.record, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
