"""Does what a learner reads show as text in a notebook (no quotes, no escaped newlines), and
does practice(False) say that practice mode is off?"""

from __future__ import annotations

import importlib

from IPython.lib.pretty import pretty

from course_utils.hints import Hints
from course_utils.practice import practice, practice_enabled


def test_hint_shows_as_text_not_as_a_quoted_string():
    shown = pretty(Hints("pytorch")("train"))
    assert shown.startswith("hint 1/") and not shown.startswith(("'", '"'))
    assert "\\n" not in shown


def test_practice_says_whether_it_is_on_or_off(monkeypatch):
    state = importlib.import_module("course_utils.practice")._state
    monkeypatch.setitem(state, "on", None)  # put back after the test
    assert "on" in pretty(practice()) and practice_enabled()
    off = pretty(practice(False))
    assert off.startswith("practice mode off") and "fresh random" not in off
    assert not practice_enabled()


def test_check_of_every_step_starts_with_a_one_line_summary():
    from course_utils.checks.runner import CheckResult, Progress, StepReport

    progress = Progress(
        [
            StepReport("data", [CheckResult("a", True)]),
            StepReport("model", [CheckResult("b", False, "wrong", "failed")]),
        ]
    )
    assert progress._repr_html_().startswith("<p><strong>progress: 1/2 steps pass")
    assert repr(progress).splitlines()[0] == "progress: 1/2 steps pass their checks"


def test_table_cells_are_left_aligned_like_their_headers():
    from course_utils.checks.runner import CheckResult, StepReport

    page = StepReport("data", [CheckResult("a", False, "why", "failed")])._repr_html_()
    assert page.count("<td style='text-align:left") == 3
