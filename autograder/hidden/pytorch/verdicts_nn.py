"""Verdicts for the ``model``, ``loss_opt`` and ``metric`` steps (grader side, numpy only)."""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.hidden.common import verdicts_model as mdl
from autograder.hidden.pytorch.verdicts_loop import EMULATED_NOTE, foreign_target
from autograder.probes.common import instances as inst

# -- devices ----------------------------------------------------------------------------------

_EMULATED = f" ({EMULATED_NOTE})"


def get_device_real(obs: dict[str, Any], seed: int) -> Verdict:
    want = "cuda" if obs["cuda_available"] else "cpu"
    if obs["default"] != want:
        situation = "a GPU is available" if want == "cuda" else "no GPU is available"
        hint = (
            " Is 'cuda' hard-coded? Ask torch.cuda.is_available()."
            if obs["default"] == "cuda"
            else " Is 'cpu' hard-coded?"
        )
        return failed(
            f"{situation}, but get_device() gave {obs['default']!r} instead of {want!r}.{hint}"
        )
    if obs["no_gpu_wanted"] != "cpu":
        return failed(
            f"get_device(prefer_gpu=False) should give the CPU, got {obs['no_gpu_wanted']!r}"
        )
    return passed()


def get_device_pretend_gpu(obs: dict[str, Any], seed: int) -> Verdict:
    if obs["default"] != "cuda":
        return failed(
            f"on a machine with a GPU, get_device() returned {obs['default']!r}: is 'cpu' hard-coded? "
            "The same notebook must use the GPU where there is one (torch.cuda.is_available())."
        )
    if obs["no_gpu_wanted"] != "cpu":
        return failed("get_device(prefer_gpu=False) must give the CPU even where a GPU exists")
    return passed()


_NESTED_FLOATS = ("obj['images']", "obj['pair'][0]")
"""Paths of the to_device probe's float leaves (``instances.nested_values``), in order."""


def to_device(obs: dict[str, Any], seed: int) -> Verdict:
    target = obs["target"]
    if problem := foreign_target(target, "to_device"):
        return failed(problem)
    before = {e["path"]: e for e in obs["before"]}
    after = {e["path"]: e for e in obs["after"]}
    leaves = dict(zip((*_NESTED_FLOATS, "single"), inst.nested_values(seed), strict=True))
    got_single = obs["single_values"] if target == "meta" else None
    if obs["single"].split(":")[0] != target or (
        target == "meta" and not num.close(got_single, inst.device_round(leaves["single"]))
    ):
        still = "cpu" if num.close(got_single, leaves["single"]) else obs["single"]
        return failed(
            f"to_device(tensor, device) should return the tensor on {target!r}, got one on "
            f"{still!r}{_EMULATED if target == 'meta' else ''}"
        )
    if target == "meta":
        for path in _NESTED_FLOATS:
            values = after.get(path, {}).get("values")
            if not num.close(values, inst.device_round(leaves[path])):
                where = (
                    "cpu" if num.close(values, leaves[path]) else after.get(path, {}).get("device")
                )
                return failed(
                    f"{path} is still on {where!r}: nested tensors must be moved too{_EMULATED}"
                )
    if set(before) != set(after):
        return failed(
            "to_device changed the structure of nested containers (keys or lengths differ)"
        )
    for path, b in before.items():
        a = after[path]
        if a["type"] != b["type"]:
            return failed(
                f"{path} was a {b['type']} and came back as a {a['type']}: containers should keep their type"
            )
        if "device" in b and a.get("device") != target:
            return failed(
                f"{path} is still on {a.get('device')!r}: nested tensors must be moved too"
            )
        if "value" in b and a.get("value") != b["value"]:
            return failed(f"{path} is not a tensor and should be returned unchanged")
    return passed()


def _is_plain_cuda_device(node: ast.AST) -> bool:
    """``torch.device("cuda")`` / ``device("cuda")`` / ``"cuda"`` without an index."""
    if isinstance(node, ast.Constant) and node.value == "cuda":
        return True
    return (
        isinstance(node, ast.Call)
        and (
            getattr(node.func, "attr", None) == "device"
            or getattr(node.func, "id", None) == "device"
        )
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == "cuda"
    )


