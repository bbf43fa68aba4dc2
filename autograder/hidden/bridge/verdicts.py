"""Verdicts of the bridge assignment (grader side: numpy only). Every input a probe gave the
learner's code is drawn again here from the test's seed (``nets``), and every expected value is
computed here: the networks' passes by ``reference``, accumulation by a numpy SGD replay. No
verdict compares with a value an observation reports."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.bridge import reference
from autograder.hidden.common import numerics as num
from autograder.hidden.common.numerics import ce_grad, cross_entropy
from autograder.hidden.pytorch.verdicts_loop import EMULATED_NOTE
from autograder.probes.bridge import nets
from autograder.probes.common import instances as inst

NCHW_TO_NHWC, NHWC_TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)
_KINDS = {"numpy": "numpy", "torch": "torch", "tf": "tensorflow"}


def _close(got: Any, want: np.ndarray, atol: float = 1e-5) -> bool:
    """Within ``atol`` times the largest magnitude of ``want`` (at least 1), entry by entry."""
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return num.close(got, want, atol=atol * scale)


def _non_finite(fn: str, got: dict[str, Any], keys: tuple[str, ...], doing: str) -> str | None:
    """The message for the first of ``got[key]`` (a number, an array or a list of arrays) that
    holds NaN or ±inf."""
    for key in keys:
        values = got.get(key)
        items = list(enumerate(values)) if isinstance(values, list) else [(None, values)]
        for i, value in items:
            label = f"`{fn}`'s {key}" if i is None else f"`{fn}`'s {key} {i}"
            if message := num.non_finite_message(label, value, doing, verb="is"):
                return message
    return None


# -- layouts -----------------------------------------------------------------------------------


def _layout_one(obs: dict[str, Any], seed: int, kind: str, direction: str) -> str | None:
    """None when right, else what is wrong with one conversion."""
    nchw, nhwc = nets.layout_batches(np.random.default_rng(seed))
    source, axes, fn, target = (
        (nchw, NCHW_TO_NHWC, "nchw_to_nhwc", "(N, H, W, C)")
        if direction == "to_nhwc"
        else (nhwc, NHWC_TO_NCHW, "nhwc_to_nchw", "(N, C, H, W)")
    )
    out = obs[f"{kind}_{direction}"]
    want = np.transpose(source, axes)
    got_type = str(out["describe"]["type"])
    if not got_type.startswith(_KINDS[kind]):
        return f"`{fn}` given a {_KINDS[kind]} array returned a {got_type}: return the same kind"
    got = out["values"]
    if got is None or list(np.shape(got)) != list(want.shape):
        shape = None if got is None else list(np.shape(got))
        return (
            f"`{fn}` of shape {list(source.shape)} should give {target} = "
            f"{list(want.shape)}, got {shape}"
        )
    if message := num.non_finite_message(f"`{fn}`", got, f"converting a batch to {target}"):
        return message
    if np.array_equal(got, source.reshape(want.shape)):
        return (
            f"`{fn}` reshaped instead of permuting: a reshape keeps the values in memory order and "
            "only re-reads them, so every pixel lands in the wrong place; a layout change moves "
            f"the values: a transpose/permute with axes {axes}"
        )
    if not num.close(got, want, atol=1e-8, rtol=1e-5):
        return f"`{fn}` moved the values to the wrong places: the axes for {target} are {axes}"
    return None


def layouts(obs: dict[str, Any], seed: int, kind: str) -> Verdict:
    problems = [p for d in ("to_nhwc", "to_nchw") if (p := _layout_one(obs, seed, kind, d))]
    if not problems:
        return passed()
    if len(problems) == 1:
        return failed(problems[0], 0.5)  # one of the two directions is right
    return failed("; ".join(problems))


def _channels_last_outputs(x: np.ndarray, params: list[np.ndarray]) -> np.ndarray:
    """The channels-last probe's model (conv, ReLU, conv; 3x3 "same") on ``x``, in numpy."""
    w1, b1, w2, b2 = (p.astype(np.float64) for p in params)
    hidden = np.maximum(reference.conv(x.astype(np.float64), w1, b1), 0.0)
    return reference.conv(hidden, w2, b2)


