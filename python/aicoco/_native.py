"""The ctypes side of the C ABI of libAiCOCOCAPI.so (Sources/CAiCOCOABI/include/aicoco.h).

tests/test_header.py holds every signature and the batch struct here to that header.
"""
import ctypes
import os
from ctypes import POINTER, c_char_p, c_int32, c_int64, c_void_p, py_object

LIBRARY_NAME = "libAiCOCOCAPI.so"
ABI_VERSION = 6

# Returns 0 to go on, 1 to stop the reading (the callback raised).
PROGRESS = ctypes.CFUNCTYPE(c_int32, c_int64, c_int64, c_void_p)


class Batch(ctypes.Structure):
    """struct aicoco_batch (its pointers as plain addresses: numpy adopts them, see _annotations)."""

    _fields_ = [
        ("count", c_int64),
        ("polygons", c_int64),
        ("values", c_int64),
        ("boxes", c_int64),
        ("coordinates", c_void_p),
        ("columns", c_void_p),
        ("columns_length", c_int64),
        ("polygon_offsets", c_void_p),
        ("annotation_offsets", c_void_p),
        ("bboxes", c_void_p),
        ("bbox_offsets", c_void_p),
        ("iscrowd", c_void_p),
        ("segmentation_null", c_void_p),
        ("ids", c_void_p),
        ("id_offsets", c_void_p),
        ("image_ids", c_void_p),
        ("image_id_offsets", c_void_p),
        ("object_ids", c_void_p),
        ("object_id_offsets", c_void_p),
        ("slice_index", c_void_p),
        ("category_codes", c_void_p),
        ("categories", c_int64),
        ("category_names", c_void_p),
        ("category_name_offsets", c_void_p),
        ("meta", c_void_p),
        ("meta_length", c_int64),
        ("bytes_read", c_int64),
        ("total_bytes", c_int64),
    ]


class PythonAPI(ctypes.Structure):
    """struct aicoco_python: the functions of the running Python and numpy aicoco_views calls."""

    _fields_ = [(name, c_void_p) for name in
                ("incref", "decref", "capsule_new", "capsule_get_pointer", "cfunction_new", "new_from_descr",
                 "set_base_object")]


ERROR_OUT = POINTER(c_void_p)
# The input of every reading function: path, fd, bytes, length.
INPUT = [c_char_p, c_int32, c_void_p, c_int64]

# name: (restype, argtypes)
SIGNATURES = {
    "aicoco_abi_version": (c_int32, []),
    "aicoco_free": (None, [c_void_p]),
    "aicoco_stats": (c_void_p, INPUT + [c_int64, PROGRESS, c_void_p, ERROR_OUT]),
    "aicoco_validate": (c_void_p, INPUT + [c_char_p, c_int64, c_int32, c_int64, PROGRESS, c_void_p, ERROR_OUT]),
    "aicoco_annotations_open": (c_void_p, INPUT + [c_int64, c_int32, c_int32, c_int64, c_int32, c_int64, ERROR_OUT]),
    "aicoco_annotations_next": (c_int32, [c_void_p, POINTER(Batch), ERROR_OUT]),
    "aicoco_annotations_reread": (c_int32, [c_void_p] + INPUT + [ERROR_OUT]),
    "aicoco_batch_free": (None, [POINTER(Batch)]),
    "aicoco_annotations_close": (None, [c_void_p]),
    "aicoco_records_open": (c_void_p, INPUT + [c_char_p, c_int32, c_int64, PROGRESS, c_void_p, ERROR_OUT]),
    "aicoco_records_next": (c_int32, [c_void_p, POINTER(c_void_p), POINTER(c_int64), ERROR_OUT]),
    "aicoco_records_close": (None, [c_void_p]),
    "aicoco_views": (py_object, [POINTER(PythonAPI), py_object, py_object, py_object, c_void_p, c_int64, c_void_p,
                                 c_int64, c_int32]),
}
# Called with the GIL held (through ctypes.PyDLL): they make Python objects.
WITH_GIL = {"aicoco_views"}


def library_path():
    """The library to load: $AICOCO_LIBRARY, else the one inside the package."""
    return os.environ.get("AICOCO_LIBRARY") or os.path.join(os.path.dirname(__file__), LIBRARY_NAME)


def load(path=None):
    """Loads the library and declares its functions (ctypes releases the GIL during each call,
    but for those of WITH_GIL)."""
    path = path or library_path()
    if not os.path.exists(path):
        raise ImportError(f"aicoco: the native library {path} is missing (install the package with "
                          f"`pip install ./python`, or set AICOCO_LIBRARY to a built {LIBRARY_NAME})")
    lib = ctypes.CDLL(path)
    lib.aicoco_abi_version.restype = c_int32
    version = lib.aicoco_abi_version()
    if version != ABI_VERSION:
        raise ImportError(f"aicoco: {path} has C ABI version {version}, this package expects {ABI_VERSION}")
    with_gil = ctypes.PyDLL(path, handle=lib._handle)
    for name, (restype, argtypes) in SIGNATURES.items():
        function = getattr(with_gil if name in WITH_GIL else lib, name)
        setattr(lib, name, function)
        function.restype = restype
        function.argtypes = argtypes
    return lib


lib = load()


def take_string(pointer):
    """The text of a malloc'd C string from the library, freed."""
    if not pointer:
        return None
    try:
        return ctypes.string_at(pointer).decode("utf-8")
    finally:
        lib.aicoco_free(pointer)
