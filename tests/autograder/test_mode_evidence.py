"""Are modes (train / eval mode, autograd on / off, Keras ``training``) read from values the
grader recomputes, not from flags a reply reports? The spy models' logits carry a gain in each
mode (``instances.spy_gain``), so the mode shows in the loss and in the parameters after
training; a forged flag no longer earns the points, and the honest values still do."""

from __future__ import annotations

import numpy as np

from autograder.hidden.base import judge
from autograder.hidden.common import numerics as num
from autograder.probes.common import instances as inst
from autograder.suites import get_suite


def _judge(assignment: str, name: str, obs: dict):  # noqa: ANN202
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    return judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of)


def _seed(assignment: str, name: str) -> int:
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == name]
    return suite.seed_for(test)


def _evaluation(seed: int, training: bool, grad: bool) -> dict:
    x, y, weight, bias = inst.linear_problem(seed)
    logits = inst.spy_gain(training, grad) * (x.reshape(len(x), -1) @ weight.T + bias)
    (loss, accuracy), _ = num.evaluation_means(logits.astype(np.float64), y, 5)
    return {"is_dict": True, "loss": loss, "accuracy": accuracy, "keys": ["accuracy", "loss"]}


def test_pytorch_evaluate_modes_come_from_the_loss():
    """The loss of a model in eval mode under no_grad passes both mode tests; in train mode it
    fails the eval-mode test only, with autograd on the no-graph test only; the exact-means test
    passes in every mode (modes are the other two tests' to judge)."""
    seed, values_seed = (
        _seed("pytorch", "evaluate_in_eval_mode"),
        _seed("pytorch", "evaluate_exact_means"),
    )
    for training in (False, True):
        for grad in (False, True):
            values = _evaluation(values_seed, training, grad)
            assert _judge("pytorch", "evaluate_exact_means", values).status == "passed"
            obs = _evaluation(seed, training, grad)
            eval_mode = _judge("pytorch", "evaluate_in_eval_mode", obs)
            no_graph = _judge("pytorch", "evaluate_without_graph", obs)
            assert (eval_mode.status == "passed") is (not training), eval_mode.message
            assert (no_graph.status == "passed") is (not grad), no_graph.message
    right = _evaluation(seed, False, False)
    assert (
        "model.eval()"
        in _judge("pytorch", "evaluate_in_eval_mode", _evaluation(seed, True, False)).message
    )
    made_up = {**right, "loss": right["loss"] + 0.3}
    assert _judge("pytorch", "evaluate_in_eval_mode", made_up).score == 0


def _epoch(seed: int, gain: float, n: int = 12, variant: str = "correct") -> dict:
    x, y, weight, bias = inst.linear_problem(seed)
    w, b, losses, sizes = num.sgd_epoch(x[:n], y[:n], weight, bias, 0.5, 5, variant, gain)
    value = float((losses * sizes).sum() / sizes.sum())
    returned = {"type": "float", "kind": "number"}
    return {"returned": returned, "value": value, "weight": w, "bias": b}


def test_pytorch_training_mode_comes_from_one_batch():
    """From eval mode, one batch in train mode passes; in eval mode it fails naming
    model.train(), whether the mode shows in the returned loss or only in the parameters; a
    loss and parameters of neither mode give nothing, whatever a reply says."""
    seed = _seed("pytorch", "train_restores_train_mode")
    trained = _epoch(seed, inst.spy_gain(True, True), n=5)
    in_eval = _epoch(seed, inst.spy_gain(False, True), n=5)
    assert _judge("pytorch", "train_restores_train_mode", trained).status == "passed"
    result = _judge("pytorch", "train_restores_train_mode", in_eval)
    assert result.score == 0 and "model.train()" in result.message
    no_loss = _judge("pytorch", "train_restores_train_mode", {**in_eval, "value": None})
    assert no_loss.score == 0 and "model.train()" in no_loss.message
    made_up = {**trained, "value": trained["value"] + 0.2, "weight": trained["weight"] + 0.01}
    assert _judge("pytorch", "train_restores_train_mode", made_up).score == 0
    zeroing_seed = _seed("pytorch", "train_zeroes_gradients_each_step")
    epoch = _epoch(zeroing_seed, inst.spy_gain(True, True))
    assert _judge("pytorch", "train_zeroes_gradients_each_step", epoch).status == "passed"
    accumulated = _epoch(zeroing_seed, inst.spy_gain(True, True), variant="accumulate")
    assert _judge("pytorch", "train_zeroes_gradients_each_step", accumulated).score == 0