def channels_last(obs: dict[str, Any], seed: int) -> Verdict:
    x_in, params = nets.channels_last_case(np.random.default_rng(seed))
    got = obs["x"]
    shape = got["describe"].get("shape")
    if shape != list(x_in.shape):
        if shape == [x_in.shape[i] for i in NCHW_TO_NHWC]:
            return failed(
                "to_channels_last permuted the batch to (N, H, W, C): a permute changes the "
                "logical shape, and a Conv2d then reads H as channels. The channels-last memory "
                "format keeps the shape (N, C, H, W) and changes only how values are stored: "
                "x.contiguous(memory_format=torch.channels_last)"
            )
        return failed(f"the batch should keep its shape {list(x_in.shape)}, got {shape}")
    message = num.non_finite_message(
        "`to_channels_last`", got["values"], "changing a batch's memory format"
    )
    if message:
        return failed(message)
    if got["values"] is None or not num.close(got["values"], x_in, atol=1e-8, rtol=1e-5):
        return failed("the batch's values changed: a memory format change keeps every value")
    stored = obs.get("x_stored")
    if stored is None or not num.close(stored, x_in.transpose(NCHW_TO_NHWC).ravel(), atol=1e-8):
        return failed(
            "the batch is not stored channels-last (its values are not in memory in (N, H, W, C) "
            "order; x.is_contiguous(memory_format=torch.channels_last) is False): change its "
            "memory format, not its shape"
        )
    if "after" not in obs or not _close(
        obs["after"]["values"], _channels_last_outputs(x_in, params)
    ):
        return failed(
            "the returned model on the returned batch does not give the original model's outputs"
        )
    kernels = params[::2]
    stored_kernels = obs.get("weights_stored") or []
    if len(stored_kernels) != len(kernels):
        return failed(
            f"the returned model should keep its {len(kernels)} conv layers, found "
            f"{len(stored_kernels)}"
        )
    for got_kernel, kernel in zip(stored_kernels, kernels, strict=True):
        if not num.close(got_kernel, kernel.transpose(NCHW_TO_NHWC).ravel(), atol=1e-8):
            return failed(
                "the batch is channels-last but the model's conv weights are not: convert the "
                "model too (model.to(memory_format=torch.channels_last)), or the kernels convert "
                "back",
                0.5,
            )
    return passed()


# -- port --------------------------------------------------------------------------------------


def _port_pairs(
    obs: dict[str, Any], seed: int
) -> list[tuple[dict[str, Any], list, list, dict[str, Any]]]:
    """Per port network: its description, PyTorch weights, expected Keras weights, observation."""
    out = []
    for net, got in zip(nets.PORT_NETS, obs["nets"], strict=True):
        torch_weights = nets.init_weights(net, seed)
        out.append((net, torch_weights, nets.torch_to_keras(torch_weights, net), got))
    return out


def _port_shape_problem(obs: dict[str, Any], seed: int) -> str | None:
    """Why the ported networks' observation does not have one entry per network and one array
    per Keras weight (None when it does)."""
    if len(obs["nets"]) != len(nets.PORT_NETS):
        return f"expected {len(nets.PORT_NETS)} ported networks, got {len(obs['nets'])}"
    if any(got.get("unchanged") for got in obs["nets"]):
        return (
            "port_torch_to_keras left the weights of the Keras model it was given as they were "
            "(a new model made and returned?): set keras_model's weights in place "
            "(keras_model.set_weights), as the docstring asks"
        )
    for net, got in zip(nets.PORT_NETS, obs["nets"], strict=True):
        if len(got["weights"]) != len(nets.init_weights(net, seed)):
            return (
                f"a ported Keras model should hold {len(nets.init_weights(net, seed))} weight "
                f"arrays (kernel and bias per layer), got {len(got['weights'])}"
            )
    return None


def port_conv(obs: dict[str, Any], seed: int) -> Verdict:
    if problem := _port_shape_problem(obs, seed):
        return failed(problem)
    for _, torch_weights, want, got in _port_pairs(obs, seed):
        for (_, w), expected, actual in zip(torch_weights, want, got["weights"], strict=True):
            if w.ndim != 4:
                continue
            actual = np.asarray(actual)
            if num.close(actual, expected, atol=1e-6, rtol=1e-5):
                continue
            if message := num.non_finite_message(
                "a ported Keras conv kernel", actual, "porting PyTorch weights", verb="is"
            ):
                return failed(message)
            if actual.size == w.size and np.array_equal(actual.ravel(), w.ravel()):
                return failed(
                    "conv weights were reshaped instead of transposed: PyTorch stores "
                    f"(out, in, kH, kW) = {list(w.shape)}, Keras wants (kH, kW, in, out); a "
                    "reshape to that shape keeps PyTorch's memory order and scrambles every "
                    "filter. Transpose with axes (2, 3, 1, 0)"
                )
            return failed(
                f"a Keras conv kernel should be the PyTorch weight {list(w.shape)} transposed to "
                f"(kH, kW, in, out) = {list(expected.shape)}; got shape {list(actual.shape)} "
                "with other values (set the weights of the Keras model given, in place)"
            )
    return passed()


