"""Bad input gets a clear result record, never a crash: unreadable files, syntax errors, missing
functions, functions that raise, hang, exit or kill their process, and wrong return types."""

from __future__ import annotations

import json
import textwrap

import pytest

from autograder.grade import grade_file
from autograder.pool import WarmPool
from autograder.sandbox import Limits

pytestmark = pytest.mark.torch

IMPORTS = "import numpy as np\nimport torch\nfrom torch import nn\n"
_POOL: dict[str, WarmPool | None] = {"pool": None}


@pytest.fixture(scope="module")
def warm_pool():
    with WarmPool() as pool:
        yield pool


@pytest.fixture(params=["cold", "warm"], autouse=True)
def worker_start(request, warm_pool):
    """Every fault, with a worker started from scratch and with one forked from a warm zygote."""
    _POOL["pool"] = warm_pool if request.param == "warm" else None
    yield request.param
    _POOL["pool"] = None


def _grade(tmp_path, name: str, code: str, limits: Limits | None = None):
    path = tmp_path / name
    path.write_text(code if name.endswith(".ipynb") else IMPORTS + textwrap.dedent(code))
    return grade_file(path, "pytorch", limits, pool=_POOL["pool"])


def _by_name(result):
    return {t.name: t for t in result.tests}


def test_invalid_json_notebook_is_an_error_record(tmp_path):
    """Is a truncated notebook reported (with where the JSON breaks) instead of crashing?"""
    result = _grade(tmp_path, "broken.ipynb", '{"cells": [')
    assert result.error.startswith("broken.ipynb is not valid notebook JSON")
    assert result.score == 0 and all(t.status == "error" for t in result.tests)


def test_notebook_without_code_cells_is_an_error_record(tmp_path):
    """Is a notebook with only markdown reported as having nothing to grade?"""
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "markdown", "source": "hi", "metadata": {}}],
    }
    result = _grade(tmp_path, "empty.ipynb", json.dumps(nb))
    assert "no code cells" in result.error


def test_not_a_notebook_suffix_is_an_error_record(tmp_path):
    """Is a file of the wrong kind (a .txt) refused with the expected kinds named?"""
    path = tmp_path / "answer.txt"
    path.write_text("def download(): pass")
    result = grade_file(path, "pytorch")
    assert "expected a .ipynb notebook or a .py script" in result.error


def test_syntax_error_cell_is_reported_and_other_cells_still_graded(tmp_path):
    """Does a syntax error in one cell cost only the functions of that cell?"""
    cells = [
        {
            "cell_type": "code",
            "source": IMPORTS,
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "source": "def get_device(prefer_gpu=True)\n    return 1",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "source": "def accuracy(logits, targets):\n"
            "    return (logits.argmax(1) == targets).float().mean().item()",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "source": "%matplotlib inline\n!pip list\nx = undefined_name()",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        },
    ]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    result = _grade(tmp_path, "partial.ipynb", json.dumps(nb))
    tests = _by_name(result)
    assert any("cell 1 has a syntax error at line 1" in n for n in result.notes)
    assert tests["accuracy_over_classes"].status == "passed"
    assert tests["get_device_without_gpu"].status == "error"
    assert "`get_device` is not defined" in tests["get_device_without_gpu"].message


def test_function_that_raises_is_an_error_with_its_message(tmp_path):
    """Does an exception in learner code become an 'error' that quotes it and says where?"""
    result = _grade(
        tmp_path, "raises.py", "def make_loss():\n    raise ValueError('oops, bad idea')\n"
    )
    test = _by_name(result)["loss_is_mean_cross_entropy"]
    assert test.status == "error"
    assert "ValueError: oops, bad idea" in test.message and "line 5" in test.message


def test_hanging_function_times_out_and_the_rest_is_graded(tmp_path):
    """Does an endless loop cost its own test only, with a 'timeout' status?"""
    code = """
    def make_loss():
        while True:
            pass

    def accuracy(logits, targets):
        return (logits.argmax(1) == targets).float().mean().item()
    """
    result = _grade(tmp_path, "hangs.py", code)
    tests = _by_name(result)
    assert tests["loss_is_mean_cross_entropy"].status == "timeout"
    assert "did not finish within" in tests["loss_is_mean_cross_entropy"].message
    assert tests["accuracy_over_classes"].status == "passed"


