"""What the functions read: a path, bytes, or an open binary file (fed through a pipe)."""
import ctypes
import os

from . import _native

CHUNK = 1 << 20


class Source:
    """The (path, fd, bytes, length) arguments of the C API for `source`, kept alive while open.

    A file object (anything with `read`) is pumped into a pipe by a thread, so the engine reads
    it as it would a file, in constant memory, with the GIL free while it parses."""

    def __init__(self, source):
        self.path = None
        self.fd = -1
        self.data = None
        self.length = 0
        self.name = "-"
        self._pump = None
        self._read_end = None
        self._failure = None
        self.rereadable = False
        if isinstance(source, (str, os.PathLike)):
            self.name = os.fspath(source)
            self.path = os.fsencode(source)
            self.rereadable = True
        elif isinstance(source, (bytes, bytearray, memoryview)):
            self.name = "<bytes>"
            self.rereadable = True
            if isinstance(source, bytes):
                self._buffer = source  # no copy: the address of the bytes object's own buffer
                self.data = ctypes.cast(ctypes.c_char_p(source), ctypes.c_void_p).value
            else:
                self._buffer = (ctypes.c_uint8 * len(memoryview(source).cast("B"))).from_buffer_copy(source)
                self.data = ctypes.addressof(self._buffer)
            self.length = len(self._buffer)
            if self.length == 0:
                self.data = None
        elif hasattr(source, "read"):
            self.name = getattr(source, "name", "-") if isinstance(getattr(source, "name", None), str) else "-"
            self._open_pipe(source)
        else:
            raise TypeError(f"aicoco: cannot read a {type(source).__name__}: give a path, bytes or a binary file")

    def _open_pipe(self, file):
        read_end, write_end = os.pipe()
        self._read_end = read_end
        self.fd = read_end

        def pump():
            try:
                with os.fdopen(write_end, "wb", buffering=0) as pipe:
                    while True:
                        chunk = file.read(CHUNK)
                        if not chunk:
                            break
                        if isinstance(chunk, str):
                            raise TypeError("aicoco: the file gives str, not bytes: open it in binary mode ('rb')")
                        pipe.write(chunk)
            except (BrokenPipeError, OSError):
                pass  # the reader stopped early
            except Exception as failure:  # raised again by close()
                self._failure = failure

        import threading

        self._pump = threading.Thread(target=pump, name="aicoco-pipe", daemon=True)
        self._pump.start()

    def args(self):
        return [self.path, self.fd, self.data, self.length]

    def close(self):
        if self._read_end is not None:
            os.close(self._read_end)
            self._read_end = None
        if self._pump is not None:
            self._pump.join()
            self._pump = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def progress_callback(progress):
    """A C progress callback calling `progress(bytes_read, total_or_None)`, or a null one."""
    if progress is None:
        return _native.PROGRESS()

    def call(done, total, _context):
        progress(done, None if total < 0 else total)

    return _native.PROGRESS(call)