def port_dense_after_flatten(obs: dict[str, Any], seed: int) -> Verdict:
    if problem := _port_shape_problem(obs, seed):
        return failed(problem)
    for net, torch_weights, want, got in _port_pairs(obs, seed):
        index = next(i for i, (_, w) in enumerate(torch_weights) if w.ndim == 2)
        w, expected = torch_weights[index][1], want[index]
        actual = np.asarray(got["weights"][index])
        if num.close(actual, expected, atol=1e-6, rtol=1e-5):
            continue
        if message := num.non_finite_message(
            "the ported dense kernel after Flatten", actual, "porting PyTorch weights", verb="is"
        ):
            return failed(message)
        if num.close(actual, w.T, atol=1e-6, rtol=1e-5):
            h, wd, c = nets.feature_shape(net)
            return failed(
                "the first dense layer after the conv stack was transposed but not permuted to "
                f"Keras' flatten order: PyTorch flattens the (C, H, W) = ({c}, {h}, {wd}) feature "
                "map channel by channel, Keras flattens (H, W, C) pixel by pixel, so the rows of "
                "that kernel must be re-ordered (reshape to (out, C, H, W), transpose to "
                "(out, H, W, C), flatten back, then transpose)"
            )
        h, wd, c = nets.feature_shape(net)
        misread = w.reshape(len(w), h, wd, c).transpose(0, 2, 3, 1).reshape(len(w), -1).T
        if num.close(actual, misread, atol=1e-6, rtol=1e-5):
            return failed(
                f"feature_shape ({h}, {wd}, {c}) was read as (C, H, W): it is (H, W, C), the "
                "shape Keras' Flatten sees (flatten.input.shape[1:]), so the dense kernel's "
                "columns were re-ordered with the wrong sizes"
            )
        return failed(
            "the first dense kernel after Flatten should be PyTorch's (out, C*H*W) weight with its "
            f"columns re-ordered to (H, W, C), transposed to {list(expected.shape)}; got shape "
            f"{list(actual.shape)} with other values"
        )
    return passed()


def port_logits(obs: dict[str, Any], seed: int) -> Verdict:
    if problem := _port_shape_problem(obs, seed):
        return failed(problem)
    for net, _, _, got in _port_pairs(obs, seed):
        want, actual = reference.logits(net, seed), got["logits"]
        message = num.non_finite_message(
            "the ported Keras model's logits", actual, "running it on known images", verb="are"
        )
        if message:
            return failed(message)
        if not _close(actual, want):
            same = actual is not None and np.shape(actual) == want.shape
            gap = f"{float(np.max(np.abs(np.asarray(actual) - want))):.2g}" if same else "-"
            return failed(
                "the ported Keras model does not give PyTorch's logits on the same images "
                f"(largest difference {gap}, allowed 1e-5; "
                f"network {' -> '.join(k for k, _ in net['layers'])}): check every kernel, "
                "every bias, and the flatten order"
            )
    return passed()


# -- parity ------------------------------------------------------------------------------------


