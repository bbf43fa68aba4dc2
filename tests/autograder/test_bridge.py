"""The bridge assignment is graded by two workers, one framework each: do they stay apart, does
one failing leave the other's tests graded, and do comparisons say why they could not be made?"""

from __future__ import annotations

import pytest

from autograder.hidden.base import MAIN
from autograder.suites import get_suite
from tests.conftest import grade_sources, reference_code_of

pytestmark = [pytest.mark.torch, pytest.mark.tensorflow]

_WHICH_FRAMEWORKS = """

import sys as _sys


def nchw_to_nhwc(x):
    real = sorted(m for m in ("torch._C", "tensorflow.python") if m in _sys.modules)
    raise ValueError(f"loaded: {real}")
"""

_KILL_TORCH_WORKER = """
import os as _os


# Default values run when the module loads; only the PyTorch process has torch's __version__.
def _kill(_=_os._exit(3) if getattr(torch, "__version__", None) else None):
    pass
"""


def _grade(tmp_path, code):
    return grade_sources({"submission": code}, tmp_path, "bridge")["submission"]


def _by_name(result):
    return {t.name: t for t in result.tests}


def test_each_worker_loads_only_its_framework(tmp_path):
    """Does the PyTorch process never import TensorFlow, and the TensorFlow process never torch,
    though the notebook imports both?"""
    tests = _by_name(_grade(tmp_path, reference_code_of("bridge") + _WHICH_FRAMEWORKS))
    assert "loaded: ['torch._C']" in tests["layout_torch"].message
    assert "loaded: ['tensorflow.python']" in tests["layout_tf"].message


def test_a_dead_pytorch_worker_leaves_tensorflow_parts_graded(tmp_path):
    """When the learner's code kills the PyTorch process, are all the TensorFlow tests still
    graded (their expected values are computed in the grader, not in the PyTorch process)?"""
    result = _grade(tmp_path, reference_code_of("bridge") + _KILL_TORCH_WORKER)
    tests = _by_name(result)
    suite = get_suite("bridge")
    torch_side = [t.name for t in suite.tests if t.worker == MAIN]
    tf_side = [t.name for t in suite.tests if t.worker != MAIN]
    assert all(tests[n].status == "error" for n in torch_side)
    assert all(tests[n].status == "passed" for n in tf_side), [tests[n].message for n in tf_side]
    assert "could not be loaded" in tests[torch_side[0]].message


def test_a_failing_statement_costs_only_its_own_definition(tmp_path):
    """Does a definition that raises while loading (a default naming an undefined constant) leave
    the definitions after it in place, with the error in the notes?"""
    code = "def broken(tolerance=UNDEFINED_CONSTANT):\n    return tolerance\n\n\n"
    result = _grade(tmp_path, code + reference_code_of("bridge"))
    assert result.score == result.max_score
    assert any("NameError" in note and "UNDEFINED_CONSTANT" in note for note in result.notes)


def test_settings_the_functions_read_are_kept(tmp_path):
    """Are module-level settings such as ``TOL = dict(...)`` and ``DEVICE = torch.device(...)``
    kept for the functions that read them, while experiments are dropped?"""
    code = (
        reference_code_of("bridge")
        .replace("PARITY_TOLERANCES = {", "PARITY_TOLERANCES = dict(**{")
        .replace('"grads": 1e-5}', '"grads": 1e-5})', 1)
    )
    assert "dict(**{" in code
    code += '\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
    code += "EXPERIMENT = forward_backward_torch(None, None, None)\n"
    result = _grade(tmp_path, code)
    assert result.score == result.max_score, [
        t.message for t in result.tests if t.score < t.max_score
    ]
    assert not any("EXPERIMENT" in note or "NameError" in note for note in result.notes)


_PATCH_LAYERS = """
# Equivalent replacements, still replacements: what the reference run and the ported models
# compute must not depend on the learner's code.
def _patch(
    _a=setattr(nn.Linear, "forward", lambda self, x: x @ self.weight.T + self.bias)
    if getattr(torch, "__version__", None) else None,
    _b=setattr(keras.layers.Dense, "call", (lambda f: lambda *a: f(*a))(keras.layers.Dense.call))
    if getattr(keras, "__version__", None) else None,
):
    pass
"""


def test_patching_the_layers_of_the_trusted_networks_voids_the_tests(tmp_path):
    """Does replacing a layer's forward (PyTorch) or call (Keras) at load time void the tests of
    that worker, instead of changing what the reference and the ported models compute?"""
    result = _grade(tmp_path, reference_code_of("bridge") + _PATCH_LAYERS)
    assert result.score == 0
    messages = {t.message for t in result.tests}
    assert all("replaces functions" in m for m in messages), messages
