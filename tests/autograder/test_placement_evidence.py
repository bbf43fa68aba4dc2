"""Is PyTorch placement judged from values computed on a device, not from device strings?

Without a GPU, placement probes run learner loops on an emulated device (``device='meta'``
while grading): it computes, refuses to mix its tensors with CPU ones as a GPU does, and stores
float32 values with fewer mantissa bits (``instances.device_round``). The values the spies saw
then show whether batches and parameters were moved; a reply of device strings earns nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.hidden.base import judge
from autograder.hidden.common import numerics as num
from autograder.hidden.pytorch.verdicts_loop import machine_has_cuda
from autograder.probes.common import instances as inst
from autograder.suites import get_suite

pytestmark = pytest.mark.skipif(
    machine_has_cuda(), reason="with a GPU, placement runs on it, not on the emulated device"
)

PLACEMENT = ("evaluate_moves_batches", "train_moves_batches", "fit_moves_model")


def _judge(name: str, obs: dict):  # noqa: ANN202
    suite = get_suite("pytorch")
    (test,) = [t for t in suite.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    return judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of)


def _seed(name: str) -> int:
    suite = get_suite("pytorch")
    (test,) = [t for t in suite.tests if t.name == name]
    return suite.seed_for(test)


def _run(seed: int, *, rounded: bool = True, loss_shift: float = 0.0) -> dict:
    """What the spies of an honest run on the emulated device record (``rounded=False``: the
    same values computed on the CPU, as a forger that never moved anything would send)."""
    x, y, weight, bias = inst.linear_problem(seed)
    move = inst.device_round if rounded else (lambda a: a)
    dx, dw, db = (move(a) for a in (x, weight, bias))
    forwards, losses = [], []
    for i in range(0, len(x), 4):
        call = {
            "training": False,
            "grad_enabled": False,
            "input_device": "meta",
            "param_device": "meta",
            "input_shape": list(x[i : i + 4].shape),
            "input": dx[i : i + 4],
        }
        if not forwards:
            call.update(weight=dw, bias=db)
        forwards.append(call)
        logits = dx[i : i + 4].reshape(4, -1).astype(np.float64) @ dw.T + db
        value = num.cross_entropy(logits, y[i : i + 4]) + loss_shift
        losses.append({"logits_device": "meta", "targets_device": "meta", "value": value})
    return {"target": "meta", "forwards": forwards, "losses": losses, "ended": None}


@pytest.mark.parametrize("name", PLACEMENT)
def test_values_computed_on_the_device_pass(name):
    assert _judge(name, _run(_seed(name))).status == "passed"


@pytest.mark.parametrize("name", PLACEMENT)
def test_device_strings_alone_earn_nothing(name):
    """The old forgery: every record says 'meta' and the run ended cleanly, with no values."""
    obs = _run(_seed(name))
    for call in obs["forwards"]:
        for key in ("input", "weight", "bias"):
            call.pop(key, None)
    for loss in obs["losses"]:
        loss.pop("value")
    verdict = _judge(name, obs)
    assert verdict.score == 0
    assert "model.to(device)" in verdict.message


@pytest.mark.parametrize("name", PLACEMENT)
def test_values_computed_on_the_cpu_earn_nothing(name):
    """The right numbers, computed where they were never moved: the device's rounding is missing."""
    verdict = _judge(name, _run(_seed(name), rounded=False))
    assert verdict.score == 0
    assert "'cpu'" in verdict.message


def test_a_loss_the_device_did_not_compute_fails():
    """Batches moved but a loss of other targets (or none of the device's) is the targets' fault."""
    name = "evaluate_moves_batches"
    verdict = _judge(name, _run(_seed(name), loss_shift=0.05))
    assert verdict.score == 0
    assert "targets" in verdict.message


def test_a_target_that_is_not_this_machines_fails():
    """A reply claiming a CUDA run on a machine without a GPU is not the probe's own."""
    name = "evaluate_moves_batches"
    obs = {**_run(_seed(name)), "target": "cuda"}
    assert "not its own" in _judge(name, obs).message


def _walked(seed: int, rounded: bool) -> dict:
    images, pair, single = inst.nested_values(seed)
    move = inst.device_round if rounded else (lambda a: a)

    def walk(values: bool) -> list[dict]:
        tensor = {"type": "Tensor", "device": "meta" if values else "cpu"}
        return [
            {"path": "obj", "type": "dict"},
            {"path": "obj['images']", **tensor, "values": move(images) if values else images},
            {"path": "obj['pair']", "type": "tuple"},
            {"path": "obj['pair'][0]", **tensor, "values": move(pair) if values else pair},
            {"path": "obj['pair'][1]", "type": "list"},
            {"path": "obj['pair'][1][0]", "type": "Tensor", "device": "meta" if values else "cpu"},
            {"path": "obj['pair'][1][1]", "type": "int", "value": "7"},
            {"path": "obj['pair'][1][2]", "type": "str", "value": "'label'"},
            {"path": "obj['count']", "type": "int", "value": "5"},
        ]

    return {
        "target": "meta",
        "before": walk(False),
        "after": walk(True),
        "single": "meta",
        "single_values": move(single),
    }


def test_to_device_is_judged_by_the_moved_values():
    seed = _seed("to_device_nested")
    assert _judge("to_device_nested", _walked(seed, rounded=True)).status == "passed"
    forged = _judge("to_device_nested", _walked(seed, rounded=False))
    assert forged.score == 0
    assert "'cpu'" in forged.message
    strings_only = _walked(seed, rounded=True)
    strings_only["single_values"] = None
    assert _judge("to_device_nested", strings_only).score == 0


def test_the_device_rounding_is_visible_and_idempotent():
    """Does a copy onto the device change float32 values (so values show placement), and does a
    second copy change nothing (moving twice is not a mistake)?"""
    values = inst.nested_values(0)[0]
    once = inst.device_round(values)
    assert not np.array_equal(once, values)
    assert np.array_equal(inst.device_round(once), once)
    assert np.max(np.abs(once - values) / np.abs(values)) <= 2.0**-10


def _bridge_place(seed: int, rounded: bool) -> dict:
    from autograder.probes.bridge import nets

    rng = np.random.default_rng(seed)
    values, params = nets.place_values(rng), nets.place_module_values(rng)
    move = inst.device_round if rounded else (lambda a: a)
    tensor = {"kind": "tensor", "type": "torch.Tensor", "device": "meta", "values": move(values)}
    module = {"returned_module": True, "devices": ["meta"], "values": [move(p) for p in params]}
    return {
        "tensor_device": tensor,
        "module_device": module,
        "tensor_string": tensor,
        "module_string": module,
        "source_device": "cpu",
    }


def test_bridge_place_is_judged_by_the_moved_values():
    """Bridge ``place``: moved values pass; the same values unrounded (never moved) or a reply
    of device strings without values earn nothing."""
    suite = get_suite("bridge")
    (test,) = [t for t in suite.tests if t.name == "place_torch"]
    seed = suite.seed_for(test)

    def verdict(obs: dict):  # noqa: ANN202
        reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
        return judge(test, reply, seed, schema_of=suite.schema_of)

    assert verdict(_bridge_place(seed, rounded=True)).status == "passed"
    unmoved = verdict(_bridge_place(seed, rounded=False))
    assert unmoved.score == 0 and "on cpu" in unmoved.message
    strings = _bridge_place(seed, rounded=True)
    strings["module_device"] = {**strings["module_device"], "values": [None] * 4}
    assert verdict(strings).score == 0
