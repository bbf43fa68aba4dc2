"""Do the bridge's hidden tests compare with values the grader computes itself (the numpy
reference pass, inputs drawn again from the seed), so that the constant observations that used
to earn their points now earn none, while the honest values still pass?"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.hidden.base import judge
from autograder.hidden.bridge import reference
from autograder.hidden.bridge import verdicts as v
from autograder.hidden.bridge.suite import ACCUMULATION, TOLERANCES
from autograder.probes.bridge import nets
from autograder.suites import get_suite

SUITE = get_suite("bridge")


def _judge(name: str, obs: dict):  # noqa: ANN202
    (test,) = [t for t in SUITE.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    return judge(test, reply, SUITE.seed_for(test), schema_of=SUITE.schema_of)


def _seed(name: str) -> int:
    (test,) = [t for t in SUITE.tests if t.name == name]
    return SUITE.seed_for(test)


def _observed(values: np.ndarray, type_name: str = "torch.Tensor") -> dict:
    describe = {"type": type_name, "kind": "tensor", "shape": list(values.shape)}
    return {"describe": describe, "values": values}


@pytest.mark.torch
@pytest.mark.parametrize("seed", [0, 20261127, 987654321])
def test_the_numpy_reference_is_pytorchs_forward_and_backward(seed):
    """Does the grader's numpy pass give PyTorch's logits, loss and gradients on every bridge
    network, to float32 precision?"""
    import torch

    from autograder.probes.bridge.probes_torch import build

    for net in [*nets.PORT_NETS, nets.PARITY_NET]:
        model = build(net, seed)
        x, y = nets.batch(net, seed)
        logits = model(torch.from_numpy(x))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))
        grads = torch.autograd.grad(loss, list(model.parameters()))
        want = reference.forward_backward(net, seed)
        assert np.allclose(logits.detach().numpy(), want.logits, atol=1e-5)
        assert abs(loss.item() - want.loss) < 1e-5
        names = [name for name, _ in model.named_parameters()]
        assert names == [name for name, _ in want.grads]
        for got, (_, expected) in zip(grads, want.grads, strict=True):
            assert np.allclose(got.numpy(), expected, atol=1e-5)


def test_parity_needs_the_networks_real_pass():
    """Zeros for logits, loss and gradients (which passed when the expected values came from a
    probe in the learner's process) fail; the reference pass passes, in both layouts."""
    for name, fn in (("parity_tf2", "tf2"), ("parity_tf1", "tf1"), ("parity_torch", "torch")):
        want = reference.forward_backward(nets.PARITY_NET, _seed(name))
        grads = (
            [[n, g] for n, g in want.grads]
            if fn == "torch"
            else nets.torch_to_keras(want.grads, nets.PARITY_NET)
        )
        honest = {"logits": want.logits, "loss": want.loss, "grads": grads}
        assert _judge(name, honest).status == "passed", name
        zeros = {
            "logits": np.zeros_like(want.logits),
            "loss": 0.0,
            "grads": [[n, np.zeros_like(g)] for n, g in grads]
            if fn == "torch"
            else [np.zeros_like(g) for g in grads],
        }
        assert _judge(name, zeros).score == 0, name


def test_ported_logits_are_the_reference_networks():
    """The ported weights and the PyTorch network's logits pass; the right weights with zero
    logits (a forged run of the ported model) fail."""
    seed = _seed("port_logits_match")
    ported = []
    for net in nets.PORT_NETS:
        weights = nets.torch_to_keras(nets.init_weights(net, seed), net)
        ported.append({"weights": weights, "logits": reference.logits(net, seed)})
    assert _judge("port_logits_match", {"nets": ported}).status == "passed"
    zeros = [{**p, "logits": np.zeros_like(p["logits"])} for p in ported]
    assert _judge("port_logits_match", {"nets": zeros}).score == 0


def test_parity_report_is_judged_on_the_graders_own_cases():
    """A report of 0 / 0 / 0 / ok for every case (right for identical inputs the observation
    used to carry) fails; the largest differences of the seed's cases pass."""
    cases = nets.parity_cases(np.random.default_rng(_seed("parity_report_values")))
    honest = _honest_parity(cases)
    assert _judge("parity_report_values", {"cases": honest}).status == "passed"
    nothing = {"report": {"logits": 0.0, "loss": 0.0, "grads": 0.0}, "ok": True}
    nothing.update(ok_tight=True, ok_loose=True)
    forged = dict.fromkeys(cases, nothing)
    assert _judge("parity_report_values", {"cases": forged}).score == 0


def _honest_parity(cases: dict) -> dict:
    honest = {}
    for name, results in cases.items():
        want = v.expected_report(results, TOLERANCES)
        honest[name] = {"report": {k: want[k] for k in ("logits", "loss", "grads")}}
        honest[name]["ok"] = want["ok"]
        for label, scale in nets.PARITY_SCALES.items():
            scaled = nets.scaled_tolerances(TOLERANCES, scale)
            honest[name][f"ok_{label}"] = v.expected_report(results, scaled)["ok"]
    return honest


def test_parity_report_must_follow_the_tolerances_it_is_given():
    """A report whose 'ok' is computed with fixed tolerances (a constant, or the module's
    PARITY_TOLERANCES) is right for the given ones only: asked again with tighter and looser
    tolerances it gives the same 'ok', and loses the points, saying why."""
    cases = nets.parity_cases(np.random.default_rng(_seed("parity_report_values")))
    fixed = _honest_parity(cases)
    for case in fixed.values():
        case["ok_tight"] = case["ok_loose"] = case["ok"]
    verdict = _judge("parity_report_values", {"cases": fixed})
    assert verdict.score == 0
    assert "tolerances argument is ignored" in verdict.message


def test_parity_report_must_compare_all_three_pairs():
    """In the agreeing case the largest logits difference is between tf2 and tf1: a report that
    compares each framework with PyTorch only finds a smaller one and is told so."""
    cases = nets.parity_cases(np.random.default_rng(_seed("parity_report_values")))
    honest = _honest_parity(cases)
    first, *others = cases["agree"].values()
    partial = max(v.largest_differences({"a": first, "b": o})["logits"] for o in others)
    assert partial < honest["agree"]["report"]["logits"]
    honest["agree"]["report"]["logits"] = partial
    verdict = _judge("parity_report_values", {"cases": honest})
    assert verdict.score == 0
    assert "all three pairs" in verdict.message


@pytest.mark.parametrize("name", ["accumulation_torch", "accumulation_tf2"])
def test_accumulation_is_replayed_from_the_seeds_problem(name):
    """A saturated model whose weights never move (zero loss, any ``w0``: it passed while the
    grader replayed from inputs the observation reported) fails; the replay of the seed's
    problem passes."""
    k, micro, windows, lr = (ACCUMULATION[key] for key in ("k", "micro", "windows", "lr"))
    problem = v.accumulation_problem(_seed(name), k, micro, windows)
    w, b, losses = v.replay(problem, k, micro, lr, "correct")
    honest = {"w": w, "b": b, "steps": windows, "loss": float(np.mean(losses))}
    assert _judge(name, honest).status == "passed"
    saturated = {"w": np.zeros((5, 7)), "b": np.array([1e4, 0, 0, 0, 0.0]), "steps": 2, "loss": 0.0}
    assert _judge(name, saturated).score == 0


def test_channels_last_storage_is_shown_by_the_stored_values():
    """The order values are stored in, and the model's outputs computed in the grader, decide:
    a tiny zero batch with flags (3/3 before) fails, a standard-layout copy of the right batch
    fails, the right channels-last batch and weights pass."""
    x, params = nets.channels_last_case(np.random.default_rng(_seed("channels_last_memory_format")))
    after = v._channels_last_outputs(x, params)
    kernels = [w.transpose(0, 2, 3, 1).ravel() for w in params[::2]]
    honest = {
        "x": _observed(x),
        "x_stored": x.transpose(0, 2, 3, 1).ravel(),
        "weights_stored": kernels,
        "after": _observed(after),
    }
    assert _judge("channels_last_memory_format", honest).status == "passed"
    tiny = np.zeros((1, 1, 1, 1), np.float32)
    forged = {"x": _observed(tiny), "x_stored": tiny.ravel(), "weights_stored": [tiny.ravel()]}
    assert _judge("channels_last_memory_format", {**forged, "after": _observed(tiny)}).score == 0
    standard = {**honest, "x_stored": x.ravel()}
    assert _judge("channels_last_memory_format", standard).score == 0
    weights_standard = {**honest, "weights_stored": [w.ravel() for w in params[::2]]}
    assert _judge("channels_last_memory_format", weights_standard).score == 1.5


def test_layouts_are_judged_on_the_seeds_batches():
    """One fixed (input, transposed input) pair fails; the seed's batches transposed pass."""
    nchw, nhwc = nets.layout_batches(np.random.default_rng(_seed("layout_numpy")))
    honest = {}
    for kind in ("numpy", "torch"):
        type_name = "numpy.ndarray" if kind == "numpy" else "torch.Tensor"
        honest[f"{kind}_to_nhwc"] = _observed(nchw.transpose(0, 2, 3, 1), type_name)
        honest[f"{kind}_to_nchw"] = _observed(nhwc.transpose(0, 3, 1, 2), type_name)
    assert _judge("layout_numpy", honest).status == "passed"
    fixed = np.arange(120, dtype=np.float32)
    forged = {
        **honest,
        "numpy_to_nhwc": _observed(fixed.reshape(2, 4, 5, 3), "numpy.ndarray"),
        "numpy_to_nchw": _observed(fixed.reshape(2, 3, 4, 5), "numpy.ndarray"),
    }
    assert _judge("layout_numpy", forged).score == 0


def test_placement_on_a_second_cpu_always_requires_the_device():
    """A claim of one logical CPU no longer skips the device check: copies on /CPU:0 fail, the
    seed's values on each CPU asked for pass."""
    values = nets.place_values(np.random.default_rng(_seed("place_tf")))

    def on(device: str) -> dict:
        described = {"type": "tensorflow.Tensor", "kind": "tensor", "device": device}
        return {**described, "values": values}

    honest = {"/CPU:1": on("/job:localhost/replica:0/task:0/device:CPU:1"), "/CPU:0": on("CPU:0")}
    assert _judge("place_tf", honest).status == "passed"
    stayed = {"/CPU:1": on("CPU:0"), "/CPU:0": on("CPU:0")}
    assert _judge("place_tf", stayed).score == 0
