"""An otter-grader plugin (named in the exported master notebooks), run by otter, never by dlcourse.

otter executes the test cases in the learner's kernel, where learner code ran first and could
fake the module they call. After otter has graded, in otter's own process, :class:`TrustedScores`
grades the submitted notebook with ``dlcourse grade`` (a fresh ``python -I`` process, the usual
sandboxed worker) and sets each of our test cases' outcome from that record: the case for
hidden test ``t`` at share ``s`` passes when ``t`` scored at least ``s`` of its points, and a
failing case carries ``t``'s teaching message. Cases that are not ours are left as they are.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from otter.plugins import AbstractOtterPlugin  # type: ignore[import-untyped]

_CASE = re.compile(r"require\('(?P<assignment>\w+)', '(?P<test>\w+)', .*share=(?P<share>[0-9.]+)\)")


class TrustedScores(AbstractOtterPlugin):  # type: ignore[misc]
    def after_grading(self, results: Any) -> None:
        from autograder.exports.cell import grade_outside

        assignment = (self.plugin_config or {}).get("assignment")
        if not assignment:
            return
        record = grade_outside(Path(self.submission_path), assignment)
        for test_file in results.results.values():
            test_file.test_case_results = [
                _trusted(case, record) for case in test_file.test_case_results
            ]


def _trusted(case: Any, record: dict[str, Any]) -> Any:
    """Our case (``require(..., share=s)``) with its outcome from ``record``; others as they are."""
    from autograder.exports.cell import share_failure

    match = _CASE.search(case.test_case.body or "")
    if match is None:
        return case
    failure = share_failure(record, match["test"], float(match["share"]))
    return dataclasses.replace(case, passed=failure is None, message=failure or "passed")
