"""Which hidden-test suite grades which assignment (grader side only)."""

from __future__ import annotations

import importlib

from autograder.assignments import get_assignment
from autograder.hidden.base import Suite


def get_suite(assignment: str) -> Suite:
    """The ``SUITE`` of the assignment's suite module (an unknown name gets a clear error)."""
    return importlib.import_module(get_assignment(assignment).suite).SUITE
