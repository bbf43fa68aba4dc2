"""Can learner code borrow the grader's known-good evaluate? fit's probe needs one beside the
learner's; its source now travels with that probe's request only and is compiled there, so an
``evaluate`` that looks for it (in the heap, in any module, by any name the probes used) finds
nothing while its own tests run, and earns what a stub earns on them."""

from __future__ import annotations

import re

import pytest

from autograder.grade import grade_file
from autograder.pool import WarmPool
from tests.conftest import reference_code_of

pytestmark = pytest.mark.torch

BORROWER = '''
def evaluate(model, loader, loss_fn, device):
    """Calls the grader's own evaluation if it can find one, wherever it is."""
    import gc
    import sys

    names = ("_trusted_evaluate", "pytorch_evaluate", "trusted_evaluate")
    for module in list(sys.modules.values()):
        for name in names:
            try:
                found = getattr(module, name, None)
            except Exception:
                continue
            if callable(found):
                return found([], {})(model, loader, loss_fn, device)
    for obj in gc.get_objects():
        try:
            name = getattr(obj, "__name__", "")
        except Exception:
            continue
        if callable(obj) and name in names:
            return obj([], {})(model, loader, loss_fn, device)
    raise NotImplementedError("nothing to borrow")
'''

EVALUATE_TESTS = ("evaluate_exact_means", "evaluate_in_eval_mode", "evaluate_without_graph")


def _borrowing_code() -> str:
    code = reference_code_of("pytorch")
    start = code.index("def evaluate(model, loader, loss_fn, device):")
    end = code.index("\ndef ", start + 1)
    return code[:start] + BORROWER.strip() + "\n\n" + code[end:]


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_an_evaluate_that_borrows_the_graders_earns_nothing(tmp_path, warm):
    path = tmp_path / "borrower.py"
    path.write_text(_borrowing_code(), encoding="utf-8")
    if warm:
        with WarmPool() as pool:
            result = grade_file(path, "pytorch", pool=pool)
    else:
        result = grade_file(path, "pytorch")
    by_name = {t.name: t for t in result.tests}
    for name in EVALUATE_TESTS:
        assert by_name[name].score == 0, (name, by_name[name].message)
        assert re.search("not implemented|NotImplementedError", by_name[name].message)
    # fit's own tests still run with the stand-in (the learner's evaluate is not needed there)
    assert by_name["fit_learns_digits"].status == "passed", by_name["fit_learns_digits"].message