def test_function_that_kills_its_process_is_reported(tmp_path):
    """Does os._exit / a segfault inside a function end as an error for that test only?"""
    code = """
    import os, signal

    def make_loss():
        os._exit(0)

    def make_optimizer(model, lr):
        os.kill(os.getpid(), signal.SIGSEGV)

    def accuracy(logits, targets):
        return (logits.argmax(1) == targets).float().mean().item()
    """
    tests = _by_name(_grade(tmp_path, "dies.py", code))
    assert tests["loss_is_mean_cross_entropy"].status == "error"
    assert "exited with code 0 before answering" in tests["loss_is_mean_cross_entropy"].message
    assert "SIGSEGV" in tests["optimizer_uses_lr"].message
    assert tests["accuracy_over_classes"].status == "passed"


def test_sys_exit_inside_a_function_is_an_error(tmp_path):
    """Is sys.exit() inside a learner function reported as such, not as a pass?"""
    code = "import sys\ndef make_loss():\n    sys.exit(0)\n"
    test = _by_name(_grade(tmp_path, "exits.py", code))["loss_is_mean_cross_entropy"]
    assert test.status == "error" and "called exit()" in test.message


def test_exit_at_import_is_a_note_and_every_test_still_has_a_record(tmp_path):
    """Does sys.exit() at the top level of the submission leave every test with a record?"""
    code = "import sys\nclass Boom:\n    sys.exit(3)\n"
    result = _grade(tmp_path, "exit_at_import.py", code)
    assert any("SystemExit" in n for n in result.notes)
    assert len(result.tests) == len({t.name for t in result.tests}) > 30
    assert result.score == 0


def test_wrong_return_type_says_what_was_expected(tmp_path):
    """Does a function returning the wrong type get a message naming the expected type?"""
    code = "def build_model(in_channels=1, num_classes=10):\n    return 'a model'\n"
    test = _by_name(_grade(tmp_path, "wrong_type.py", code))["model_output_shape"]
    assert test.status == "failed" and "should return a torch.nn.Module" in test.message


def test_submission_time_budget_marks_the_rest_as_timeout(tmp_path):
    """When a whole submission runs out of time, are the remaining tests 'timeout', not lost?"""
    code = "import time\ndef download(url, cache_dir, sha256):\n    time.sleep(3)\n"
    result = _grade(tmp_path, "slow.py", code, Limits(submission_timeout_s=1.0))
    statuses = [t.status for t in result.tests]
    assert "timeout" in statuses and len(statuses) == len(result.tests)
    assert "used up its 1 s" in result.tests[-1].message


def test_memory_cap_stops_a_memory_hog(tmp_path):
    """Does a submission that allocates far too much end as an error naming the memory cap?"""
    code = (
        "def make_loss():\n    block = bytearray(1500 * 2**20)\n"
        "    block[::4096] = b'x' * len(block[::4096])\n    return block\n"
    )
    result = _grade(tmp_path, "hog.py", code, Limits(memory_mb=900))
    test = _by_name(result)["loss_is_mean_cross_entropy"]
    assert test.status == "error" and "more than 900 MB" in test.message
    assert _by_name(result)["optimizer_uses_lr"].status in ("error", "failed")


def test_importing_tensorflow_is_refused_in_a_pytorch_run(tmp_path):
    """Is tensorflow unimportable while grading the PyTorch assignment (cost and isolation)?"""
    code = "def make_loss():\n    import tensorflow\n"
    test = _by_name(_grade(tmp_path, "tf.py", code))["loss_is_mean_cross_entropy"]
    assert "not available while grading this assignment" in test.message


def test_state_one_test_leaves_does_not_reach_the_next(tmp_path, pytorch_reference_code):
    """Does a function that remembers earlier calls (a module-level list) see only its own test's
    calls, as if every test had a process of its own? (Probe children are reused only while
    nothing a later probe could notice has changed.)"""
    code = pytorch_reference_code + textwrap.dedent(
        """
        _SEEN = []
        _reference_build_model = build_model

        def build_model(in_channels=1, num_classes=10):
            _SEEN.append(num_classes)
            if 5 in _SEEN and 7 in _SEEN:
                raise RuntimeError("state from another test reached this one")
            return _reference_build_model(in_channels, num_classes)
        """
    )
    result = _grade(tmp_path, "stateful.py", code)
    assert result.score == result.max_score, [t.message for t in result.tests if t.message]
