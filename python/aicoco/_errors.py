"""Errors and problems, with the places the engine gives them."""


class _Frozen:
    """A record of the fields named in `_fields` (with `_defaults` for the last ones): compared,
    hashed and shown by value, read-only (a frozen dataclass without importing dataclasses,
    which costs a tenth of numpy's import time)."""

    __slots__ = ()
    _fields = ()
    _defaults = {}

    def __init__(self, *args, **kwargs):
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes {len(self._fields)} fields")
        values = dict(zip(self._fields, args))
        for name, value in kwargs.items():
            if name not in self._fields or name in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated field {name!r}")
            values[name] = value
        for name in self._fields:
            if name not in values:
                if name not in self._defaults:
                    raise TypeError(f"{type(self).__name__}: missing field {name!r}")
                values[name] = self._defaults[name]
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def as_dict(self):
        """The fields as a dict."""
        return {name: getattr(self, name) for name in self._fields}

    def _values(self):
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other):
        return type(other) is type(self) and other._values() == self._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    def __reduce__(self):
        return (type(self), self._values())


class Problem(_Frozen):
    """One problem of a file: kind (syntax, schema, reference, semantic, limit, io), message,
    line and column (from 1, columns in bytes), byte offset (from 0), JSON path, and the file it
    is in when that is not the document (a tabular output's records artifact)."""

    __slots__ = _fields = ("kind", "message", "line", "column", "offset", "path", "file")
    _defaults = {"file": None}

    @classmethod
    def from_json(cls, value):
        return cls(kind=value["kind"], message=value["message"], line=value["line"], column=value["column"],
                   offset=value["offset"], path=value["path"], file=value.get("file"))

    def __str__(self):
        where = f"{self.file}:" if self.file else ""
        return f"{where}{self.line}:{self.column}: {self.kind} error: {self.message} ({self.path})"

    def describe(self, file):
        """The line `aicoco` prints for this problem of `file`: FILE:LINE:COLUMN: KIND error:
        message (JSON path); "aicoco: message" for an input that cannot be read."""
        if self.kind == "io":
            return f"aicoco: {self.message}"
        return f"{self.file or file}:{self.line}:{self.column}: {self.kind} error: {self.message} ({self.path})"


class AiCOCOError(Exception):
    """An error that stopped reading: the input cannot be read, or (where reading stops at the
    first problem) the problem. Same fields as `Problem`."""

    def __init__(self, problem):
        super().__init__(str(problem))
        self.problem = problem
        self.kind = problem.kind
        self.message = problem.message
        self.line = problem.line
        self.column = problem.column
        self.offset = problem.offset
        self.path = problem.path
        self.file = problem.file

    def describe(self, file):
        """The line `aicoco` prints for this error (see `Problem.describe`)."""
        return self.problem.describe(file)

    def __reduce__(self):
        return (AiCOCOError, (self.problem,))


def raise_error(text):
    """Raises the AiCOCOError whose JSON the library gave."""
    import json

    raise AiCOCOError(Problem.from_json(json.loads(text)))


class Report(_Frozen):
    """What `validate` found in one file (`aicoco validate --format json`'s object): `valid`,
    `file`, `error_count` (all problems), `problems` (the first `max_errors`), `truncated`, `bytes`."""

    __slots__ = _fields = ("valid", "file", "error_count", "problems", "truncated", "bytes")

    @classmethod
    def from_json(cls, value):
        return cls(valid=value["valid"], file=value["file"], error_count=value["error_count"],
                   problems=[Problem.from_json(error) for error in value["errors"]],
                   truncated=value["truncated"], bytes=value["bytes"])

    def __bool__(self):
        return self.valid