def device_comparison(code: str) -> Verdict:
    """Static check: a tensor's device is ``cuda:0``, so ``== torch.device("cuda")`` is never true."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return passed()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot) for op in node.ops):
            continue
        operands = [node.left, *node.comparators]
        device_side = any(isinstance(o, ast.Attribute) and o.attr == "device" for o in operands)
        if device_side and any(_is_plain_cuda_device(o) for o in operands):
            return failed(
                f"line {node.lineno} compares a device with torch.device('cuda'). A tensor on the "
                "GPU reports cuda:0, and torch.device('cuda:0') == torch.device('cuda') is False, "
                "so this test never succeeds on a GPU. Compare the type: x.device.type == 'cuda'."
            )
    return passed()


# -- model ------------------------------------------------------------------------------------


# -- loss and optimizer -----------------------------------------------------------------------


def loss_value(obs: dict[str, Any], seed: int) -> Verdict:
    logits, targets = inst.classification(seed, 6, 5)
    value = obs["value"]
    if value is None:
        return failed(
            f"the loss should return a scalar tensor, got {obs['returned'].get('type')} {obs['returned'].get('shape', '')}"
        )
    message = num.non_finite_message(
        "the loss", value, "computing cross-entropy of known logits and targets"
    )
    if message:
        return failed(message)
    expected = num.cross_entropy(logits, targets)
    if num.close(value, expected, atol=1e-4):
        if obs["grad"] is None:
            return failed(
                "the loss value is right but carries no gradient: compute it with torch operations",
                0.5,
            )
        message = num.non_finite_message(
            "the loss's gradient", obs["grad"], "differentiating the loss", verb="is"
        )
        if message:
            return failed(message, 0.5)
        if not num.close(obs["grad"], num.ce_grad(logits, targets), atol=1e-5, rtol=1e-5):
            return failed(
                "the loss value is right but its gradient is not that of the mean cross-entropy",
                0.5,
            )
        return passed()
    if num.close(value, num.cross_entropy(num.softmax(logits), targets), atol=1e-4):
        return failed(
            "the loss applies a softmax before cross-entropy: CrossEntropyLoss already includes "
            "log-softmax, so the scores are squashed twice and gradients become tiny."
        )
    if num.close(value, num.cross_entropy(logits, targets, "sum"), atol=1e-3):
        return failed(
            "the loss is the sum over the batch, not the mean: the step size then grows with the batch size"
        )
    nll = float(-logits[np.arange(len(targets)), targets].mean())
    if num.close(value, nll, atol=1e-4):
        if obs.get("model_log_probs"):
            return passed(
                "NLLLoss after a model that ends in log_softmax: the same as cross-entropy on logits"
            )
        return failed(
            "NLLLoss on raw logits is not cross-entropy: NLLLoss expects log-probabilities, and "
            "your model does not end in log_softmax. Use CrossEntropyLoss on logits."
        )
    return failed(
        f"for the test logits, the mean cross-entropy is not what the loss returned (got {value:.4f})"
    )


def optimizer_params(obs: dict[str, Any], seed: int) -> Verdict:
    """The step must move every parameter of the model against the gradient the grader
    computes for it (weights and batch come from the seed); the counts only word the message."""
    if not obs.get("is_optimizer") or "a" not in obs:
        return failed(
            f"make_optimizer should return a torch.optim.Optimizer, got {obs.get('returned', {}).get('type')}"
        )
    run = obs["a"]
    if run.get("n_shared") == 0:
        return failed(
            "the optimizer holds none of the given model's parameters: it updates some other "
            "model's weights (a new build_model() inside make_optimizer?) and yours never change"
        )
    if run.get("n_shared") is not None and run["n_shared"] < (run.get("n_model") or 0):
        return failed(
            f"the optimizer updates only {run['n_shared']} of the model's {run['n_model']} parameter tensors"
        )
    if message := mdl.steps_descend(obs, mdl.net_gradient(seed)):
        return failed(message)
    return passed()


# -- metric -----------------------------------------------------------------------------------


def accuracy_value(obs: dict[str, Any], seed: int) -> Verdict:
    batch_axis = (
        "the arg-max is taken over the batch axis (dim=0): that picks, for each class, the sample "
        "with the highest score. Predictions are the arg-max over classes (dim=1)."
    )
    for name, (n, k) in (("square", (6, 6)), ("wide", (7, 5))):
        got = obs[name]
        logits, targets = inst.classification(seed, n, k, salt=10 + k)
        if "error" in got:
            error = got["error"]
            if error["kind"] == "not_implemented":
                return failed("`accuracy` is not implemented yet (it raises NotImplementedError)")
            shape_clash = "size of tensor" in error["message"] or "shape" in error["message"]
            if shape_clash and n != k:
                return failed(
                    f"for {n} samples and {k} classes accuracy raised a shape error: {batch_axis}"
                )
            return failed(f"accuracy raised {error['type']}: {error['message'][:160]}")
        expected = float((logits.argmax(axis=1) == targets).mean())
        value = got["value"]
        if value is None:
            return failed(
                f"accuracy should return a float, got {got['returned'].get('type')} {got['returned'].get('shape', '')}"
            )
        message = num.non_finite_message(
            "`accuracy`", value, f"computing the accuracy of {n}x{k} known logits"
        )
        if message:
            return failed(message)
        if not num.close(value, expected, atol=1e-6):
            by_batch_axis = float((logits.argmax(axis=0) == targets).mean())
            if n == k and num.close(value, by_batch_axis, atol=1e-6):
                return failed(batch_axis)
            if num.close(value, expected * n, atol=1e-6):
                return failed(
                    "accuracy returned the number of correct predictions, not the fraction"
                )
            return failed(f"accuracy of {n}x{k} logits is off (got {value:.4f})")
        if got["returned"].get("kind") == "tensor":
            return failed(
                "accuracy returned a tensor; the contract is a Python float (use .item())", 0.5
            )
    return passed()


def evaluate_values(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs.get("is_dict"):
        return failed(
            f"evaluate should return a dict {{'loss', 'accuracy'}}, got {obs.get('returned', {}).get('type')}"
        )
    if obs["loss"] is None or obs["accuracy"] is None:
        return failed(
            f"evaluate's dict should hold float 'loss' and 'accuracy', got keys {obs['keys']}"
        )
    message = num.first_non_finite(
        {k: obs[k] for k in ("loss", "accuracy")},
        "`evaluate`'s",
        "evaluating a model with known outputs",
    )
    if message:
        return failed(message)
    # the modes evaluate ran the model in are the next two tests' to judge: any of them here
    by_gain = [_evaluation_means(seed, gain) for gain in _GAINS.values()]
    if any(
        num.close(obs["loss"], loss, atol=1e-4) and num.close(obs["accuracy"], acc, atol=1e-6)
        for (loss, acc), _ in by_gain
    ):
        return passed()
    if any(
        num.close(obs["loss"], loss_bm, atol=1e-4) or num.close(obs["accuracy"], acc_bm, atol=1e-6)
        for _, (loss_bm, acc_bm) in by_gain
    ):
        return failed(
            "evaluate averages the per-batch means: with batches of 5, 5 and 2 samples, the 2 samples "
            "of the last batch count as much as 5. Sum per-sample values (batch mean x batch size) "
            "and divide by the number of samples."
        )
    return failed(
        f"evaluate's numbers are off for a model with known outputs (loss {obs['loss']:.4f}, accuracy {obs['accuracy']:.4f})"
    )


_GAINS = {
    (training, grad): inst.spy_gain(training, grad)
    for training in (True, False)
    for grad in (True, False)
}
"""The spy model's logit gain for each (train mode, autograd on) it can be called in."""


