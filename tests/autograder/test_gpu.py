"""With CUDA present, placement checks run for real on the GPU (skipped where there is none)."""

from __future__ import annotations

import pytest

from autograder.assignments import get_assignment
from autograder.build import apply_edits, load_mutants
from tests.conftest import ROOT, grade_sources, has_cuda

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.torch,
    pytest.mark.skipif(not has_cuda(), reason="needs a CUDA GPU; this machine has none"),
]

PLACEMENT_MISTAKES = {
    "train_batch_not_moved": "train_moves_batches",
    "evaluate_batch_not_moved": "evaluate_moves_batches",
    "fit_model_not_moved": "fit_moves_model",
    "train_tensor_on_default_device": "train_moves_batches",
    "train_hardcoded_cpu": "train_moves_batches",
}


@pytest.fixture(scope="module")
def graded_on_gpu(tmp_path_factory, pytorch_reference_code):
    mutants = {m.name: m for m in load_mutants(get_assignment("pytorch"), ROOT)}
    sources = {"reference": pytorch_reference_code}
    for name in (*PLACEMENT_MISTAKES, "device_equals_cuda", "alt_subclassed_mlp"):
        sources[name] = apply_edits(pytorch_reference_code, mutants[name])
    sources["other_style"] = (
        ROOT / "tests/autograder/submissions/pytorch_other_style.py"
    ).read_text()
    return grade_sources(sources, tmp_path_factory.mktemp("gpu"), "pytorch")


@pytest.mark.parametrize("name", ["reference", "alt_subclassed_mlp", "other_style"])
def test_correct_code_gets_full_marks_on_gpu(graded_on_gpu, name):
    """Do correct submissions keep full marks when placement runs on a real GPU?"""
    result = graded_on_gpu[name]
    assert [(t.name, t.message) for t in result.tests if t.status != "passed"] == []


@pytest.mark.parametrize("name", sorted(PLACEMENT_MISTAKES))
def test_placement_mistakes_are_caught_on_gpu(graded_on_gpu, name):
    """Is each placement mistake caught by the real CUDA run, and does the message say so?"""
    test = next(t for t in graded_on_gpu[name].tests if t.name == PLACEMENT_MISTAKES[name])
    assert test.status != "passed"
    assert "on the GPU" in test.message or "cuda" in test.message.lower()


def test_get_device_gives_cuda_on_gpu(graded_on_gpu):
    """On a GPU machine, does the reference's get_device pass the real check?"""
    test = next(t for t in graded_on_gpu["reference"].tests if t.name == "get_device_without_gpu")
    assert test.status == "passed"


def test_layout_measurement_times_every_precision_on_gpu():
    """Does the bridge's measurement cell time fp32, TF32, bf16 and fp16 on the GPU?"""
    from course_utils.layouts import time_conv_layouts

    timing = time_conv_layouts(iters=3, batch=8, size=16)
    assert [r["mode"] for r in timing.rows] == ["fp32", "tf32", "bf16 autocast", "fp16 autocast"]
    assert all(r["NCHW"] > 0 and r["channels_last"] > 0 for r in timing.rows)
    assert str(timing).count(" ms") == 8
