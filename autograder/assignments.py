"""The assignments of the course, with the grader's part of each record.

The public record (name, notebook, steps, checks, practice) is ``course_utils.assignments``: one
declaration per assignment. The grader adds what learners never get, derived from the same
record: the source notebook, the hidden-test suite, the contract table and the mutants.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from course_utils.assignments import ALL_STEPS, BRIDGE_STEPS, STEPS, CourseAssignment
from course_utils.assignments import ASSIGNMENTS as PUBLIC
from course_utils.errors import CourseError

__all__ = ["ALL_STEPS", "ASSIGNMENTS", "BRIDGE_STEPS", "STEPS", "Assignment", "get_assignment"]


class UnknownAssignmentError(CourseError, KeyError):
    """An assignment name the course does not have."""


@dataclass(frozen=True)
class Assignment(CourseAssignment):
    """An assignment as the grader sees it: the public record and where its grading lives."""

    @property
    def source(self) -> str:
        """Single source of truth, relative to the repository root (``solutions/<stem>.py``)."""
        return f"solutions/{self.stem}.py"

    @property
    def suite(self) -> str:
        """Module of the hidden-test suite (``SUITE``)."""
        return f"autograder.hidden.{self.name}.suite"

    @property
    def contract(self) -> str:
        """Module of the contract table (``CONTRACT``: every docstring promise, graded or not)."""
        return f"autograder.hidden.{self.name}.contract"

    @property
    def mutants(self) -> str:
        """File of the mistakes and correct alternatives that grade the grader (``MUTANTS``),
        relative to the repository root."""
        return f"solutions/mutants_{self.name}.py"


ASSIGNMENTS: dict[str, Assignment] = {
    name: Assignment(**{f.name: getattr(a, f.name) for f in dataclasses.fields(a)})
    for name, a in PUBLIC.items()
}
"""Every assignment, in course order (the records of ``course_utils.assignments``)."""


def get_assignment(name: str) -> Assignment:
    try:
        return ASSIGNMENTS[name]
    except KeyError:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise UnknownAssignmentError(
            f"unknown assignment {name!r}; expected one of: {known}"
        ) from None
