"""A course file (TOML): each assignment's due date, the late policy, per-learner extensions,
and what the LMS exports call the assignments. The gradebook applies it to the records.

```toml
[late]
percent_per_day = 10      # points lost per day (or part of one) late, in % of the score
zero_after_days = 7       # later than this: 0
grace_minutes = 15        # handed in within this after the deadline: on time

[assignments.pytorch]
due = 2026-10-02T23:59:00+02:00
title = "Assignment 1: PyTorch pipeline"   # the LMS column (Canvas: add " (<assignment id>)")

[extensions.alice]        # learner id: assignment = new due date, or days more
pytorch = 3
tf2 = 2026-10-20T23:59:00+02:00
```
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from autograder.assignments import ASSIGNMENTS
from course_utils.errors import CourseError


class CourseFileError(CourseError, ValueError):
    """A course file that cannot be used, with where and why."""


@dataclass(frozen=True)
class Lateness:
    """How late a submission was and what the policy takes off."""

    days_late: int
    """Whole days (or parts of one) after the deadline, grace included; 0 on time."""
    penalty_percent: float
    due: datetime | None
    submitted: datetime | None


@dataclass(frozen=True)
class Course:
    due: dict[str, datetime] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    percent_per_day: float = 0.0
    zero_after_days: int | None = None
    grace: timedelta = timedelta(0)
    extensions: dict[str, dict[str, datetime | int]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: str | Path) -> Course:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CourseFileError(f"course file {path}: cannot be read as TOML ({exc})") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "course file") -> Course:
        late = data.get("late", {})
        due, titles = {}, {}
        for name, entry in data.get("assignments", {}).items():
            if name not in ASSIGNMENTS:
                raise CourseFileError(
                    f"{where}: [assignments.{name}]: no such assignment; expected one of "
                    + ", ".join(ASSIGNMENTS)
                )
            if "due" in entry:
                due[name] = _aware(entry["due"], f"{where}: assignments.{name}.due")
            titles[name] = str(entry.get("title", ASSIGNMENTS[name].title))
        extensions: dict[str, dict[str, datetime | int]] = {}
        for learner, entries in data.get("extensions", {}).items():
            for name, value in entries.items():
                spot = f"{where}: extensions.{learner}.{name}"
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    extensions.setdefault(learner, {})[name] = value
                else:
                    extensions.setdefault(learner, {})[name] = _aware(value, spot)
        percent = late.get("percent_per_day", 0)
        zero = late.get("zero_after_days")
        grace = late.get("grace_minutes", 0)
        for key, value in (("percent_per_day", percent), ("grace_minutes", grace)):
            if not isinstance(value, int | float) or value < 0:
                raise CourseFileError(f"{where}: late.{key}: expected a number >= 0, got {value!r}")
        if zero is not None and (not isinstance(zero, int) or zero < 0):
            raise CourseFileError(
                f"{where}: late.zero_after_days: expected a whole number >= 0, got {zero!r}"
            )
        return cls(due, titles, float(percent), zero, timedelta(minutes=grace), extensions)

    def due_for(self, learner: str, assignment: str) -> datetime | None:
        due = self.due.get(assignment)
        extra = self.extensions.get(learner, {}).get(assignment)
        if isinstance(extra, datetime):
            return extra
        if due is not None and isinstance(extra, int):
            return due + timedelta(days=extra)
        return due

    def lateness(self, learner: str, assignment: str, submitted_at: str) -> Lateness:
        due = self.due_for(learner, assignment)
        submitted = datetime.fromisoformat(submitted_at) if submitted_at else None
        if due is None or submitted is None:
            return Lateness(0, 0.0, due, submitted)
        over = submitted - due - self.grace
        days = max(0, math.ceil(over / timedelta(days=1))) if over > timedelta(0) else 0
        if days and self.zero_after_days is not None and days > self.zero_after_days:
            return Lateness(days, 100.0, due, submitted)
        return Lateness(days, min(100.0, days * self.percent_per_day), due, submitted)


def _aware(value: Any, where: str) -> datetime:
    """A TOML date-time with its time zone (a local one is ambiguous across a class)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        raise CourseFileError(f"{where}: expected a date-time such as 2026-10-02T23:59:00+02:00")
    if value.tzinfo is None:
        raise CourseFileError(
            f"{where}: {value.isoformat()} has no time zone; write it with one "
            "(2026-10-02T23:59:00+02:00, or Z for UTC)"
        )
    return value.astimezone(UTC)
