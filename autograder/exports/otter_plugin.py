"""An otter-grader plugin (named in the exported master notebooks), run by otter, never by dlcourse.

otter executes the test cases in the learner's kernel, where learner code ran first and could
fake the module they call, and then unpickles the results object that kernel wrote. So nothing
that comes back from the kernel decides a score of ours:

- ``before_execution`` (before any learner code runs) grades the submitted notebook with
  ``dlcourse grade`` (a fresh ``python -I`` process, the usual sandboxed worker), and makes
  otter unpickle the kernel's results with an unpickler that builds only otter's own result
  classes and plain data (unpickling is otherwise a way to run code in otter's process).
- ``before_execution`` then sets the submission's code cells aside (:mod:`autograder.exports.unrun`)
  so that otter's kernel, which is not sandboxed, runs none of the learner's code (unless the
  plugin's configuration says ``run_learner_code: true``), and tells the kernel's cases that
  their question is scored outside it (they would grade the notebook a second time).
- ``after_grading`` rebuilds every question of ours from the plugin's configuration (written
  into the autograder zip by ``dlcourse build --otter``: each question's hidden tests, shares and
  points) and that record: the case for hidden test ``t`` at share ``s`` passes when ``t`` scored
  at least ``s`` of its points, and a failing case carries ``t``'s teaching message. Whatever the
  kernel's object said about those questions (names, bodies, points, outcomes, scores) is
  discarded, and so is any question the configuration does not name.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from otter.plugins import AbstractOtterPlugin  # type: ignore[import-untyped]
from otter.test_files.abstract_test import (  # type: ignore[import-untyped]
    TestCase,
    TestCaseResult,
    TestFile,
)

from autograder.exports.cell import OTTER_TRUSTED_ENV
from autograder.exports.unrun import put_back, set_aside

_SAFE = frozenset(
    {
        ("nbformat.notebooknode", "NotebookNode"),
        ("collections", "OrderedDict"),
        ("copyreg", "_reconstructor"),
    }
)
_SAFE_BUILTINS = frozenset(
    {"set", "frozenset", "list", "dict", "tuple", "complex", "bytearray", "slice", "range"}
)


class _ResultsOnly(pickle.Unpickler):
    """Builds otter's result classes, notebook nodes, plain containers and exceptions only."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" or module.startswith("otter.test_files") or (module, name) in _SAFE:
            found = super().find_class(module, name)
            if (module, name) in _SAFE or (module == "builtins" and name in _SAFE_BUILTINS):
                return found
            if isinstance(found, type) and (
                module.startswith("otter.test_files") or issubclass(found, BaseException)
            ):
                return found  # otter's result classes; exceptions (a failed case's error)
        raise pickle.UnpicklingError(f"the kernel's results may not name {module}.{name}")


class _SafePickle:
    """What ``otter.execute`` calls ``pickle``: its ``load`` refuses anything but results."""

    UnpicklingError = pickle.UnpicklingError

    @staticmethod
    def load(file: io.BufferedReader) -> Any:
        return _ResultsOnly(file).load()

    @staticmethod
    def loads(data: bytes) -> Any:
        return _ResultsOnly(io.BytesIO(data)).load()


class _TrustedFile(TestFile):  # type: ignore[misc]
    """A question of ours as dlcourse graded it (never run by otter itself)."""

    def run(self, global_environment: Any) -> None:  # pragma: no cover - never called
        raise RuntimeError("dlcourse's questions are graded by dlcourse, not by otter")

    @classmethod
    def from_file(cls, path: str) -> Any:  # pragma: no cover - never called
        raise RuntimeError("dlcourse's questions are built from the plugin configuration")

    @classmethod
    def from_metadata(cls, s: Any, path: str) -> Any:  # pragma: no cover - never called
        raise RuntimeError("dlcourse's questions are built from the plugin configuration")


class TrustedScores(AbstractOtterPlugin):  # type: ignore[misc]
    def before_execution(self, submission: Any) -> Any:
        from autograder.exports.cell import grade_outside

        execute = sys.modules.get("otter.execute")
        if execute is not None:
            execute.pickle = _SafePickle  # type: ignore[attr-defined]
        config = self.plugin_config or {}
        assignment = config.get("assignment")
        if assignment:
            self._record = grade_outside(Path(self.submission_path), assignment)
            os.environ[OTTER_TRUSTED_ENV] = "1"
            if config.get("run_learner_code") is not True and hasattr(submission, "cells"):
                set_aside(submission)
        return submission

    def after_grading(self, results: Any) -> None:
        from autograder.exports.cell import grade_outside

        config = self.plugin_config or {}
        assignment, questions = config.get("assignment"), config.get("questions")
        if not assignment or not isinstance(questions, dict):
            return
        record = getattr(self, "_record", None)
        if record is None:  # an otter that skipped before_execution
            record = grade_outside(Path(self.submission_path), assignment)
        if hasattr(getattr(results, "notebook", None), "cells"):
            put_back(results.notebook)
        results.results = {q: trusted_question(q, cases, record) for q, cases in questions.items()}
        refused = results.catastrophic_error
        if refused is not None:  # e.g. the kernel's object was refused: our questions stand
            print(f"dlcourse: the kernel's results were not used ({refused})", file=sys.stderr)
            results._catastrophic_error = None


def trusted_question(name: str, cases: list[list[Any]], record: dict[str, Any]) -> TestFile:
    """Question ``name`` of our configuration (``[test, share, points]`` per case) scored from
    ``record``."""
    from autograder.exports.cell import share_failure

    question = _TrustedFile(name, "", [], all_or_nothing=False)
    for test, share, points in cases:
        case = TestCase(f"{test} ({float(share):g})", "", True, float(points), None, None)
        failure = share_failure(record, str(test), float(share))
        question.test_cases.append(case)
        question.test_case_results.append(
            TestCaseResult(case, failure or "passed", failure is None)
        )
    return question
