"""Can learner code tell, by a cheap check, that it is being graded (and behave differently)?
Its module is ``__main__`` without a ``__file__`` as in a notebook's kernel; no module of the
grader is in ``sys.modules``; the command line and the environment name neither the grader nor
its folders. (The call stack still shows the probes' frames: see docs/security.md.)"""

from __future__ import annotations

import pytest

from autograder.grade import grade_file
from autograder.pool import WarmPool
from tests.conftest import reference_code_of

pytestmark = pytest.mark.torch

DETECTOR = '''

def get_device(prefer_gpu=True):
    """Right in a notebook; raises if any cheap check says "graded"."""
    import os
    import sys

    clues = [m for m in sys.modules if m.split(".")[0] in ("autograder", "submission")]
    argv = sys.argv + list(getattr(sys, "orig_argv", []))
    clues += [a for a in argv if "autograder" in a or "dlcourse" in a]
    clues += [k for k, v in os.environ.items() if "dlcourse" in v or "autograder" in v]
    if __name__ != "__main__" or "__file__" in globals():
        clues.append((__name__, globals().get("__file__")))
    if clues:
        raise RuntimeError(f"grading detected: {clues}"[:300])
    if prefer_gpu and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")
'''


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_cheap_checks_do_not_reveal_grading(tmp_path, warm):
    path = tmp_path / "detector.py"
    path.write_text(reference_code_of("pytorch") + DETECTOR, encoding="utf-8")
    if warm:
        with WarmPool() as pool:
            result = grade_file(path, "pytorch", pool=pool)
    else:
        result = grade_file(path, "pytorch")
    assert [(t.name, t.message) for t in result.tests if t.status != "passed"] == []
