"""Read a results directory: every valid record, and a clear problem for every file that is not
one (corrupt, cut short, not a result). A bad file is reported and skipped, never counted as 0."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.results import SubmissionResult


@dataclass
class Collected:
    results: dict[str, SubmissionResult] = field(default_factory=dict)
    """By learner id: the result file's stem."""
    problems: list[str] = field(default_factory=list)


def collect(directory: str | Path, with_overrides: bool = True) -> Collected:
    """Every record of ``directory``, with the instructor's overrides (``overrides.csv`` there)
    applied unless ``with_overrides`` is False."""
    from autograder.reports import overrides as ov

    directory = Path(directory)
    found = Collected()
    if not directory.is_dir():
        found.problems.append(f"{directory}: not a directory of results")
        return found
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            found.problems.append(f"{path.name}: unreadable ({exc}); skipped")
            continue
        except json.JSONDecodeError as exc:
            found.problems.append(
                f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                "a cut-short or corrupt file, skipped, not counted as 0"
            )
            continue
        try:
            result = SubmissionResult.from_dict(data)
            if not result.tests and not result.error:
                raise ValueError("no tests and no error")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            found.problems.append(f"{path.name}: not a dlcourse result ({exc}); skipped")
            continue
        found.results[path.stem] = result
    if with_overrides:
        try:
            manual = ov.read(directory)
        except ov.OverrideError as exc:
            found.problems.append(f"{exc}; no override applied")
            manual = []
        for key, result in found.results.items():
            found.results[key] = ov.apply(result, manual, result.learner or key)
    return found
