"""Hidden tests: probes (run in the worker) and verdicts (run here, in the grader).

Never shipped to learners and never imported by ``course_utils``. A suite module exposes
``SUITE``; its probes module is named by ``SUITE.probes_module`` and is imported only in workers.
"""

from __future__ import annotations

import importlib

from autograder.hidden.base import Suite

SUITE_MODULES = {"pytorch": "autograder.hidden.pytorch.suite"}


def get_suite(assignment: str) -> Suite:
    from autograder.assignments import get_assignment

    get_assignment(assignment)  # raises a clear error for unknown names
    return importlib.import_module(SUITE_MODULES[assignment]).SUITE