def _compare(
    got: dict[str, Any], logits: np.ndarray, loss: float, grads: list[np.ndarray], fn: str
) -> Verdict:
    if got["logits"] is None or np.shape(got["logits"]) != logits.shape:
        return failed(f"`{fn}` logits should have shape {list(logits.shape)} (N, classes)")
    message = _non_finite(fn, got, ("logits", "loss", "grads"), "running a known network")
    if message:
        return failed(message)
    if not _close(got["logits"], logits):
        return failed(
            f"`{fn}` logits differ from the reference (raw logits of the network, no softmax)"
        )
    if got["loss"] is None:
        return failed(f"`{fn}` loss should be one number")
    if not num.close(got["loss"], loss, atol=1e-5 * max(1.0, abs(loss))):
        n = len(logits)
        if num.close(got["loss"], n * loss, atol=1e-4 * n * abs(loss)):
            return failed(f"`{fn}` loss is summed over the batch: the mean cross-entropy is wanted")
        return failed(
            f"`{fn}` loss {got['loss']:.6g} should be the mean cross-entropy {loss:.6g} of the "
            "logits (the loss applies the softmax itself: from_logits, no softmax before it)"
        )
    if len(got["grads"]) != len(grads):
        return failed(
            f"`{fn}` should return {len(grads)} gradients (one per parameter), "
            f"got {len(got['grads'])}"
        )
    for i, (actual, want) in enumerate(zip(got["grads"], grads, strict=True)):
        if actual is None:
            return failed(
                f"`{fn}` gradient {i} is None: the loss was not computed from the parameters "
                "while gradients were recorded (forward pass outside the tape?)"
            )
        if not _close(actual, want):
            return failed(
                f"`{fn}` gradient {i} (shape {list(np.shape(actual))}) differs from the reference "
                f"{list(want.shape)}: gradients have their parameter's layout"
            )
    return passed()


def parity_torch(obs: dict[str, Any], seed: int) -> Verdict:
    want = reference.forward_backward(nets.PARITY_NET, seed)
    names = [name for name, _ in want.grads]
    by_name = {name: g for name, g in obs["grads"]}
    if sorted(by_name) != sorted(names):
        return failed(
            f"`forward_backward_torch` grads should be keyed by parameter name {names}, "
            f"got {sorted(by_name)}"
        )
    got = {**obs, "grads": [by_name[n] for n in names]}
    grads = [g for _, g in want.grads]
    stale = dict(nets.stale_grads(nets.PARITY_NET, seed))
    if all(
        _close(by_name[n], g + stale[n]) for n, g in want.grads if by_name[n] is not None
    ) and not all(_close(by_name[n], g) for n, g in want.grads):
        return failed(
            "`forward_backward_torch` returned its batch's gradients added to the ones the model "
            "already held (from an earlier backward): backward() accumulates into .grad, so zero "
            "them first (model.zero_grad()) to get the gradients of this one batch"
        )
    return _compare(got, want.logits, want.loss, grads, "forward_backward_torch")


def parity_tf(obs: dict[str, Any], seed: int, fn: str) -> Verdict:
    want = reference.forward_backward(nets.PARITY_NET, seed)
    keras_grads = nets.torch_to_keras(want.grads, nets.PARITY_NET)
    return _compare(obs, want.logits, want.loss, keras_grads, fn)


