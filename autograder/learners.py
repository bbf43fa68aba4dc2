"""Who handed in each file: learner ids from a roster, LMS bulk-download names, nbgrader's
folders, per-learner folders or the file name, and which file of a learner is graded.

The rules, in order (the README's "Learners" section says the same):

1. nbgrader's exchange layout ``.../submitted/<learner>/<assignment>/<file>``: ``<learner>``.
2. A Canvas bulk download, ``<lastfirst>_[LATE_]<user id>_<submission id>_<file>``: the
   roster's learner with that LMS id, else ``<lastfirst>``.
3. A Moodle bulk download, a file or folder named ``<Full Name>_<participant id>_
   assignsubmission_file_...``: the roster's learner with that LMS id, else the name.
4. A file inside a folder given on the command line, below its top level: the first folder
   under it (``class/alice/work/01_pytorch_pipeline.ipynb``: ``alice``).
5. Otherwise the file's name without its suffix; when that is an assignment's notebook name
   (``01_pytorch_pipeline``), the name of the folder it is in.

With a roster, a found name also matches a learner by id, LMS id, e-mail or the e-mail's part
before the ``@`` (ignoring case); names that match no one are listed as unknown learners.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.assignments import ASSIGNMENTS
from course_utils.errors import CourseError

CANVAS = re.compile(r"^(?P<name>[^_/]+?)_(?:LATE_)?(?P<lms>\d{2,})_(?P<sub>\d{2,})_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>[^/]+?)_(?P<lms>\d+)_assign(?:submission|feedback)_\w+?_")
NOTEBOOK_NAMES = {a.stem for a in ASSIGNMENTS.values()}
SKIPPED_FOLDERS = {".ipynb_checkpoints", "__pycache__", "__MACOSX"}


class RosterError(CourseError, ValueError):
    """A roster file that cannot be read as one."""


@dataclass(frozen=True)
class Learner:
    id: str
    name: str = ""
    email: str = ""
    lms_id: str = ""


@dataclass(frozen=True)
class Found:
    """Whose a file is, and by which rule (``nbgrader``, ``canvas``, ``moodle``, ``folder``,
    ``file name``); ``known`` is False when a roster was given and names no such learner."""

    path: Path
    learner: str
    rule: str
    known: bool = True


class Roster:
    """Learners read from a CSV with a header: ``id`` (required), ``name``, ``email``,
    ``lms_id`` (the Canvas user id or Moodle participant id). Other columns are ignored."""

    COLUMNS = ("id", "name", "email", "lms_id")

    def __init__(self, learners: list[Learner]):
        self.learners = learners
        self._by_key: dict[str, Learner] = {}
        for learner in learners:
            keys = [learner.id, learner.lms_id, learner.email, learner.email.partition("@")[0]]
            for key in keys:
                if key:
                    self._by_key.setdefault(key.casefold(), learner)

    @classmethod
    def read(cls, path: str | Path) -> Roster:
        path = Path(path)
        try:
            with path.open(newline="", encoding="utf-8-sig") as f:
                rows = list(csv.DictReader(f))
                header = [h.strip().lower() for h in (rows[0].keys() if rows else [])]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise RosterError(f"roster {path}: cannot be read as a CSV file ({exc})") from None
        if "id" not in header:
            raise RosterError(
                f"roster {path}: expected a header with an 'id' column (and optionally "
                f"name, email, lms_id); got {header or 'no rows'}"
            )
        learners, seen = [], set()
        for number, row in enumerate(rows, start=2):
            values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if not values.get("id"):
                raise RosterError(f"roster {path}, line {number}: the 'id' is empty")
            if values["id"] in seen:
                raise RosterError(f"roster {path}, line {number}: id {values['id']!r} twice")
            seen.add(values["id"])
            learners.append(Learner(*(values.get(c, "") for c in cls.COLUMNS)))
        return cls(learners)

    def find(self, key: str) -> Learner | None:
        return self._by_key.get(key.strip().casefold())


def identify(path: Path, root: Path | None, roster: Roster | None = None) -> Found:
    """Whose ``path`` is; ``root``: the folder given on the command line it was found in."""
    parts = path.parts
    for at in range(len(parts) - 4, -1, -1):  # submitted/<learner>/<assignment>/<file>
        if parts[at] == "submitted":
            return _known(path, parts[at + 1], "nbgrader", roster)
    canvas = CANVAS.match(path.name)
    if canvas:
        return _known(path, canvas["name"], "canvas", roster, canvas["lms"])
    inside = path.relative_to(root).parts if root is not None else (path.name,)
    for name in reversed(inside):
        moodle = MOODLE.match(name if name.endswith("_") else name + "_")
        if moodle:
            return _known(path, moodle["name"], "moodle", roster, moodle["lms"])
    if len(inside) > 1:
        return _known(path, inside[0], "folder", roster)
    if path.stem in NOTEBOOK_NAMES and path.parent.name:
        return _known(path, path.parent.name, "folder", roster)
    return _known(path, path.stem, "file name", roster)


def _known(path: Path, name: str, rule: str, roster: Roster | None, lms_id: str = "") -> Found:
    if roster is None:
        return Found(path, name, rule)
    learner = (roster.find(lms_id) if lms_id else None) or roster.find(name)
    if learner is None:
        return Found(path, name, rule, known=False)
    return Found(path, learner.id, rule)


def discover(given: list[str], suffixes: tuple[str, ...]) -> list[tuple[Path, Path | None]]:
    """Every submission file under the paths given, with the folder it was found in (None for a
    file given directly): folders are searched at any depth, hidden folders, notebook
    checkpoints and archive leftovers skipped, in a fixed order."""
    found: list[tuple[Path, Path | None]] = []
    for raw in given:
        path = Path(raw)
        if not path.is_dir():
            found.append((path, None))
            continue
        for item in sorted(path.rglob("*")):
            inside = item.relative_to(path).parts
            if any(p.startswith(".") or p in SKIPPED_FOLDERS for p in inside[:-1]):
                continue
            if item.suffix in suffixes and item.is_file() and not item.name.startswith("."):
                found.append((item, path))
    return found


def file_stem(learner: str) -> str:
    """A learner id as a result file's name: letters, digits, ``.-_@`` kept, the rest ``_``."""
    return re.sub(r"[^\w.@-]+", "_", learner).strip("._") or "learner"