def _evaluation_means(seed: int, gain: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """What evaluate should return for the probe's linear spy model, batches of 5 (and the
    means of batch means), when the model runs with logit ``gain``."""
    x, y, weight, bias = inst.linear_problem(seed)
    logits = gain * (x.reshape(len(x), -1).astype(np.float64) @ weight.T + bias)
    return num.evaluation_means(logits, y, 5)


def _evaluation_modes(obs: dict[str, Any], seed: int) -> tuple[bool, bool] | None:
    """(train mode, autograd on) of the spy's calls in the one-batch evaluation, read from the
    returned loss: the spy's logits carry a gain in each mode, and the loss (unlike the
    accuracy) shows it. With one batch, a mean, a sum, or a sum of batch means divided by the
    sample count are all recognised. None when the loss is none of those in any mode."""
    if not obs.get("is_dict") or obs.get("loss") is None:
        return None
    samples = len(inst.linear_problem(seed)[1])
    for modes, gain in _GAINS.items():
        (loss, _), _ = _evaluation_means(seed, gain)
        if num.close_to_any(obs["loss"], (loss, loss * samples, loss / samples), atol=1e-5):
            return modes
    return None


_NOT_AN_EVALUATION = (
    "evaluate's loss ({loss}) is not the mean loss of the model's outputs on the loader in any "
    "mode, so how it ran the model cannot be told (this check's model computes differently in "
    "train and eval mode, and with and without autograd): fix the loss evaluate_exact_means "
    "reports first"
)


def evaluate_eval_mode(obs: dict[str, Any], seed: int) -> Verdict:
    modes = _evaluation_modes(obs, seed)
    if modes is None:
        return failed(_NOT_AN_EVALUATION.format(loss=obs.get("loss")))
    if modes[0]:
        return failed(
            "evaluate ran the model in training mode: dropout stays on and batch norm updates its "
            "statistics with test data (this check's model computes differently in the two "
            "modes, and the loss shows train mode). Call model.eval() before evaluating."
        )
    return passed()


def evaluate_no_grad(obs: dict[str, Any], seed: int) -> Verdict:
    modes = _evaluation_modes(obs, seed)
    if modes is None:
        return failed(_NOT_AN_EVALUATION.format(loss=obs.get("loss")))
    if modes[1]:
        return failed(
            "evaluate records a graph for every batch: wrap the loop in torch.no_grad() (or "
            "torch.inference_mode()); without it evaluation is slower and keeps memory for "
            "nothing (this check's model computes differently while autograd records)."
        )
    return passed()
