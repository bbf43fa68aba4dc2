"""Read a submission (notebook or script) into code cells, with errors that say what is wrong."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.errors import CourseError

MAX_SUBMISSION_BYTES = 20 * 1024 * 1024


class SubmissionReadError(CourseError):
    """The file cannot be read as a notebook or a Python script."""


@dataclass
class CodeCell:
    """One code cell (a whole script is a single cell)."""

    index: int
    """Position among the notebook's cells (0-based), or 0 for a script."""
    source: str


@dataclass
class Submission:
    """A submission as read from disk."""

    path: Path
    kind: str
    """``"notebook"`` or ``"script"``."""
    cells: list[CodeCell]
    assignment: str | None = None
    """The assignment in the notebook's metadata (``metadata.dlcourse.assignment``), if any."""
    notes: list[str] = field(default_factory=list)


def read_bytes(path: Path) -> bytes:
    """The bytes of the file at ``path`` itself: a symbolic link is refused, never followed (an
    upload that links to the course's solutions or to a classmate's file is not theirs to hand
    in), and so is anything that is not a regular file. At most ``MAX_SUBMISSION_BYTES`` + 1 are
    read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if os.path.islink(path):
            raise SubmissionReadError(
                f"{path.name} is a symbolic link (to {os.readlink(path)!r}), not a file: "
                "hand in the notebook or script itself"
            ) from None
        raise SubmissionReadError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise SubmissionReadError(
                f"{path.name} is not a regular file: expected a .ipynb or .py"
            )
        return handle.read(MAX_SUBMISSION_BYTES + 1)


def read_submission(path: str | Path) -> Submission:
    """Read ``path`` (``.ipynb`` or ``.py``); raise SubmissionReadError with the reason."""
    path = Path(path)
    return parse_submission(path, read_bytes(path))


def parse_submission(path: Path, raw: bytes) -> Submission:
    """The submission in ``raw``, the bytes :func:`read_bytes` read from ``path``; raise
    SubmissionReadError with the reason."""
    if len(raw) > MAX_SUBMISSION_BYTES:
        raise SubmissionReadError(
            f"{path.name} is over {MAX_SUBMISSION_BYTES / 1e6:.0f} MB, the limit of a submission "
            "(did you save outputs with large images?)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionReadError(
            f"{path.name} is not UTF-8 text (byte {exc.start}): expected a .ipynb or .py file"
        ) from None
    if path.suffix == ".ipynb":
        return _read_notebook(path, text)
    if path.suffix == ".py":
        return Submission(path=path, kind="script", cells=[CodeCell(0, text)])
    raise SubmissionReadError(f"{path.name}: expected a .ipynb notebook or a .py script")


def _read_notebook(path: Path, text: str) -> Submission:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionReadError(
            f"{path.name} is not valid notebook JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); was it saved completely, or edited by hand?"
        ) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SubmissionReadError(
            f"{path.name} has no 'cells' list: expected an nbformat 4 notebook"
        )
    if nb.get("nbformat") != 4:
        raise SubmissionReadError(
            f"{path.name} has nbformat {nb.get('nbformat')!r}; expected 4 "
            "(re-save it in JupyterLab)"
        )
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            raise SubmissionReadError(f"{path.name}: cell {index} has a source that is not text")
        cells.append(CodeCell(index, source))
    if not cells:
        raise SubmissionReadError(f"{path.name} has no code cells: nothing to grade")
    meta = nb.get("metadata")
    course_meta = meta.get("dlcourse") if isinstance(meta, dict) else None
    assignment = course_meta.get("assignment") if isinstance(course_meta, dict) else None
    return Submission(
        path=path,
        kind="notebook",
        cells=cells,
        assignment=assignment if isinstance(assignment, str) else None,
    )
