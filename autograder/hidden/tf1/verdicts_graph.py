"""Verdicts of the ``tf1`` assignment (grader side, numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
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


def placeholders_any_batch(obs: dict[str, Any], seed: int) -> Verdict:
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
    return passed()


def logits_shape(obs: dict[str, Any], seed: int) -> Verdict:
    broken = []
    for n, run in obs["runs"].items():
        if n == "fit":
            continue
        if "error" in run:
            broken.append(f"N={n}: {run['error']['type']}: {run['error']['message'][:100]}")
        elif np.shape(run["logits"]) != (int(n), 7):
            broken.append(f"N={n}: logits {list(np.shape(run['logits']))}")
    if broken:
        return failed(f"logits should be (N, 7) for any batch size N; got {'; '.join(broken[:3])}")
    logits = np.asarray(obs["runs"]["13"]["logits"], float)
    message = num.non_finite_message(
        "the logits tensor", logits, "running the graph on a batch", verb="is"
    )
    if message:
        return failed(message)
    if num.at_least(logits, 0) and num.close(logits.sum(axis=1), 1, atol=1e-4, rtol=1e-5):
        return failed(
            "the logits tensor holds probabilities (a softmax): the loss expects raw logits"
        )
    return passed()


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
    if not num.close_to_any(obs["lr_given"], obs["lrs"], atol=1e-7):
        return failed(
            f"build_graph(lr={obs['lr_given']}) made a graph without that learning rate: the lr argument is ignored"
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
    if num.close(obs["accuracy"], np.mean([correct[s].mean() for s in slices]), atol=1e-5):
        return failed(
            "evaluate averages per-batch means: with batches of 5, 5 and 2 the last 2 samples weigh as much as 5"
        )
    return failed(
        f"evaluate's numbers are off for a model with known outputs (loss {obs['loss']:.4f}, accuracy {obs['accuracy']:.4f})"
    )


def evaluate_runs_existing_graph(obs: dict[str, Any], seed: int) -> Verdict:
    message = num.first_non_finite(
        {k: obs.get(k) for k in ("loss", "accuracy")}, "`evaluate`'s", "evaluating a graph"
    )
    if message:  # numbers that were not computed by running the graph
        return failed(message)
    if obs.get("grown"):
        return failed(
            f"evaluate added {obs['grown']} operations to the graph: tf.* calls in evaluate create new "
            "nodes every time. Only session.run tensors that build_graph made."
        )
    if any(t == "True" for t in obs.get("training_fed", [])):
        return failed("evaluate feeds training=True: dropout stays on while evaluating")
    return passed()


def train_initialises_once(obs: dict[str, Any], seed: int) -> Verdict:
    runs = obs["init_runs"]
    if runs > 1:
        return failed(
            f"the initialiser ran {runs} times: every run resets the variables to their initial values, "
            "so training starts over. Run it once, before the loop."
        )
    if runs == 0 and not obs["grown"]:
        return failed("train never ran handles['init']: run the initialiser once before training")
    return passed()


def train_graph_does_not_grow(obs: dict[str, Any], seed: int) -> Verdict:
    if obs["grown"]:
        return failed(
            f"the graph grew by {obs['grown']} operations while training: ops created in the loop "
            "(tf.* calls, a new optimizer or initialiser) pile up every step. Make every op in "
            "build_graph and only run them here (graph.finalize() makes this an error)."
        )
    return passed()


def train_feeds_training_split(obs: dict[str, Any], seed: int) -> Verdict:
    rows = obs["train_rows"]
    if rows.get("test", 0) > 0:
        return failed(
            f"the training op was fed {rows['test']} rows of the test split: training on test data "
            "makes the test score meaningless. Feed data['x_train'] / data['y_train']."
        )
    if rows.get("train", 0) < 1000:
        return failed("the training op was not fed the training split (batches of data['x_train'])")
    return passed()


def train_learns(obs: dict[str, Any], seed: int) -> Verdict:
    entries = obs["entries"]
    if not entries or len(entries) != 3:
        return failed("train(..., epochs=3) should return one history entry per epoch")
    if any({"epoch", "train_loss", "test_loss", "test_accuracy"} - set(e) for e in entries):
        return failed("history entries should have epoch, train_loss, test_loss, test_accuracy")
    message = num.non_finite_message(
        "the test accuracy after `train`",
        obs["final_accuracy"],
        "training a trusted linear graph for 3 epochs",
        verb="is",
    )
    if message:
        return failed(message)
    if not num.at_least(obs["final_accuracy"], 0.85):
        return failed(
            f"after 3 epochs a trusted linear graph reached only {obs['final_accuracy']:.1%} on the digits"
        )
    return passed()


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
