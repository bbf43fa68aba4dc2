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

NAME = "autograder.exports.otter_plugin.TrustedScores"
_CASE = re.compile(r"require\('(?P<assignment>\w+)', '(?P<test>\w+)', .*share=(?P<share>[0-9.]+)\)")


class TrustedScores(AbstractOtterPlugin):  # type: ignore[misc]
    def after_grading(self, results: Any) -> None:
        from autograder.exports.cell import grade_outside

        assignment = (self.plugin_config or {}).get("assignment")
        if not assignment:
            return
        record = grade_outside(Path(self.submission_path), assignment)
        by_name = {t["name"]: t for t in record.get("tests", [])}
        for test_file in results.results.values():
            test_file.test_case_results = [
                _trusted(case, by_name, record) for case in test_file.test_case_results
            ]


def _trusted(case: Any, by_name: dict[str, Any], record: dict[str, Any]) -> Any:
    match = _CASE.search(case.test_case.body or "")
    if match is None:
        return case
    test = by_name.get(match["test"])
    share = float(match["share"])
    passed = test is not None and test["score"] + 1e-9 >= share * test["max_score"]
    if passed:
        message = "passed"
    elif test is None:
        message = f"not graded: {record.get('error') or 'no result for ' + match['test']}"
    else:
        message = test["message"] or f"{match['test']}: {test['status']}"
    return dataclasses.replace(case, passed=passed, message=message)