def largest_differences(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The largest absolute difference of logits, loss and grads between any two results."""
    report: dict[str, float] = {}
    for key in ("logits", "loss", "grads"):
        worst = 0.0
        for a, b in itertools.combinations(results.values(), 2):
            pairs = zip(a[key], b[key], strict=True) if key == "grads" else [(a[key], b[key])]
            for u, v in pairs:
                diff = np.abs(np.asarray(u, np.float64) - np.asarray(v, np.float64))
                worst = max(worst, float(np.max(diff)))
        report[key] = worst
    return report


def expected_report(
    results: dict[str, dict[str, Any]], tolerances: dict[str, float]
) -> dict[str, Any]:
    report: dict[str, Any] = dict(largest_differences(results))
    report["ok"] = all(num.at_most(report[k], tolerances[k]) for k in ("logits", "loss", "grads"))
    return report


def _against_first(got: Any, results: dict[str, dict[str, Any]], key: str) -> bool:
    """Is ``got`` the largest difference of each result with the first one only (the pair of
    the other two left out), where that differs from the largest of all pairs?"""
    first, *others = results.values()
    partial = max(largest_differences({"a": first, "b": o})[key] for o in others)
    full = largest_differences(results)[key]
    return partial != full and num.close(got, partial, atol=1e-12, rtol=1e-3)


_PAIRS_HINT = (
    ". Here the largest difference is between tf2 and tf1: all three pairs must be compared, "
    "not only each framework against PyTorch"
)


def parity_report(obs: dict[str, Any], seed: int, tolerances: dict[str, float]) -> Verdict:
    cases = nets.parity_cases(np.random.default_rng(seed))
    if sorted(obs["cases"]) != sorted(cases):
        return failed(f"expected reports for the cases {sorted(cases)}, got {sorted(obs['cases'])}")
    for name, case in obs["cases"].items():
        want = expected_report(cases[name], tolerances)
        for key in ("logits", "loss", "grads"):
            got = case["report"][key]
            message = num.non_finite_message(
                f"parity_report's {key!r}", got, "comparing three known results", verb="is"
            )
            if message:
                return failed(message)
            if not num.close(got, want[key], atol=1e-12, rtol=1e-3):
                return failed(
                    f"parity_report's {key!r} should be the largest absolute difference between "
                    f"any two of the three results ({want[key]:.3g} here), got {got}"
                    + _PAIRS_HINT
                    * _against_first(got, cases[name], key)
                )
        if case["ok"] is not want["ok"]:
            return failed(
                f"parity_report's 'ok' should be {want['ok']} when the differences are "
                f"{ {k: f'{want[k]:.1e}' for k in ('logits', 'loss', 'grads')} } and the "
                f"tolerances {tolerances}"
            )
        for label, scale in nets.PARITY_SCALES.items():
            given = nets.scaled_tolerances(tolerances, scale)
            expected = expected_report(cases[name], given)["ok"]
            if case[f"ok_{label}"] is not expected:
                return failed(
                    f"parity_report's 'ok' should be {expected} with the tolerances {given} "
                    f"(differences { {k: f'{want[k]:.1e}' for k in ('logits', 'loss', 'grads')} }"
                    f"), got {case[f'ok_{label}']}: the tolerances argument is ignored (a "
                    "constant or the module's PARITY_TOLERANCES instead of the tolerances given)"
                )
    return passed()


# -- accumulation ------------------------------------------------------------------------------


def accumulation_problem(
    seed: int, k: int, micro: int, windows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The inputs, labels and starting weight and bias the accumulation probes drew."""
    return nets.accumulation_problem(np.random.default_rng(seed), windows * k * micro)


def replay(
    problem: tuple[np.ndarray, ...], k: int, micro: int, lr: float, variant: str
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """SGD on the linear model, micro-batch by micro-batch, done right or with one mistake:
    ``undivided`` (loss not divided by k), ``every_step`` (step + zero after each micro-batch),
    ``zero_each`` (zeroed after each micro-batch, stepped every k), ``never_zeroed``."""
    x, y, w0, b0 = problem
    x = x.astype(np.float64)
    w, b = w0.astype(np.float64).copy(), b0.astype(np.float64).copy()
    gw, gb = np.zeros_like(w), np.zeros_like(b)
    losses = []
    scale = 1.0 if variant == "undivided" else 1.0 / k
    for i, start in enumerate(range(0, len(x), micro), start=1):
        xb, yb = x[start : start + micro], y[start : start + micro]
        logits = xb @ w.T + b
        losses.append(cross_entropy(logits, yb))
        g = ce_grad(logits, yb) * scale
        if variant == "zero_each":
            gw, gb = np.zeros_like(w), np.zeros_like(b)
        gw, gb = gw + g.T @ xb, gb + g.sum(axis=0)
        if variant == "every_step" or i % k == 0:
            w, b = w - lr * gw, b - lr * gb
            if variant != "never_zeroed":
                gw, gb = np.zeros_like(w), np.zeros_like(b)
    return w, b, losses


_ACCUMULATION_MISTAKES = {
    "undivided": (
        "the micro-batch losses were not divided by k before backward: the accumulated gradient "
        "is k times the big batch's (the gradient of a mean over k*m samples is the mean of the "
        "k micro-batch gradients), so the update is k times too large"
    ),
    "every_step": (
        "the optimizer stepped on every micro-batch: accumulation means one step (and one "
        "zeroing) every k micro-batches, with the gradients added up in between"
    ),
    "zero_each": (
        "the gradients were zeroed after every micro-batch, so each step used only the last "
        "micro-batch: zero only after each step, every k micro-batches"
    ),
    "never_zeroed": (
        "the gradients were not zeroed after a step, so the next k micro-batches added to the "
        "old ones: zero after every step"
    ),
}


def accumulation(
    obs: dict[str, Any], seed: int, k: int, micro: int, lr: float, windows: int
) -> Verdict:
    def matches(w: np.ndarray, b: np.ndarray) -> bool:
        return _close(obs["w"], w, 1e-5) and _close(obs["b"], b, 1e-5)

    doing = "accumulating gradients on a linear model with known weights"
    for what, value in (
        ("the model's weight after training", obs["w"]),
        ("the model's bias after training", obs["b"]),
    ):
        if message := num.non_finite_message(what, value, doing, verb="is"):
            return failed(message)
    problem = accumulation_problem(seed, k, micro, windows)
    w, b, losses = replay(problem, k, micro, lr, "correct")
    if matches(w, b):
        mean_loss = float(np.mean(losses))
        if message := num.non_finite_message("the returned mean loss", obs["loss"], doing, "is"):
            return failed(f"the updates are right, but {message}", 0.5)
        if not num.close(obs["loss"], mean_loss, atol=1e-4 * max(1.0, mean_loss)):
            return failed(
                f"the updates are right, but the return value should be the mean of the "
                f"micro-batch losses, undivided ({mean_loss:.5f}), got {obs['loss']}",
                0.5,
            )
        return passed()
    for variant, message in _ACCUMULATION_MISTAKES.items():
        if matches(*replay(problem, k, micro, lr, variant)[:2]):
            return failed(message)
    if obs["steps"] != windows:
        return failed(
            f"{windows * k} micro-batches with k={k} should make {windows} optimizer steps, "
            f"made {obs['steps']}: step every k micro-batches"
        )
    return failed(
        f"after {windows * k} micro-batches of {micro} with k={k}, the parameters differ from "
        f"{windows} SGD steps on batches of {k * micro}"
    )


# -- placement ---------------------------------------------------------------------------------


def place_torch(obs: dict[str, Any], seed: int) -> Verdict:
    """Judged by the values: while grading, ``meta`` is an emulated device whose copies keep
    fewer mantissa bits (``instances.device_round``), so only a tensor or a parameter that was
    copied there holds the rounded values the grader computes from the seed."""
    rng = np.random.default_rng(seed)
    values = nets.place_values(rng)
    params = nets.place_module_values(rng)
    for label in ("device", "string"):
        given = 'torch.device("meta")' if label == "device" else '"meta"'
        tensor = obs[f"tensor_{label}"]
        if tensor.get("kind") != "tensor" or not num.close(
            tensor.get("values"), inst.device_round(values)
        ):
            where = "cpu" if num.close(tensor.get("values"), values) else tensor.get("device")
            return failed(
                f"place(tensor, {given}) returned a {tensor.get('type')} on {where}: for a "
                "tensor, .to(device) returns a *new* tensor on that device (return it), and the "
                'device must be the one given, never a hard-coded "cpu" or "cuda"' + _EMULATED
            )
        module = obs[f"module_{label}"]
        placed = module["values"]
        if len(placed) != len(params) or not all(
            num.close(got, inst.device_round(want)) for got, want in zip(placed, params)
        ):
            left = sorted(
                set(module["devices"]) | ({"cpu"} if _any_close(placed, params) else set())
            )
            return failed(
                f"place(model, {given}) left parameters on {left}: move the module with "
                'module.to(device), with the device given (not a hard-coded "cpu"/"cuda")'
                + _EMULATED
            )
        if not module["returned_module"]:
            return failed("place(model, device) should return the module", 0.5)
    return passed()


_EMULATED = f" ({EMULATED_NOTE})"


def _any_close(got: list[Any], want: list[np.ndarray]) -> bool:
    return any(num.close(g, w) for g, w in zip(got, want))


def place_tf(obs: dict[str, Any], seed: int) -> Verdict:
    """The probe runs in a child of its own, which always has two logical CPUs."""
    values = nets.place_values(np.random.default_rng(seed))
    for target in ("/CPU:1", "/CPU:0"):
        out = obs[target]
        if out.get("kind") != "tensor" or not _close(out.get("values"), values):
            return failed(f"place(tensor, {target!r}) should return a tf tensor, same values")
        if not str(out.get("device", "")).endswith(target.strip("/")):
            return failed(
                f"place(tensor, {target!r}) returned a tensor on {out.get('device') or '?'}: "
                "a TensorFlow tensor lives where the op that made it ran, so make the copy (e.g. "
                "tf.identity) inside `with tf.device(device):` with the device given "
                "(tf.constant or tf.convert_to_tensor of an existing tensor run no op: they "
                "return it where it is)"
            )
    return passed()
