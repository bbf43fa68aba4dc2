"""Verdicts of the ``tf2`` assignment (grader side, numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.hidden.common import verdicts_data as data
from autograder.hidden.common import verdicts_model as mdl
from autograder.hidden.common import verdicts_report as rep
from autograder.probes.common import instances as inst

SGD_LR = 0.5  # must match probes_train.SGD_LR

# -- data -------------------------------------------------------------------------------------


def preprocess_channels_last(obs: dict[str, Any], seed: int) -> Verdict:
    for name, images, mean, std in (
        ("grey", inst.grey_images(seed), inst.GREY_MEAN, inst.GREY_STD),
        ("colour", inst.colour_images(seed), inst.COLOUR_MEAN, inst.COLOUR_STD),
    ):
        got = data.preprocess_case(obs, name)
        x01 = images.astype(np.float32) / 255.0
        if x01.ndim == 3:
            x01 = x01[..., None]  # (N, H, W) -> (N, H, W, 1)
        expected = (x01 - mean) / std  # (N, H, W, C)
        n, h, w, c = expected.shape
        shape = tuple(got["x"].get("shape", ()))
        if shape == (n, c, h, w) and c != h:
            return failed(
                f"{name} images came out as {shape}, that is NCHW: Keras layers default to channels "
                f"last, (N, H, W, C) = {(n, h, w, c)}. NCHW data in a channels-last model convolves "
                "over the wrong axes (and runs silently whenever the sizes happen to fit)."
            )
        if shape == (n, h, w) and c == 1:
            return failed(
                f"grey images (N, H, W) came out as {shape}: add a trailing channel axis, (N, H, W, 1)"
            )
        if shape != (n, h, w, c):
            return failed(
                f"{name} images of shape {images.shape} should become (N, H, W, C) = {(n, h, w, c)}, got {shape}"
            )
        message = num.non_finite_message(
            "`preprocess`", got["x_values"], f"preprocessing {name} images"
        )
        if message:
            return failed(message)
        if not num.close(got["x_values"], expected, atol=1e-4, rtol=1e-5):
            unscaled = (x01 * 255.0 - mean) / std
            if num.close(got["x_values"], unscaled, atol=1e-3, rtol=1e-5):
                return failed(
                    f"the {name} images were not scaled to [0, 1] before normalising: the mean "
                    "and std are on the [0, 1] scale, so divide by 255 first, (images / 255 - "
                    "mean) / std"
                )
            return failed(f"{name} values are not (images / 255 - mean) / std, channel by channel")
    return passed()


def preprocess_dtypes(obs: dict[str, Any], seed: int) -> Verdict:
    problems = []
    for name, images, mean, std in (
        ("grey", inst.grey_images(seed), inst.GREY_MEAN, inst.GREY_STD),
        ("colour", inst.colour_images(seed), inst.COLOUR_MEAN, inst.COLOUR_STD),
    ):
        got = data.preprocess_case(obs, name)
        x01 = images.astype(np.float32) / 255.0
        expected = ((x01[..., None] if x01.ndim == 3 else x01) - mean) / std
        labels = inst.labels(seed, len(images))
        problems += data.stored_dtype_problems(got, expected, labels)
    return failed("; ".join(dict.fromkeys(problems))) if problems else passed()


def datasets_train(obs: dict[str, Any], seed: int) -> Verdict:
    n, batch = inst.BATCHING["n_train"], inst.BATCHING["batch"]  # the grader's, not the reply's
    a1, a2, b1, c1 = (obs[k]["ids"] for k in ("a1", "a2", "b1", "c1"))
    if len(a1) > n or len(set(a1)) != len(a1) or len(a1) < n - batch + 1:
        return failed(
            f"one pass over the training dataset should yield each of the {n} samples once; got {len(a1)}"
        )
    if a1 == sorted(a1):
        return failed(
            "the training dataset is not shuffled: shuffle it (before batching) so batches differ every epoch"
        )
    blocks = [sorted(b) for b in obs["a1"]["batches"] + obs["a2"]["batches"]]
    if all(b == list(range(b[0], b[0] + len(b))) for b in blocks):
        return failed(
            "the training data are shuffled after batching: the same samples always travel together "
            "in one batch, only the order of batches changes. Call shuffle(...) before batch(...)."
        )
    if a1 == a2:
        return failed("every epoch sees the same order: let shuffle reshuffle each iteration", 0.5)
    if a1 != b1:
        return failed(
            "two datasets built with the same seed give different orders: pass seed= to shuffle",
            0.5,
        )
    if a1 == c1:
        return failed("a different seed gives the same order: the seed argument is ignored", 0.5)
    if obs["a1"]["sizes"][0] != batch:
        return failed(f"batches should hold batch_size={batch} samples, got {obs['a1']['sizes']}")
    return passed()


def datasets_test(obs: dict[str, Any], seed: int) -> Verdict:
    ids = obs["test"]["ids"]
    expected = inst.batching_test_ids(seed).tolist()  # the probe's test samples, in file order
    if sorted(ids) != sorted(expected):
        return failed(
            f"the test dataset should yield each of the {len(expected)} samples exactly once"
        )
    if ids != expected:
        return failed(
            "the test dataset is shuffled: evaluation must not depend on the order, and predictions must line up with labels"
        )
    return passed()


# -- devices --------------------------------------------------------------------------------


def get_device_real(obs: dict[str, Any], seed: int) -> Verdict:
    want = "GPU" if obs["gpu_available"] else "CPU"
    if obs.get("placement_error"):
        return failed(
            f"running an op under tf.device(get_device()) with soft placement off failed "
            f"({obs['placement_error']}): get_device names a device this machine does not have. "
            "Is '/GPU:0' written literally? Ask tf.config.list_physical_devices('GPU')."
        )
    if obs["default"] != want:
        hint = (
            " Is '/GPU:0' written literally? Ask tf.config.list_physical_devices('GPU')."
            if obs["default"] == "GPU"
            else ""
        )
        return failed(
            f"{'a GPU is' if want == 'GPU' else 'no GPU is'} available, but get_device() gave {obs['default']}.{hint}"
        )
    if obs["no_gpu_wanted"] != "CPU":
        return failed("get_device(prefer_gpu=False) should be '/CPU:0'")
    return passed()


def get_device_pretend_gpu(obs: dict[str, Any], seed: int) -> Verdict:
    if obs["default"] != "GPU":
        return failed(
            "on a machine that reports a GPU, get_device() did not choose it: is '/CPU:0' hard-coded?"
        )
    if obs["no_gpu_wanted"] != "CPU":
        return failed("get_device(prefer_gpu=False) must be '/CPU:0' even where a GPU exists")
    return passed()


# -- loss and optimizer -----------------------------------------------------------------------


def loss_from_logits(obs: dict[str, Any], seed: int) -> Verdict:
    logits, targets = inst.classification(seed, 6, 5)
    value = obs["value"]
    if value is None:
        return failed(f"the loss should return a scalar, got {obs['returned'].get('type')}")
    message = num.non_finite_message(
        "the loss", value, "computing cross-entropy of known logits and targets"
    )
    if message:
        return failed(message)
    if num.close(value, num.cross_entropy(logits, targets), atol=1e-4):
        return passed()
    if obs["config"].get("from_logits") is False:
        return failed(
            "the loss expects probabilities (from_logits=False) but the model outputs logits: Keras "
            "clips them into [1e-7, 1] and the loss is meaningless. Use from_logits=True."
        )
    if num.close(value, num.cross_entropy(num.softmax(logits), targets), atol=1e-4):
        return failed(
            "the loss applies a softmax to logits before a from_logits cross-entropy: scores squashed twice"
        )
    return failed(
        f"for known logits the loss is not the mean cross-entropy (got {value:.4f}); check from_logits and the (y_true, y_pred) order"
    )


def optimizer_updates(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs.get("is_optimizer") or "a" not in obs:
        return failed(
            f"make_optimizer should return a keras.optimizers.Optimizer, got {obs.get('returned', {}).get('type')}"
        )
    if message := mdl.steps_descend(obs, mdl.variable_gradient(seed)):
        return failed(message)
    return passed()


# -- metric -----------------------------------------------------------------------------------


def make_metrics(obs: dict[str, Any], seed: int) -> Verdict:
    if not {"loss", "accuracy"} <= set(obs["keys"]):
        return failed(
            f"make_metrics should return a dict with 'loss' and 'accuracy', got keys {obs['keys']}"
        )
    if not obs["are_metrics"]:
        return failed(f"make_metrics' values should be keras.metrics objects, got {obs['types']}")
    accuracy_type = obs["types"].get("accuracy")
    sparse = (
        ""
        if accuracy_type == "SparseCategoricalAccuracy"
        else f" The accuracy metric is a {accuracy_type}: with integer labels and one logit per "
        "class it should be keras.metrics.SparseCategoricalAccuracy()."
    )
    if error := obs.get("update_error"):
        return failed(
            f"make_metrics' metrics raised {error.get('type')} when updated with a batch of "
            f"integer labels and logits: {str(error.get('message', ''))[:160]}.{sparse}"
        )
    losses, labels, logits = inst.metric_inputs(seed)
    mean, accuracy = (
        float(losses.astype(np.float64).mean()),
        float((logits.argmax(1) == labels).mean()),
    )
    if not num.close(obs.get("loss_result"), mean, rtol=1e-5):
        return failed(
            f"make_metrics()['loss'] fed 7 losses gave {obs.get('loss_result')}, not their mean "
            f"{mean:.5f}: it should be keras.metrics.Mean() (a running mean over updates)"
        )
    if not num.close(obs.get("accuracy_result"), accuracy, atol=1e-6):
        return failed(
            f"make_metrics()['accuracy'] fed labels and logits gave {obs.get('accuracy_result')}, "
            f"not the share of rows whose argmax is the label ({accuracy:.4f}): it should be "
            "keras.metrics.SparseCategoricalAccuracy() (integer labels, one score per class; "
            "Accuracy() compares the labels with the raw outputs)"
        )
    return passed()


def _linear(seed: int, n: int | None = None, shift: int = 0, gain: float = 1.0):  # noqa: ANN202
    """Logits of the probes' spy model (``gain``: ``instances.TRAINING_GAIN`` when it was called
    with ``training=True``) and the labels."""
    x, y, weight, bias = inst.linear_problem(seed)
    if n is not None:
        x, y = x[:n], (y[:n] + shift) % 4
    logits = gain * (x.reshape(len(x), -1).astype(np.float64) @ weight.T + bias)
    return logits, y


def _means(seed: int, gain: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """``num.evaluation_means`` of the spy's logits with ``gain``, batches of 5."""
    logits, y = _linear(seed, gain=gain)
    return num.evaluation_means(logits, y, 5)


