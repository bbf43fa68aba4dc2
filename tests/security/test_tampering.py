"""Stubs everywhere, plus load-time code that replaces what the probes rely on: graded warm and
cold, does each score no more than the stub, with its record naming the tampering?

Each attack makes the device probe answer what a correct ``get_device`` gives (worth a point if
it were believed: :func:`test_the_forged_answer_would_earn_points`), or patches something the
probes call, or then hides its change from the check. One technique that beats the check is not
here: it is described under "what remains" in docs/security.md.
"""

from __future__ import annotations

import shutil

import pytest

from autograder.cli import grade_paths
from autograder.engines import LocalEngine
from autograder.extract import extract
from autograder.hidden.base import judge
from autograder.reader import read_submission
from autograder.suites import get_suite
from tests.conftest import ROOT
from tests.security.test_hostile_submissions import _full_isolation_available

pytestmark = [pytest.mark.torch, pytest.mark.slow]

FORGED = {"cuda_available": False, "default": "cpu", "no_gpu_wanted": "cpu"}

# Load-time helpers: the worker's probe registry and the runtime's globals, through the frames
# of the code that is loading the submission (the grader's modules are not importable there).
PRELUDE = f"""

def _grader_parts():
    import sys
    frame, probes, runtime = sys._getframe(), None, None
    while frame is not None:
        found = frame.f_locals.get("probes")
        if probes is None and hasattr(found, "PROBES"):
            probes = found
        if runtime is None and "tamper" in frame.f_globals:
            runtime = frame.f_globals
        frame = frame.f_back
    return probes, runtime


def _forged(ctx):
    return {FORGED!r}


def _find_local(name):
    import sys
    frame = sys._getframe()
    while frame is not None:
        if name in frame.f_locals:
            return frame.f_locals[name]
        frame = frame.f_back


def _wrap(cls, name):
    original = getattr(cls, name)

    def wrapper(self, *args, _original=original, **kwargs):
        return _original(self, *args, **kwargs)

    setattr(cls, name, wrapper)
"""

TECHNIQUES = {
    "registry_entry_swapped": (
        "probes, _ = _grader_parts()\nprobes.PROBES['get_device_real'] = _forged",
        "PROBES['get_device_real']",
    ),
    "code_object_swapped": (
        "probes, _ = _grader_parts()\nprobes.PROBES['get_device_real'].__code__ = _forged.__code__",
        "get_device_real.__code__",
    ),
    "keyword_defaults_changed": (
        "probes, _ = _grader_parts()\n"
        "probes.PROBES['get_device_real'].__kwdefaults__ = {'prefer_gpu': False}",
        "get_device_real.__kwdefaults__",
    ),
    "probe_module_global_rebound": (
        "probes, _ = _grader_parts()\n"
        "probes.PROBES['get_device_real'].__globals__['_device_type'] = lambda device: 'cpu'",
        "probes_nn._device_type",
    ),
    "tensor_to_wrapped": ("import torch\n_wrap(torch.Tensor, 'to')", "torch.Tensor.to"),
    "module_to_wrapped": ("import torch\n_wrap(torch.nn.Module, 'to')", "torch.nn.Module.to"),
    "childs_baseline_rewritten": (
        "probes, runtime = _grader_parts()\n"
        "probes.PROBES['get_device_real'] = _forged\n"
        "_find_local('baseline')[:] = runtime['tamper'].identities()",
        "the worker's record of what the probes rely on",
    ),
    "list_of_slots_cleared": (
        "probes, runtime = _grader_parts()\n"
        "probes.PROBES['get_device_real'] = _forged\n"
        "runtime['tamper']._SLOTS.clear()\n"
        "runtime['tamper']._NAMES.clear()",
        "the worker's record of what the probes rely on",
    ),
}


def _attack(body: str) -> str:
    lines = "\n".join(f"    {line}" for line in body.splitlines())
    return f"{PRELUDE}\n\nclass _Tamper:\n{lines}\n"


def test_the_forged_answer_would_earn_points():
    """Can the attacks fail? The answer they forge earns the device test's point when judged."""
    suite = get_suite("pytorch")
    (test,) = [t for t in suite.tests if t.name == "get_device_without_gpu"]
    result = judge(test, {"status": "ok", "obs": FORGED}, 0, schema_of=suite.schema_of)
    assert result.score == result.max_score > 0, result.message


@pytest.fixture(scope="module", params=["warm", "cold"])
def graded(request, tmp_path_factory):
    if not _full_isolation_available():
        pytest.skip("this machine refuses namespaces: hostile code would run unconfined here")
    subs = tmp_path_factory.mktemp(f"tampering-{request.param}")
    stub = extract(read_submission(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")).code
    for name, (body, _) in TECHNIQUES.items():
        (subs / f"{name}.py").write_text(stub + _attack(body))
    (subs / "stub.py").write_text(stub)
    shutil.copy(ROOT / "examples" / "pytorch" / "reference.ipynb", subs / "reference.ipynb")
    engine = LocalEngine(jobs=2, warm=request.param == "warm")
    try:
        results = grade_paths(sorted(subs.iterdir()), "pytorch", None, quiet=True, engine=engine)
    finally:
        engine.close()
    return {r.submission.rsplit(".", 1)[0]: r for r in results}


def test_the_reference_beside_them_keeps_full_marks(graded):
    assert graded["reference"].score == graded["reference"].max_score > 0


@pytest.mark.parametrize("name", sorted(TECHNIQUES))
def test_tampering_earns_nothing_and_is_named(graded, name):
    result, stub = graded[name], graded["stub"]
    assert result.score <= stub.score
    messages = [t.message for t in result.tests if t.status == "error"]
    assert messages and all("replace" in m for m in messages), messages[:3]
    assert any(TECHNIQUES[name][1] in m for m in messages), messages[:3]
