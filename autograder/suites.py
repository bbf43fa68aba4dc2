"""Which hidden-test suite grades which assignment (grader side only)."""

from __future__ import annotations

import importlib

from autograder.assignments import get_assignment
from autograder.hidden.base import Suite

SUITE_MODULES = {
    "pytorch": "autograder.hidden.pytorch.suite",
    "tf2": "autograder.hidden.tf2.suite",
    "tf1": "autograder.hidden.tf1.suite",
    "bridge": "autograder.hidden.bridge.suite",
}


def get_suite(assignment: str) -> Suite:
    get_assignment(assignment)  # raises a clear error for unknown names
    return importlib.import_module(SUITE_MODULES[assignment]).SUITE
