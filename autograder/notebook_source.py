"""Read the single source of truth (``solutions/*.py``, percent-cell format) into cells.

Format: a header of ``# key: value`` lines between ``# ---`` markers (under ``# dlcourse:``),
then cells started by ``# %%`` (code) or ``# %% [markdown]`` (markdown, each line ``# text``).
Inside code, ``# BEGIN SOLUTION`` / ``# END SOLUTION`` mark what learners write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.errors import CourseError

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_CELL = re.compile(r"^# %%(?P<rest>.*)$")


class SourceFormatError(CourseError):
    """A solutions file that does not follow the percent-cell format."""


@dataclass
class SourceCell:
    kind: str
    """``code`` or ``markdown``."""
    source: str
    tags: list[str] = field(default_factory=list)

    @property
    def is_check(self) -> bool:
        return self.kind == "code" and self.source.lstrip().startswith("check(")


@dataclass
class SolutionSource:
    path: Path
    meta: dict[str, str]
    cells: list[SourceCell]


def parse_source(path: str | Path) -> SolutionSource:
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    meta: dict[str, str] = {}
    i = 0
    if lines and lines[0].strip() == "# ---":
        i = 1
        while i < len(lines) and lines[i].strip() != "# ---":
            key, _, value = lines[i].lstrip("# ").partition(":")
            if value.strip():
                meta[key.strip()] = value.strip().strip('"')
            i += 1
        i += 1
    cells: list[SourceCell] = []
    current: list[str] | None = None
    kind = "code"
    for line in lines[i:]:
        match = _CELL.match(line)
        if match:
            if current is not None:
                cells.append(_finish(kind, current, path))
            kind = "markdown" if "[markdown]" in match["rest"] else "code"
            current = []
        elif current is not None:
            current.append(line)
    if current is not None:
        cells.append(_finish(kind, current, path))
    if "assignment" not in meta:
        raise SourceFormatError(f"{path}: the header has no 'assignment:' line")
    return SolutionSource(path=path, meta=meta, cells=cells)


def _finish(kind: str, lines: list[str], path: Path) -> SourceCell:
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if kind == "markdown":
        text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)
        return SourceCell("markdown", text)
    text = "\n".join(lines)
    if text.count(BEGIN) != text.count(END):
        raise SourceFormatError(
            f"{path}: unbalanced solution markers in a cell starting {lines[:1]}"
        )
    return SourceCell("code", text)


_DEF = re.compile(r"^\s*def (\w+)\(")


def strip_solutions(code: str) -> str:
    """Replace each solution region by a stub that raises NotImplementedError."""
    out: list[str] = []
    inside = False
    function = "this function"
    for line in code.splitlines():
        match = _DEF.match(line)
        if match and not inside:
            function = match.group(1)
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}raise NotImplementedError("{function}: write your code here")')
            continue
        if stripped == END:
            inside = False
            continue
        if not inside:
            out.append(line)
    return "\n".join(out)


def keep_solutions(code: str) -> str:
    """The reference code: solution markers removed, solutions kept."""
    return "\n".join(line for line in code.splitlines() if line.strip() not in (BEGIN, END))
