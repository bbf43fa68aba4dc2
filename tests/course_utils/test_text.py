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
