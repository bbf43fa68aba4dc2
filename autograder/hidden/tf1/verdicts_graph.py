"""Verdicts of the ``tf1`` assignment (grader side, numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.hidden.common import verdicts_report as rep
from autograder.hidden.common.verdicts_model import rows_again_problem
from autograder.probes.common import instances as inst


def graph_is_own_and_complete(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs["is_graph"]:
        return failed("handles['graph'] should be the tf.Graph the model was built in")
    if not obs["separate_graphs"] or obs["is_default_graph"]:
        clash = obs.get("second_error")
        detail = (
            f" (building a second one raised {clash['type']}: {clash['message'][:120]})"
            if clash
            else ""
        )
        return failed(
            "build_graph adds to the default graph: a second model lands beside the first, sharing "
            f"names and variables{detail}. Create a new tf.Graph() and build inside "
            "`with graph.as_default():`."
        )
    return passed()


BATCHES = ("1", "5", "13", "26")
"""The runs the model tests judge: sizes 1, 5, 13, and the 13 images again, each twice (26)."""


def _runs_broken(obs: dict[str, Any]) -> list[str]:
    broken = []
    for n in BATCHES:
        run = obs["runs"][n]
        if "error" in run:
            broken.append(f"N={n}: {run['error']['type']}: {run['error']['message'][:100]}")
        elif np.shape(run["logits"]) != (int(n), 7):
            broken.append(f"N={n}: logits {list(np.shape(run['logits']))}")
    return broken


def _rows_again(obs: dict[str, Any], seed: int) -> str | None:
    """Why the fed batches' logits are not what a graph computes from its feeds
    (``verdicts_model.rows_again_problem``), or None."""
    return rows_again_problem(
        obs["runs"]["13"]["logits"],
        obs["runs"]["26"]["logits"],
        seed,
        ("the logits tensor", "running the graph on a batch", "is"),
        "the same 13 images, shuffled and each fed twice as a batch of 26 with training "
        "False, did not get their own logits again: the logits depend on the run or on the "
        "batch (dropout not behind the training placeholder, a variable the run changes, or "
        "a reshape that mixes the batch axis?)",
    )


def placeholders_any_batch(obs: dict[str, Any], seed: int) -> Verdict:
    """Points for feeds of 1, 5, 13 and 26 images (and labels) that the graph ran, with logits
    the grader ties together (``_rows_again``); the static shapes only word the failure."""
    x_shape, y_shape = obs["x_shape"], obs["y_shape"]
    if not x_shape or len(x_shape) != 4 or x_shape[1:] != [8, 8, 3]:
        return failed(
            f"the x placeholder should be (None, 8, 8, 3) for input_shape=(8, 8, 3), got {x_shape}"
        )
    if x_shape[0] is not None or (y_shape and y_shape[0] is not None):
        return failed(
            f"the placeholders have a fixed batch size (x {x_shape}, y {y_shape}): the graph then only "
            "accepts batches of exactly that size, and the last, smaller batch fails. Use None."
        )
    if broken := _runs_broken(obs):
        return failed(f"the graph does not run on batches of any size: {'; '.join(broken[:3])}")
    if message := _rows_again(obs, seed):
        return failed(message)
    return passed()


def logits_shape(obs: dict[str, Any], seed: int) -> Verdict:
    if broken := _runs_broken(obs):
        return failed(f"logits should be (N, 7) for any batch size N; got {'; '.join(broken[:3])}")
    if message := _rows_again(obs, seed):
        return failed(message)
    logits = np.asarray(obs["runs"]["13"]["logits"], float)
    if num.at_least(logits, 0) and num.close(logits.sum(axis=1), 1, atol=1e-4, rtol=1e-5):
        return failed(
            "the logits tensor holds probabilities (a softmax): the loss expects raw logits"
        )
    return _training_mode(obs["runs"]["training"]) or passed()


def _training_mode(run: dict[str, Any]) -> Verdict | None:
    """The same 13 images with ``training`` fed True (how the learner's training runs the
    graph): it must run and give finite (13, 7) logits and loss. None when it does."""
    if "error" in run:
        return failed(
            "with training fed True (as in training) the graph fails: "
            f"{run['error']['type']}: {run['error']['message'][:160]} (a broken branch behind "
            "the training placeholder: tf.cond's two branches must give the same shapes)"
        )
    logits = np.asarray(run["logits"], np.float64)
    if logits.shape != (13, 7):
        return failed(
            f"with training fed True the logits of 13 images are {list(logits.shape)}, not [13, 7]"
        )
    for what, values in (("the logits tensor", logits), ("the loss tensor", run["loss"])):
        if message := num.non_finite_message(
            what, values, "running the graph with training True", verb="is"
        ):
            return failed(message)
    return None


def loss_is_cross_entropy(obs: dict[str, Any], seed: int) -> Verdict:
    run = obs["runs"].get("fit", {})  # a batch the placeholders accept, even a fixed-size one
    if "error" in run:
        return failed("the graph could not be run on a batch (see the logits test)")
    logits, y = np.asarray(run["logits"], float), np.asarray(run["y"])
    doing = "running the graph on a batch"
    for what, value in (("the logits tensor", logits), ("the loss tensor", run["loss"])):
        if message := num.non_finite_message(what, value, doing, verb="is"):
            return failed(message)
    expected = num.cross_entropy(logits, y)
    if num.close(run["loss"], expected, atol=1e-4):
        if run["accuracy"] is None:
            error = run.get("accuracy_error") or {"type": "?", "message": ""}
            return failed(
                f"the accuracy tensor cannot be computed for a batch of {len(y)} (running it "
                f"raised {error['type']}). An argmax over axis 0 gives one index per class, "
                "not one per sample: take tf.argmax(logits, axis=1)",
                0.5,
            )
        if not num.close(run["accuracy"], float((logits.argmax(1) == y).mean()), atol=1e-6):
            return failed(
                "the accuracy tensor is not the fraction of arg-max predictions that match y", 0.5
            )
        return passed()
    if num.close(run["loss"], num.cross_entropy(logits, y, "sum"), atol=1e-3):
        return failed("the loss is summed over the batch, not averaged (reduce_mean)")
    return failed(
        f"the loss tensor is not the mean cross-entropy of the logits (got {run['loss']:.4f}, expected {expected:.4f})"
    )


def learning_rate_used(obs: dict[str, Any], seed: int) -> Verdict:
    """One step of the learner's ``train_op`` from the same values with each of the grader's
    learning rates: both descend the gradient, and the second is b/a times the first (the
    first step of every usual optimizer scales with lr). Behaviour: the architecture is the
    learner's, so the grader has no gradient of its own to compare with."""
    lrs = inst.OPTIMIZER_LRS
    for run in ("a", "b"):
        if "error" in obs[run]:
            info = obs[run]["error"]
            text = f"{info['type']}: {info['message']}"
            if "FailedPrecondition" in info["type"] or "uninitialized" in text.lower():
                return failed(
                    "train_op failed right after the graph's own init ran: init created before "
                    "the optimizer does not initialise the optimizer's variables (Adam's moments "
                    "and step counters). Create init = global_variables_initializer() last, "
                    f"after train_op (running it raised {info['type']})"
                )
            return failed(
                f"one run of train_op, right after the graph's own init, raised {info['type']} "
                "(does train_op minimise this graph's loss, with variables this init covers?)"
            )
    step_a, step_b = (np.asarray(obs[run]["step"], np.float64) for run in ("a", "b"))
    grad = np.asarray(obs["a"]["grad"], np.float64)
    if step_a.shape != step_b.shape or not num.close(obs["b"]["grad"], grad, rtol=1e-4, atol=1e-6):
        return failed(
            "the graphs built with two learning rates differ in their variables or gradients, "
            "although they were given the same values and the same batch"
        )
    for step in (step_a, step_b):
        if message := num.non_finite_message("train_op", step, "one step on known values"):
            return failed(message)
        if not np.any(step != 0):
            return failed(
                "one run of train_op changed no trainable variable: the op does not minimise "
                "the loss (or minimises another graph's)"
            )
        if not num.descends(step, grad):
            return failed(
                "train_op's step does not move the variables against the loss's gradient (a "
                "maximising step, or an op that minimises another loss?)"
            )
    ratio = lrs["b"] / lrs["a"]
    atol = 1e-6 + ratio * 5e-7  # float32 variables near 0.1: half an ulp, scaled by the ratio
    if not num.close(step_b, step_a * ratio, atol=atol, rtol=1e-3):
        constants = sorted({round(v, 6) for v in obs["a"]["lrs"]})[:5]
        return failed(
            f"from the same values and batch, the step of build_graph(lr={lrs['b']}) is not "
            f"{ratio:.3g}x the step of build_graph(lr={lrs['a']}): the lr argument is ignored "
            f"(a hard-coded learning rate? the graph's float constants: {constants})"
        )
    return passed()


