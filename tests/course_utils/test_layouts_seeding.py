"""Layout helpers (a permutation, never a reshape) and seeding without importing frameworks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from course_utils.devices import same_device_type
from course_utils.layouts import LayoutError, nchw_to_nhwc, nhwc_to_nchw, require_images


def test_layout_round_trip_moves_pixels_not_just_shape():
    """Is NCHW -> NHWC a permutation (pixel (c, h, w) lands at (h, w, c))?"""
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    y = nchw_to_nhwc(x)
    assert y.shape == (2, 4, 5, 3) and y[1, 2, 3, 0] == x[1, 0, 2, 3]
    assert np.array_equal(nhwc_to_nchw(y), x)


def test_layout_errors_say_what_was_expected():
    """Does a 3-dim batch get 'did you forget the channel axis?'"""
    with pytest.raises(LayoutError, match="forget the channel axis"):
        nchw_to_nhwc(np.zeros((2, 8, 8)))
    with pytest.raises(LayoutError, match="is this batch in NHWC"):
        require_images(np.zeros((2, 8, 8, 1)), "NCHW", channels=1)


def test_device_types_compare_without_index():
    """Is cuda:0 the same device type as cuda (the comparison the course teaches)?"""
    assert same_device_type("cuda:0", "cuda") and not same_device_type("cpu", "cuda:0")


def test_seeding_does_not_import_frameworks():
    """Does seed_everything leave torch and tensorflow unimported when the caller did not?"""
    code = (
        "import sys, course_utils; print(course_utils.seed_everything(1), 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['random', 'numpy'] False"


@pytest.mark.torch
def test_layout_measurement_times_both_memory_formats():
    """Does the bridge's measurement cell give NCHW and channels-last times (fp32 on a CPU; every
    precision on a GPU) and print them with their ratio?"""
    import torch

    from course_utils.layouts import time_conv_layouts

    timing = time_conv_layouts(iters=1, batch=2, size=8, channels=4)
    assert [r["mode"] for r in timing.rows][:1] == ["fp32"]
    assert len(timing.rows) == (4 if torch.cuda.is_available() else 1)
    assert all(r["NCHW"] > 0 and r["channels_last"] > 0 for r in timing.rows)
    assert "fp32: NCHW" in str(timing) and "x)" in str(timing)
