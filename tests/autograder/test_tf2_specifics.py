"""TensorFlow 2 grading: the stub scores 0, torch is never imported, TF logs never matter."""

from __future__ import annotations

import pytest

from autograder.extract import extract
from autograder.grade import grade_file
from autograder.reader import read_submission
from tests.conftest import ROOT

pytestmark = pytest.mark.tensorflow


def test_tf2_stub_scores_zero_with_not_implemented_messages():
    """Does the untouched TF2 notebook earn nothing, each test saying 'not implemented'?"""
    result = grade_file(ROOT / "assignments" / "02_tf2_pipeline.ipynb", "tf2")
    assert result.score == 0 and result.max_score > 0
    assert all("not implemented yet" in t.message for t in result.tests), [
        (t.name, t.message) for t in result.tests if "not implemented yet" not in t.message
    ]


def test_a_tf2_run_never_imports_torch(tmp_path):
    """Is torch unimportable while grading the TensorFlow assignment (and so never loaded)?"""
    code = (ROOT / "examples" / "tf2" / "nchw_into_channels_last_model.py").read_text()
    path = tmp_path / "sneaky.py"
    path.write_text(code + "\n\ndef make_loss():\n    import torch\n")
    result = grade_file(path, "tf2")
    test = next(t for t in result.tests if t.name == "loss_is_cross_entropy_on_logits")
    assert "not available while grading this assignment" in test.message


def test_tensorflow_logging_on_stderr_changes_nothing(tmp_path):
    """Does a submission that floods stderr with TensorFlow-style log lines keep full marks?"""
    body = extract(read_submission(ROOT / "examples" / "tf2" / "reference.ipynb")).code
    path = tmp_path / "noisy.py"
    path.write_text(
        body + "\n\nimport sys as _sys\n_real_loss = make_loss\n\n"
        "def make_loss():\n"
        "    for _ in range(2000):\n"
        "        print('W0000 cpu_feature_guard.cc:227] This TensorFlow binary is optimized',"
        " file=_sys.stderr)\n"
        "    return _real_loss()\n"
    )
    result = grade_file(path, "tf2")
    assert result.score == result.max_score
