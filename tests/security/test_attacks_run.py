"""Do the hostile submissions' load-time attacks run as written? A class body cannot be read
from its own comprehensions (Python 3.11), so an attack that does raises NameError at load,
never attacks, and its test passes for nothing."""

from __future__ import annotations

import pytest

from tests.security import test_hostile_frames, test_tampering, test_worker_view
from tests.security.attacks import ATTACKS, class_scope_reads

WRITTEN = {
    **{f"attacks.{name}": code for name, code in ATTACKS.items()},
    **{f"frames.{name}": code for name, code in test_hostile_frames.FRAME_ATTACKS.items()},
    **{
        f"tampering.{name}": test_tampering.PRELUDE + test_tampering._attack(body)
        for name, (body, _) in test_tampering.TECHNIQUES.items()
    },
    "worker_view.WALKER": test_worker_view.WALKER.format(
        markers=["m"], classmate="c", record="r", top="/"
    ),
}


def test_the_check_finds_a_comprehension_reading_its_class():
    """Can the check fail? It finds the mistake that once made three frame attacks do nothing."""
    code = "class _A:\n    fds = [1]\n    fds += [n for n in range(3) if n not in fds]\n"
    assert class_scope_reads(code) == [("_A", 3, ["fds"])]
    fixed = "class _A:\n    fds = [1]\n    fds += sorted(set(range(3)) - set(fds))\n"
    assert class_scope_reads(fixed) == []


@pytest.mark.parametrize("name", sorted(WRITTEN))
def test_no_load_time_attack_reads_its_class_from_a_comprehension(name):
    assert class_scope_reads(WRITTEN[name]) == [], name


def test_a_lambdas_defaults_are_read_in_the_class():
    """Defaults are evaluated where the lambda is written: reading the class there is fine."""
    assert class_scope_reads("class _A:\n    x = 1\n    f = lambda y, x=x: y + x\n") == []
    reads_x = "class _A:\n    x = 1\n    f = lambda y: y + x\n"
    assert class_scope_reads(reads_x) == [("_A", 3, ["x"])]