def _tf2_evaluation(seed: int, gain: float) -> dict:
    x, y, weight, bias = inst.linear_problem(seed)
    logits = gain * (x.reshape(len(x), -1).astype(np.float64) @ weight.T + bias)
    (loss, accuracy), _ = num.evaluation_means(logits, y, 5)
    second = (x[:7].reshape(7, -1) @ weight.T + bias).argmax(1) == (y[:7] + 1) % 4
    return {
        "is_dict": True,
        "loss": loss,
        "accuracy": accuracy,
        "second_loss": 1.0,
        "second_accuracy": float(second.mean()),
        "keys": ["accuracy", "loss"],
    }


def test_tf2_evaluate_mode_comes_from_the_loss():
    """Keras: the loss of a model called with training=True fails the inference test only; the
    loss without it passes both; a loss of neither mode gives the inference test nothing."""
    seed = _seed("tf2", "evaluate_training_false")
    single = ("second_loss", "second_accuracy")
    inference, training = (
        {k: v for k, v in _tf2_evaluation(seed, gain).items() if k not in single}
        for gain in (1.0, inst.TRAINING_GAIN)
    )
    assert _judge("tf2", "evaluate_training_false", inference).status == "passed"
    result = _judge("tf2", "evaluate_training_false", training)
    assert result.score == 0 and "training=True" in result.message
    values = _tf2_evaluation(_seed("tf2", "evaluate_values"), inst.TRAINING_GAIN)
    assert _judge("tf2", "evaluate_values", values).status == "passed"
    made_up = {**inference, "loss": inference["loss"] + 0.3}
    assert _judge("tf2", "evaluate_training_false", made_up).score == 0


def _steps(seed: int, gain: float) -> dict:
    x, y, weight, bias = inst.linear_problem(seed)
    w, b, losses, _ = num.sgd_epoch(x, y, weight, bias, 0.5, 5, "correct", gain)
    call = {"training": "True", "eager": False, "input_shape": [5, 2, 3, 3]}
    return {
        "returned": {"type": "tensorflow.Tensor", "kind": "tensor"},
        "losses": [float(v) for v in losses],
        "weight": w,
        "bias": b,
        "calls": [call, call],
    }


def test_tf2_training_mode_comes_from_the_first_loss_or_the_weights():
    """Three steps with training=True pass; the same steps without it fail the training test
    only, although the call log claims training=True (from the first loss, or from the weights
    when no loss is returned); a loss and weights of neither mode give nothing."""
    seed = _seed("tf2", "train_step_training_true")
    assert (
        _judge("tf2", "train_step_training_true", _steps(seed, inst.TRAINING_GAIN)).status
        == "passed"
    )
    untrained = _steps(seed, 1.0)
    result = _judge("tf2", "train_step_training_true", untrained)
    assert result.score == 0 and "training=True" in result.message
    assert _judge("tf2", "train_step_gradients", untrained).status == "passed"
    no_loss = _judge("tf2", "train_step_training_true", {**untrained, "losses": [None] * 3})
    assert no_loss.score == 0 and "training=True" in no_loss.message
    made_up = {**untrained, "losses": [9.0] * 3, "weight": untrained["weight"] + 0.01}
    assert _judge("tf2", "train_step_training_true", made_up).score == 0


def _tf1_evaluation(seed: int, finalized: dict) -> dict:
    x, y, weight, bias = inst.linear_problem(seed)
    logits = x.reshape(len(x), -1).astype(np.float64) @ weight.T + bias
    (loss, accuracy), _ = num.evaluation_means(logits, y, 5)
    return {"is_dict": True, "loss": loss, "accuracy": accuracy, "finalized": finalized}


def test_tf1_evaluate_is_judged_on_a_finalized_graph():
    """The graph's own loss on a finalized copy passes; an evaluate that raised there because it
    adds operations fails naming it; a loss that is not the graph's with dropout off (what
    feeding training=True gives, or any made-up number with a count of zero new ops) fails."""
    seed = _seed("tf1", "evaluate_runs_existing_graph")
    right = _tf1_evaluation(seed, {})
    honest = {**right, "finalized": {"loss": right["loss"], "accuracy": right["accuracy"]}}
    assert _judge("tf1", "evaluate_runs_existing_graph", honest).status == "passed"
    error = {"error": "RuntimeError: Graph is finalized and cannot be modified."}
    grows = _judge("tf1", "evaluate_runs_existing_graph", _tf1_evaluation(seed, error))
    assert grows.score == 0 and "added operations" in grows.message
    dropout = {**honest, "finalized": {"loss": right["loss"] * 1.3, "accuracy": right["accuracy"]}}
    result = _judge("tf1", "evaluate_runs_existing_graph", dropout)
    assert result.score == 0 and "training=True" in result.message
