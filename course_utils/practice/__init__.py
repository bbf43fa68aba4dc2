"""Practice mode for self-paced learners.

``course_utils.practice()`` (or ``DLCOURSE_PRACTICE=1`` in the environment) makes every
``check(step)`` also run the step's *practice checks*: fresh random instances on each call (new
shapes, sizes and values, the instance's seed shown so a failure can be replayed), each failure
explaining what was expected, what was observed and the likely cause.

Practice checks are written for learners and ship with them. They are not the hidden tests used
for grading: they live here, never import ``autograder``, and know nothing of its instances or
expected values.
"""

from __future__ import annotations

import os

from course_utils.text import Text

_ENV = "DLCOURSE_PRACTICE"
_state: dict[str, bool | None] = {"on": None}


def practice(on: bool = True) -> Text:
    """Switch practice mode on (or off with ``practice(False)``) for this kernel."""
    _state["on"] = bool(on)
    if on:
        return Text("practice mode on: check(step) also runs fresh random instances each call")
    return Text("practice mode off: check(step) runs its fixed checks only")


def practice_enabled() -> bool:
    """Practice mode as set by ``practice()``, else by ``DLCOURSE_PRACTICE`` (1/true/yes/on)."""
    if _state["on"] is not None:
        return bool(_state["on"])
    return os.environ.get(_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