def evaluate_values(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs.get("is_dict") or obs["loss"] is None or obs["accuracy"] is None:
        return failed("evaluate should return {'loss': float, 'accuracy': float}")
    message = num.first_non_finite(
        {k: obs[k] for k in ("loss", "accuracy")},
        "`evaluate`'s",
        "evaluating a model with known outputs",
    )
    if message:
        return failed(message)
    x, y, weight, bias = inst.linear_problem(seed)
    logits = x.reshape(len(x), -1).astype(np.float64) @ weight.T + bias
    losses = num.per_sample_cross_entropy(logits, y)
    correct = (logits.argmax(1) == y).astype(float)
    if num.close(obs["loss"], losses.mean(), atol=1e-4) and num.close(
        obs["accuracy"], correct.mean(), atol=1e-5
    ):
        return passed()
    slices = num.batches(len(y), 5)
    exact_loss = num.close(obs["loss"], losses.mean(), atol=1e-4)
    averaged_loss = num.close(obs["loss"], np.mean([losses[s].mean() for s in slices]), atol=1e-4)
    averaged_acc = num.close(
        obs["accuracy"], np.mean([correct[s].mean() for s in slices]), atol=1e-5
    )
    if averaged_loss or (averaged_acc and exact_loss):
        return failed(
            "evaluate averages per-batch means: with batches of 5, 5 and 2 the last 2 samples weigh as much as 5"
        )
    return failed(
        f"evaluate's numbers are off for a model with known outputs (loss {obs['loss']:.4f}, "
        f"accuracy {obs['accuracy']:.4f}; with training=False fed, exact means over the samples "
        f"give loss {losses.mean():.4f}, accuracy {correct.mean():.4f}): is training=True fed "
        "(dropout on), or are samples skipped?"
    )


def evaluate_runs_existing_graph(obs: dict[str, Any], seed: int) -> Verdict:
    """Judged on the second run, on a finalized copy of the graph: no operation can be added
    there, and the loss must be the one the grader computes for the graph with dropout off."""
    if not obs.get("is_dict"):
        return failed("evaluate should return {'loss': float, 'accuracy': float}")
    again = obs["finalized"]
    error = str(again.get("error") or "")
    if "finalized" in error.lower():
        return failed(
            "evaluate added operations to the graph (it raised on a finalized graph: "
            f"{error[:160]}): tf.* calls in evaluate create new nodes every time. Only "
            "session.run tensors that build_graph made."
        )
    if error:
        return failed(f"evaluate raised on a second, finalized copy of the graph: {error[:200]}")
    x, y, weight, bias = inst.linear_problem(seed)
    logits = x.reshape(len(x), -1).astype(np.float64) @ weight.T + bias
    (loss, _), _ = num.evaluation_means(logits, y, len(y))
    # one batch (the probe's second run): a mean, a sum, or a sum of batch means over the count
    if num.close_to_any(again.get("loss"), (loss, loss * len(y), loss / len(y)), atol=1e-4):
        return passed()
    return failed(
        f"on a finalized copy of the graph evaluate's loss ({again.get('loss')}) is not the "
        f"graph's loss on the data with dropout off (about {loss:.4f}): does evaluate feed "
        "training=True (dropout stays on while evaluating), or compute the loss outside the "
        "graph?"
    )


# -- train: replayed in numpy ------------------------------------------------------------------
# The probe's trusted graph is a linear model (no dropout) trained with Adam; it records the rows
# and labels fed to each step. The grader draws the same digits split and initial weights and
# replays Adam over those steps: the weights after training must be the replay's, so every
# property below rests on weights only correct training produces.

TRAIN_LR = 0.01  # must match probes_graph.TRAIN_LR
_ADAM = (0.9, 0.999, 1e-8)


_digits = rep.digits_split  # train then test rows, labels, training count


def _replay(
    run: dict[str, Any], seed: int, restart_at: tuple[int, ...] = (), gain: float = 1.0
) -> tuple[np.ndarray, np.ndarray] | None:
    """Adam (TF1's form) over the recorded steps from the probe's initial weights, restarting
    (weights and slots) before each step index in ``restart_at``, the logits scaled by ``gain``
    (the trusted graph's ``instances.TRAINING_GAIN`` when ``training`` is fed True); None for an
    unknown row."""
    x, _, _ = _digits(seed)
    w0 = np.random.default_rng(seed).normal(0, 0.01, size=(10, 64)).astype(np.float32).T
    params = [w0.astype(np.float64), np.zeros(10)]
    b1, b2, eps = _ADAM
    slots = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    t = 0
    for index, step in enumerate(run["steps"]):
        if index in restart_at:
            params = [w0.astype(np.float64), np.zeros(10)]
            slots, t = [[np.zeros_like(p), np.zeros_like(p)] for p in params], 0
        rows, labels = np.asarray(step["rows"]), np.asarray(step["labels"], np.int64)
        if len(rows) != len(labels) or not len(rows) or (rows < 0).any() or (rows >= len(x)).any():
            return None
        if (labels < 0).any() or (labels >= 10).any():
            return None
        xb = x[rows].astype(np.float64)
        g = gain * num.ce_grad(gain * (xb @ params[0] + params[1]), labels)
        t += 1
        lr_t = TRAIN_LR * np.sqrt(1 - b2**t) / (1 - b1**t)
        for p, (m, v), grad in zip(params, slots, (xb.T @ g, g.sum(0)), strict=True):
            m[...] = b1 * m + (1 - b1) * grad
            v[...] = b2 * v + (1 - b2) * grad * grad
            p -= lr_t * m / (np.sqrt(v) + eps)
    return params[0], params[1]


TRAIN_BATCH = 32  # must match the batch size probes_graph.train gives train()


def _schedule_problem(run: dict[str, Any], epochs: int, n_train: int) -> str | None:
    """Why the recorded steps are not ``epochs`` passes over the training split in batches of at
    most 32 (None when they are): the replay must be of the training the probe asked for, not
    of any few steps a reply lists."""
    sizes = [len(step["rows"]) for step in run.get("steps") or []]
    fed = sum(sizes)
    if not sizes or max(sizes) > TRAIN_BATCH:
        return f"the training op should be fed batches of at most {TRAIN_BATCH} rows"
    if not epochs * (n_train - TRAIN_BATCH) < fed <= epochs * n_train:
        return (
            f"{epochs} epoch(s) should feed the {n_train} training rows {epochs} time(s) in all "
            f"({epochs * n_train} rows), {fed} were fed"
        )
    return None


_MODES = (inst.TRAINING_GAIN, 1.0)
"""Training steps fed ``training=True`` (right), or not (a mistake ``train_feeds_training_true``
reports; the other train tests judge such a run all the same)."""


def _replayed(
    run: dict[str, Any],
    seed: int,
    restart_at: tuple[int, ...] = (),
    epochs: int = 3,
    gains: tuple[float, ...] = _MODES,
) -> bool:
    """Are the weights after ``run`` those of the replay of ``epochs`` epochs of training (in
    one of the modes ``gains``)?"""
    if not run.get("steps") or _schedule_problem(run, epochs, _digits(seed)[2]):
        return False
    for gain in gains:
        replay = _replay(run, seed, restart_at, gain)
        if replay is None:
            return False
        w, b = replay
        if num.close(run["w"], w, atol=2e-4, rtol=1e-3) and num.close(
            run["b"], b, atol=2e-4, rtol=1e-3
        ):
            return True
    return False


def _replayed_as_run(
    run: dict[str, Any], seed: int, epochs: int = 3, gains: tuple[float, ...] = _MODES
) -> bool:
    """Replayed, with the restarts where the run's initialiser ran (a mistake the initialiser
    test reports; the other train tests still judge such a run)."""
    restarts = tuple(run.get("inits") or ())
    return _replayed(run, seed, epochs=epochs, gains=gains) or _replayed(
        run, seed, restarts, epochs, gains
    )


def train_feeds_training_true(obs: dict[str, Any], seed: int) -> Verdict:
    """The trusted graph scales its logits while ``training`` is fed True: the weights replay
    in training mode only if every step was fed it."""
    if _replayed_as_run(obs, seed, gains=(inst.TRAINING_GAIN,)):
        return passed()
    if _replayed_as_run(obs, seed, gains=(1.0,)):
        return failed(
            "the training op ran without training=True: handles['training'] defaults to False, "
            "so dropout (and anything else behind it) was never on while training. Feed "
            "handles['training']: True with every training batch (and False to evaluate)."
        )
    return failed(
        f"{_NOT_REPLAYED}, so the mode of its steps cannot be told (see the other train tests)"
    )


_NOT_REPLAYED = (
    "the weights after train are not those of Adam steps on the batches it fed (the grader "
    "replays the training from the graph's initial weights)"
)


def train_initialises_once(obs: dict[str, Any], seed: int) -> Verdict:
    if problem := _schedule_problem(obs, 3, _digits(seed)[2]):
        return failed(problem)
    if _replayed(obs, seed):
        return passed()
    inits = tuple(obs.get("inits") or ())
    if len(inits) > 1 and _replayed_as_run(obs, seed):
        return failed(
            f"the initialiser ran {len(inits)} times: every run resets the variables to their "
            "initial values, so training starts over (the weights are those of the last "
            "restart's steps only). Run it once, before the loop."
        )
    if not obs.get("steps"):
        return failed("train never ran handles['train_op']")
    return failed(
        f"{_NOT_REPLAYED}: does train run the initialiser more than once, or the training op with other feeds?"
    )


def train_graph_does_not_grow(obs: dict[str, Any], seed: int) -> Verdict:
    """Judged on one epoch on a finalized copy of the graph, whose weights must also replay."""
    again = obs["finalized"]
    error = str(again.get("error") or "")
    if "finalized" in error.lower():
        return failed(
            "the graph grew while training (train raised on a finalized graph: "
            f"{error[:160]}): ops created in the loop (tf.* calls, a new optimizer or "
            "initialiser) pile up every step. Make every op in build_graph and only run them "
            "here (graph.finalize() makes this an error)."
        )
    if error:
        return failed(f"train raised on a finalized copy of the graph: {error[:200]}")
    if problem := _schedule_problem(again, 1, _digits(seed)[2]):
        return failed(f"on a finalized copy of the graph, {problem}")
    if not _replayed_as_run(again, seed, epochs=1):
        return failed(f"on a finalized copy of the graph, {_NOT_REPLAYED}")
    return passed()


def train_feeds_training_split(obs: dict[str, Any], seed: int) -> Verdict:
    _, labels, n_train = _digits(seed)
    rows = [r for step in obs["steps"] for r in step["rows"]]
    fed_labels = [v for step in obs["steps"] for v in step["labels"]]
    if any(r < 0 or r >= len(labels) for r in rows):
        return failed(
            "the training op was fed rows that are not the data's: feed batches of "
            "data['x_train'] as they are (the data is already standardised)"
        )
    test_rows = sum(1 for r in rows if r >= n_train)
    if test_rows:
        return failed(
            f"the training op was fed {test_rows} rows of the test split: training on test data "
            "makes the test score meaningless. Feed data['x_train'] / data['y_train']."
        )
    if len(rows) != len(fed_labels) or any(labels[r] != v for r, v in zip(rows, fed_labels)):
        return failed(
            "the labels fed with each batch are not those of its images: shuffle the images and "
            "the labels with the same permutation (x[order], y[order])"
        )
    if 10 * len(set(rows)) < 9 * n_train:  # at least 90 % of the training rows
        return failed("the training op was not fed the training split (batches of data['x_train'])")
    if not _replayed_as_run(obs, seed):
        return failed(f"{_NOT_REPLAYED}: feed each batch once to the training op")
    return passed()


def train_learns(obs: dict[str, Any], seed: int) -> Verdict:
    entries = obs["entries"]
    if not entries or len(entries) != 3:
        return failed("train(..., epochs=3) should return one history entry per epoch")
    if any({"epoch", "train_loss", "test_loss", "test_accuracy"} - set(e) for e in entries):
        return failed("history entries should have epoch, train_loss, test_loss, test_accuracy")
    if not _replayed_as_run(obs, seed):
        return failed(f"{_NOT_REPLAYED}, so what it learned cannot be measured")
    x, labels, n_train = _digits(seed)
    accuracy = float(((x[n_train:] @ obs["w"] + obs["b"]).argmax(1) == labels[n_train:]).mean())
    if not num.at_least(accuracy, 0.85):
        return failed(
            f"after 3 epochs a trusted linear graph reached only {accuracy:.1%} on the digits' "
            "test split (computed by the grader from the weights)"
        )
    return _last_test_numbers(obs, x, labels, n_train) or passed()


def _last_test_numbers(
    obs: dict[str, Any], x: np.ndarray, labels: np.ndarray, n_train: int
) -> Verdict | None:
    """The last epoch's test numbers must be the final weights' on the test split, computed
    here (an evaluation on the training split, or none, shows)."""
    last = obs["entries"][-1]
    got = (last.get("test_loss"), last.get("test_accuracy"))

    def numbers(rows: slice) -> tuple[float, float]:
        logits = x[rows].astype(np.float64) @ obs["w"] + obs["b"]
        correct = (logits.argmax(1) == labels[rows]).mean()
        return num.cross_entropy(logits, labels[rows]), float(correct)

    want, on_train = numbers(slice(n_train, None)), numbers(slice(0, n_train))
    if all(num.close(g, w, atol=1e-4) for g, w in zip(got, want, strict=True)):
        return None
    if all(num.close(g, w, atol=1e-4) for g, w in zip(got, on_train, strict=True)):
        return failed(
            "the history's test_loss and test_accuracy are the training split's: train "
            'evaluates on data["x_train"] after each epoch, so the test numbers measure '
            'memorisation, not generalisation. Evaluate on data["x_test"], data["y_test"].'
        )
    return failed(
        f"the last epoch's test numbers ({got[0]}, {got[1]}) are not the trained graph's loss "
        f"and accuracy on the test split ({want[0]:.4f}, {want[1]:.4f}, computed by the grader "
        "from the weights): evaluate on the test split after every epoch"
    )


def init_error_hint(info: dict[str, Any]) -> str | None:
    message = str(info.get("message", ""))
    uninitialised = "uninitialized" in message.lower() or "not initialized" in message.lower()
    if uninitialised or info.get("type") == "FailedPreconditionError":
        return "the initialiser was never run: session.run(handles['init']) once before training"
    if "finalized" in message:
        return "an operation was created after the graph was finalised"
    if "You must feed a value for placeholder" in message:
        return "a placeholder was not fed"
    return None
