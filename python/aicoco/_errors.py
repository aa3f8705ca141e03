"""Errors and problems, with the places the engine gives them."""
import json
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Problem:
    """One problem of a file: kind (syntax, schema, reference, semantic, limit, io), message,
    line and column (from 1, columns in bytes), byte offset (from 0), JSON path, and the file it
    is in when that is not the document (a tabular output's records artifact)."""

    kind: str
    message: str
    line: int
    column: int
    offset: int
    path: str
    file: Optional[str] = None

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
    raise AiCOCOError(Problem.from_json(json.loads(text)))


@dataclass(frozen=True)
class Report:
    """What `validate` found in one file (`aicoco validate --format json`'s object): `valid`,
    `file`, `error_count` (all problems), `problems` (the first `max_errors`), `truncated`, `bytes`."""

    valid: bool
    file: str
    error_count: int
    problems: list
    truncated: bool
    bytes: int

    @classmethod
    def from_json(cls, value):
        return cls(valid=value["valid"], file=value["file"], error_count=value["error_count"],
                   problems=[Problem.from_json(error) for error in value["errors"]],
                   truncated=value["truncated"], bytes=value["bytes"])

    def __bool__(self):
        return self.valid
