"""The ctypes declarations (aicoco._native) against the C header, the contract."""
import ctypes
import re

from aicoco import _native
from conftest import ROOT

HEADER = ROOT / "Sources" / "CAiCOCOABI" / "include" / "aicoco.h"

# C type (as written in the header) -> the ctypes types that may stand for it.
C_TYPES = {
    "void": [None],
    "int32_t": [ctypes.c_int32],
    "int64_t": [ctypes.c_int64],
    # The batch's buffers: addresses that numpy adopts.
    "double *": [ctypes.c_void_p],
    "int64_t *": [ctypes.POINTER(ctypes.c_int64), ctypes.c_void_p],
    "int32_t *": [ctypes.c_void_p],
    "uint8_t *": [ctypes.c_void_p],
    "const char *": [ctypes.c_char_p],
    "const uint8_t *": [ctypes.c_void_p],
    "char *": [ctypes.c_void_p],  # returned text: freed with aicoco_free, so not c_char_p
    "void *": [ctypes.c_void_p, ctypes.py_object],  # py_object: a PyObject of aicoco_views
    "char **": [ctypes.POINTER(ctypes.c_void_p)],
    "uint8_t **": [ctypes.POINTER(ctypes.c_void_p)],
    "aicoco_progress": [_native.PROGRESS],
    "aicoco_batch *": [ctypes.POINTER(_native.Batch)],
    "const aicoco_python *": [ctypes.POINTER(_native.PythonAPI)],
    "const int64_t *": [ctypes.c_void_p],
}


def normalize(text):
    text = re.sub(r"\s+", " ", text.strip())
    return re.sub(r"\s*\*", " *", text).replace("* *", "**")


def c_type(declaration):
    """The type of a parameter declaration such as `const char *path`."""
    declaration = normalize(declaration)
    match = re.match(r"^(.*?)(\w+)$", declaration)
    return normalize(match.group(1)) if match and match.group(1).strip() else declaration


def header_text():
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def header_functions():
    functions = {}
    for restype, name, params in re.findall(r"\n\s*([\w ]+?\s*\**)\s*(aicoco_\w+)\s*\(([^)]*)\)\s*;", header_text()):
        args = [] if params.strip() in ("", "void") else [c_type(p) for p in params.split(",")]
        functions[name] = (normalize(restype), args)
    return functions


def test_every_function_of_the_header_is_declared_with_its_types():
    functions = header_functions()
    assert len(functions) >= 10
    assert set(functions) == set(_native.SIGNATURES)
    for name, (restype, args) in functions.items():
        py_restype, py_args = _native.SIGNATURES[name]
        assert py_restype in C_TYPES[restype], (name, restype, py_restype)
        assert len(args) == len(py_args), (name, args, py_args)
        for position, (c, py) in enumerate(zip(args, py_args)):
            assert py in C_TYPES[c], (name, position, c, py)


def test_the_batch_struct_has_the_header_fields_in_order():
    body = re.search(r"typedef struct aicoco_batch \{(.*?)\} aicoco_batch;", header_text(), re.S).group(1)
    fields = [c_type(line) for line in body.split(";") if line.strip()]
    names = [re.search(r"(\w+)$", normalize(line)).group(1) for line in body.split(";") if line.strip()]
    assert names == [name for name, _ in _native.Batch._fields_]
    for c, (name, py) in zip(fields, _native.Batch._fields_):
        assert py in C_TYPES[c], (name, c, py)


def test_the_progress_callback_type_is_the_header_one():
    match = re.search(r"typedef (\w+) \(\*aicoco_progress\)\(([^)]*)\);", header_text())
    restype, params = match.group(1), [c_type(p) for p in match.group(2).split(",")]
    assert _native.PROGRESS._restype_ in C_TYPES[restype]
    assert len(params) == len(_native.PROGRESS._argtypes_)
    for c, py in zip(params, _native.PROGRESS._argtypes_):
        assert py in C_TYPES[c], (c, py)


def test_the_python_struct_has_the_header_fields_in_order():
    body = re.search(r"typedef struct aicoco_python \{(.*?)\} aicoco_python;", header_text(), re.S).group(1)
    names = re.findall(r"^\s*[\w *]+?\(\*(\w+)\)", body, re.M)  # a field's pointer, not a parameter's
    assert names == [name for name, _ in _native.PythonAPI._fields_]


def test_the_library_exports_only_the_header_functions_and_its_abi_version():
    assert _native.lib.aicoco_abi_version() == int(re.search(r"AICOCO_ABI_VERSION (\d+)", HEADER.read_text()).group(1))
    import subprocess
    out = subprocess.run(["nm", "-D", "--defined-only", _native.library_path()], capture_output=True, text=True)
    if out.returncode == 0:
        exported = {line.split()[-1] for line in out.stdout.splitlines() if " T " in line}
        assert exported == set(header_functions()), exported ^ set(header_functions())
