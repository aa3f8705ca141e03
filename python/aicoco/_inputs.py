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
        # `read1` gives what a pipe or socket has now (`read` waits for a whole chunk or the end).
        read = getattr(file, "read1", None) or file.read
        import threading

        # Held while the write end is closed or made /dev/null (`interrupt`): one of them only.
        self._write_lock = threading.Lock()
        self._write_end = write_end
        self._stopped = False

        def pump():
            try:
                while True:
                    chunk = read(CHUNK)
                    if not chunk or self._stopped:
                        break
                    if isinstance(chunk, str):
                        raise TypeError("aicoco: the file gives str, not bytes: open it in binary mode ('rb')")
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(write_end, view):]
            except OSError:
                pass  # the reader stopped early (the pipe is closed, or /dev/null after interrupt)
            except Exception as failure:  # raised again by close()
                self._failure = failure
            finally:
                with self._write_lock:
                    os.close(write_end)
                    self._write_end = None

        self._pump = threading.Thread(target=pump, name="aicoco-pipe", daemon=True)
        self._pump.start()

    def args(self):
        return [self.path, self.fd, self.data, self.length]

    def interrupt(self):
        """Ends the pipe for its reader now (it reads what is in it, then the end), even while the
        pump waits on a file that gives nothing more yet: the write end becomes /dev/null, and the
        pump stops when its file gives the next chunk."""
        if self._pump is None:
            return
        self._stopped = True  # the pump reads no further chunk
        with self._write_lock:
            if self._write_end is not None:
                null = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(null, self._write_end)
                finally:
                    os.close(null)

    def close(self):
        """Closes the pipe and returns at once, whatever the pump waits on: a pump still waiting
        on its file ends (a daemon thread) when the file gives its next chunk or its end."""
        self.interrupt()
        if self._read_end is not None:
            os.close(self._read_end)
            self._read_end = None
        if self._pump is not None:
            self._pump.join(0.1)
            self._pump = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Progress:
    """The C progress callback (`.c`) calling `progress(bytes_read, total_or_None)`, or a null
    one. What `progress` raises (ctypes would print it and go on) is kept, the callback tells
    the engine to stop, and `raise_failure()`, after the native call, raises it again."""

    def __init__(self, progress):
        self.failure = None
        if progress is None:
            self.c = _native.PROGRESS()
            return

        def call(done, total, _context):
            try:
                progress(done, None if total < 0 else total)
                return 0
            except BaseException as failure:  # KeyboardInterrupt too: a Ctrl-C or a cancel
                self.failure = failure
                return 1

        self.c = _native.PROGRESS(call)

    def raise_failure(self):
        """Raises what the callback raised, if anything (once)."""
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