_MODES = {False: 1.0, True: inst.TRAINING_GAIN}
"""The spy's logit gain by whether it was called with ``training=True``."""


def evaluate_values(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs.get("is_dict") or obs["loss"] is None or obs["accuracy"] is None:
        return failed(
            f"evaluate should return {{'loss': float, 'accuracy': float}}, got keys {obs.get('keys')}"
        )
    message = num.first_non_finite(
        {k: obs[k] for k in ("loss", "accuracy")},
        "`evaluate`'s",
        "evaluating a model with known outputs",
    )
    if message:
        return failed(message)
    # the mode evaluate calls the model in is evaluate_training_false's to judge: either here
    means = [_means(seed, gain) for gain in _MODES.values()]
    (_, accuracy), _ = means[0]  # a positive gain changes no argmax
    if not num.close(obs["accuracy"], accuracy, atol=1e-5):
        (_, batch_accuracy) = means[0][1]
        if not num.close(batch_accuracy, accuracy, atol=1e-5) and num.close(
            obs["accuracy"], batch_accuracy, atol=1e-5
        ):
            return failed(
                "evaluate's accuracy is the mean of per-batch accuracies: with batches of 5, 5 and "
                "2 samples, the 2 samples of the last batch count as much as 5. Count the correct "
                "samples over the whole dataset (SparseCategoricalAccuracy accumulates them when "
                "it is updated every batch and read once at the end)."
            )
        return failed(
            f"evaluate's accuracy is off for a model with known outputs (got {obs['accuracy']:.4f})"
        )
    losses = [loss for exact, of_batches in means for loss in (exact[0], of_batches[0])]
    if not num.close_to_any(obs["loss"], losses, atol=1e-4):
        return failed(
            f"evaluate's loss is off for a model with known outputs (got {obs['loss']:.4f})"
        )
    return passed()


def evaluate_resets_metrics(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs.get("is_dict") or obs["second_accuracy"] is None:
        return failed("evaluate should return {'loss', 'accuracy'} every time it is called")
    message = num.non_finite_message(
        "`evaluate`'s second 'accuracy'", obs["second_accuracy"], "evaluating twice", verb="is"
    )
    if message:
        return failed(message)
    logits, y = _linear(seed, 7, 1)
    if num.close(obs["second_accuracy"], (logits.argmax(1) == y).mean(), atol=1e-5):
        return passed()
    all_logits, all_y = _linear(seed)
    combined = np.concatenate([(all_logits.argmax(1) == all_y), (logits.argmax(1) == y)]).mean()
    if num.close(obs["second_accuracy"], combined, atol=1e-5):
        return failed(
            "the second evaluation still counts the first one: Keras metrics keep their state until "
            "reset_state() (TensorFlow's counterpart of forgetting zero_grad). Reset them at the start "
            "of evaluate."
        )
    return failed(
        f"a second evaluation on other data gave accuracy {obs['second_accuracy']:.4f}, which is not that data's"
    )


def evaluate_inference(obs: dict[str, Any], seed: int) -> Verdict:
    """One batch; the spy's logits carry a gain when called with training=True, so the returned
    loss (a mean, a sum, or a sum of batch means over the count) shows the mode; a loss of
    neither mode gives nothing."""
    n = len(inst.linear_problem(seed)[1])
    for training, gain in _MODES.items():
        (loss, _), _ = _means(seed, gain)
        if obs.get("is_dict") and num.close_to_any(
            obs.get("loss"), (loss, loss * n, loss / n), atol=1e-5
        ):
            if training:
                return failed(
                    "evaluate calls the model with training=True: dropout stays on and batch norm "
                    "updates its statistics with test data (this check's model computes "
                    "differently in training mode, and the loss shows it)"
                )
            return passed()
    return failed(
        f"evaluate's loss ({obs.get('loss')}) is not the loss of the model's outputs on one "
        "batch in either mode, so how it calls the model cannot be told: fix the loss "
        "evaluate_values reports first"
    )


# -- train ------------------------------------------------------------------------------------


def _replay(seed: int, variant: str, gain: float) -> tuple:
    x, y, weight, bias = inst.linear_problem(seed)
    return num.sgd_epoch(x, y, weight, bias, SGD_LR, 5, variant, gain)


def _trained_mode(obs: dict[str, Any], seed: int) -> bool | None:
    """Whether the three steps called the model with training=True, read from the weights after
    them (the spy's training gain changes every step), or None when they match neither mode."""
    w, b = np.asarray(obs["weight"], float), np.asarray(obs["bias"], float)
    for training, gain in _MODES.items():
        want_w, want_b, _, _ = _replay(seed, "correct", gain)
        if num.close(w, want_w, atol=1e-4, rtol=1e-5) and num.close(
            b, want_b, atol=1e-4, rtol=1e-5
        ):
            return training
    return None


def train_step_gradients(obs: dict[str, Any], seed: int) -> Verdict:
    w, b = np.asarray(obs["weight"], float), np.asarray(obs["bias"], float)
    for name, values in (("weight", w), ("bias", b)):
        message = num.non_finite_message(
            f"the model's {name} after three `train_step` calls",
            values,
            "training a linear model with known weights",
            verb="is",
        )
        if message:
            return failed(message)
    if _trained_mode(obs, seed) is not None:  # the mode is train_step_training_true's to judge
        return passed()
    _, _, weight, bias = inst.linear_problem(seed)
    if num.close(w, weight, atol=1e-6, rtol=1e-5) and num.close(b, bias, atol=1e-6, rtol=1e-5):
        return failed(
            "three train_step calls left the weights unchanged: the gradients were None or never "
            "applied. Is the forward pass inside the `with tf.GradientTape()` block?"
        )
    return failed(
        "after three steps the weights are not those of one optimizer step per batch with the tape's gradients"
    )


def _first_step_mode(obs: dict[str, Any], seed: int) -> bool | None:
    """Whether the first train_step called the model with training=True, from the loss it
    returned (computed before its update, so however the gradients were applied)."""
    x, y, weight, bias = inst.linear_problem(seed)
    for training, gain in _MODES.items():
        logits = gain * (x[:5].reshape(5, -1).astype(np.float64) @ weight.T + bias)
        loss = num.cross_entropy(logits, y[:5])
        if obs["losses"] and num.close_to_any(obs["losses"][0], (loss, loss * 5), atol=1e-5):
            return training
    return None


def train_step_training_flag(obs: dict[str, Any], seed: int) -> Verdict:
    """The spy's logits carry a gain only with training=True, so the first step's loss (or, when
    it returns no loss, the weights after the steps) shows the mode the model was called in."""
    training = _first_step_mode(obs, seed)
    if training is None:
        training = _trained_mode(obs, seed)
    if training is None:
        return failed(
            "neither the loss train_step returned nor the weights after three steps are those "
            "of the model called with or without training=True, so the mode cannot be told: fix "
            "what train_step_gradients reports first"
        )
    if not training:
        return failed(
            "train_step calls the model without training=True, so dropout and batch norm behave "
            "as at test time while training: pass training=True in the forward pass (this "
            "check's model computes differently in training mode)"
        )
    return passed()


def _trace_losses(seed: int, traces: tuple[int, ...], mode_gain: float) -> list[float]:
    """The losses of three train_step calls (lr 0) on the seed's first 5 samples when call i
    ran the spy's graph number ``traces[i]`` (0: eagerly; ``instances.trace_gain``)."""
    x, y, weight, bias = inst.linear_problem(seed)
    logits = x[:5].reshape(5, -1).astype(np.float64) @ weight.T.astype(np.float64) + bias
    return [num.cross_entropy(mode_gain * inst.trace_gain(t) * logits, y[:5]) for t in traces]


_GRAPHS = range(1, 9)
"""Graph numbers a trace may bake in: Keras may build a scratch graph or two of its own while
one tf.function traces, so one trace is "the same graph number for every call"."""


def train_step_traced_once(obs: dict[str, Any], seed: int) -> Verdict:
    """Three same-shape calls on a spy whose logits carry a gain set when its Python code runs
    in a graph (a new one per graph it is traced into; 1 when eager): the losses, recomputed
    here, show one trace (one gain for all three), eager runs (gain 1) or retraces (a new gain
    per call). Whether ``training=True`` was passed is another test's: both modes are tried."""
    got = obs.get("trace_losses") or [None]
    if any(value is None for value in got):
        return failed(
            "train_step did not return the batch's loss as a number or scalar tensor, so its "
            "traces could not be counted"
        )
    patterns = {
        "once": [(k, k, k) for k in _GRAPHS],
        "eagerly": [(0, 0, 0)],
        "every call": [(k, k + d, k + 2 * d) for k in _GRAPHS for d in (1, 2, 3)],
    }
    found = None
    for mode_gain in (inst.TRAINING_GAIN, 1.0):
        for how, candidates in patterns.items():
            for traces in candidates:
                expected = _trace_losses(seed, traces, mode_gain)
                if num.close(got, expected, atol=1e-5, rtol=1e-5):
                    found = found or how
    if found == "once":
        return passed()
    if found == "eagerly":
        return failed(
            "train_step runs eagerly: decorate it with @tf.function so it is traced into a graph once"
        )
    if found == "every call":
        return failed(
            "3 calls with one batch shape traced train_step 3 times: it retraces (a new "
            "tf.function per call, a Python number as an argument, or a changing signature?). "
            "Each trace reruns Python and rebuilds the graph."
        )
    return failed(
        "3 calls of train_step with one batch shape did not all run one trace of it (the losses "
        "it returned show calls run by other traces, or logits it did not compute with the "
        "model it was given)"
    )


def variable_error_hint(info: dict[str, Any]) -> str | None:
    message = str(info.get("message", ""))
    if "No gradients provided" in message:
        return "the forward pass ran outside the GradientTape, so the tape recorded nothing (gradients are None)"
    if "singleton tf.Variables" in message or "Creating variables on a non-first call" in message:
        return "variables are created inside tf.function: create models, optimizers and variables outside the step"
    return None


FIT_MAX_TRACES = 10
"""Traces of a ``tf.function`` that fit makes around ``train_step`` allowed in 3 epochs: one per
epoch and input shape (the last batch is smaller), with room; one per step is far more."""


def fit_history(obs: dict[str, Any], seed: int) -> Verdict:
    """The shared history check, after fit's own graph traces: a ``tf.function`` made around
    ``train_step`` for every step retraces every step."""
    steps = sum(len(epoch) for epoch in obs["steps"])
    if obs["traces"] > FIT_MAX_TRACES:
        return failed(
            f"fit traced train_step {obs['traces']} times in {steps} steps: a new tf.function is "
            "made around it at every step, so it retraces every step (make the tf.function once, "
            "outside the loop, or decorate train_step itself)"
        )
    return rep.fit_history(obs, seed, split="dataset")


def fit_resets_train_loss(obs: dict[str, Any], seed: int) -> Verdict:
    entries, steps = obs["entries"] or [], obs["steps"]
    if len(entries) != 3 or len(steps) < 3 or any(e.get("train_loss") is None for e in entries):
        return failed("fit should return one history entry with a numeric train_loss per epoch")
    if any(not epoch for epoch in steps[:3]):
        return failed("fit ran no train_step in some epoch: every epoch trains on every batch")
    message = rep.train_loss_problem(entries, steps)
    return failed(message) if message else passed()


def fit_keras_learns(obs: dict[str, Any], seed: int) -> Verdict:
    if len(obs["entries"]) != 4:
        return failed(
            f"fit_keras(..., epochs=4) should return 4 history entries, got {len(obs['entries'])}"
        )
    if any(set(e) != {"epoch", "train_loss", "test_loss", "test_accuracy"} for e in obs["entries"]):
        return failed(
            "fit_keras' history entries should have epoch, train_loss, test_loss, test_accuracy"
        )
    lr = inst.FIT_KERAS_LR
    asked, compiled = obs.get("lrs_asked") or [], obs.get("optimizer_lr")
    if not any(num.close(a, lr, rtol=1e-6) for a in asked) and not num.close(
        compiled, lr, rtol=1e-6
    ):
        got = f"make_optimizer({asked[0]:g})" if asked and asked[0] is not None else None
        got = got or (
            f"an optimizer with learning rate {compiled:g}" if compiled else "no optimizer"
        )
        return failed(
            f"fit_keras(..., lr={lr:g}) compiled {got}: the lr argument is ignored; pass it on "
            "(make_optimizer(lr)), so the rate asked for is the one used"
        )
    accuracy = rep.mlp_accuracy(obs["weights"], seed)  # the grader's, from the weights after fit
    if accuracy is None:
        return failed("the trusted model's weights after fit_keras do not have its layers' shapes")
    message = num.non_finite_message(
        "the test accuracy after `fit_keras`",
        accuracy,
        "training a known-good model for 4 epochs",
        verb="is",
    )
    if message:
        return failed(message)
    if not num.at_least(accuracy, 0.85):
        return failed(
            f"after model.compile + model.fit for 4 epochs the model reached only {accuracy:.1%} on the digits"
        )
    return passed()