def submission_time(path: Path) -> float:
    """When ``path`` was handed in (seconds since the epoch): nbgrader's ``timestamp.txt`` in its
    submission folder where there is one, else the file's modification time."""
    for folder in path.parents:
        stamp = folder / "timestamp.txt"
        if stamp.is_file():
            try:
                return nbgrader_time(stamp.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                break
        if folder.parent.name == "submitted":
            break
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def nbgrader_time(text: str) -> float:
    """nbgrader's ``timestamp.txt`` (``2026-11-30 23:59:00.123456 UTC``; a time without a zone
    is UTC, as nbgrader writes it) as seconds since the epoch."""
    from datetime import UTC, datetime

    text = text.strip()
    if text.endswith(" UTC"):
        text = text[: -len(" UTC")]
    when = datetime.fromisoformat(text.replace(" ", "T", 1))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class Choice:
    """The file graded for one learner and assignment, and the others they handed in."""

    found: Found
    assignment: str | None
    others: tuple[Path, ...] = ()


def choose(found: list[Found], assignments: list[str | None]) -> list[Choice]:
    """One file per learner and assignment: the latest handed in (``submission_time``; on a tie
    the last by path). Files whose assignment is unknown are each kept (they get a record that
    says so). In the order the chosen files were found."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (f, name) in enumerate(zip(found, assignments, strict=True)):
        if name is not None:
            groups.setdefault((f.learner, name), []).append(i)
    chosen: dict[int, tuple[Path, ...]] = {
        i: () for i, name in enumerate(assignments) if name is None
    }
    for members in groups.values():
        latest = max(members, key=lambda i: (submission_time(found[i].path), str(found[i].path)))
        chosen[latest] = tuple(found[i].path for i in members if i != latest)
    return [Choice(found[i], assignments[i], chosen[i]) for i in sorted(chosen)]
