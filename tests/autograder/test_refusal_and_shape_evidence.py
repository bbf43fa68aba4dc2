"""Do the download refusal and the model shape tests refuse what a forger sends without
computing the answer (the constants that used to earn their points), and still pass honest
observations? Judged with the grader's own ``judge``, so each reply passes the schema first."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from autograder.hidden.base import judge
from autograder.probes.common import instances as inst
from autograder.suites import get_suite

DESCRIBED = {"type": "builtins.NoneType", "kind": "other"}
PATH = {"type": "pathlib.PosixPath", "kind": "other"}


def _judge(assignment: str, name: str, obs: dict):  # noqa: ANN202
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    return judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of)


def _seed(assignment: str, name: str) -> int:
    suite = get_suite(assignment)
    return suite.seed_for(next(t for t in suite.tests if t.name == name))


RAISED = {
    "function": "download",
    "kind": "raised",
    "type": "ValueError",
    "message": "sha",
    "line": 3,
}


def _call(kind: str, seed: int) -> dict:
    if kind == "good":
        digest = hashlib.sha256(inst.payload(seed)).hexdigest()
        facts = {"returned": PATH, "is_path": True, "exists": True, "in_cache": True}
        return {**facts, "sha256": digest, "raised": None, "target_exists": True,
                "cache_files": ["f.bin"]}  # fmt: skip
    return {"returned": DESCRIBED, "is_path": False, "raised": RAISED, "target_exists": False,
            "cache_files": []}  # fmt: skip


@pytest.mark.parametrize("assignment", ["pytorch", "tf2", "tf1"])
def test_a_refusal_must_fall_on_the_calls_the_seed_made_bad(assignment):
    """The seed's schedule answered call by call passes; every call accepted (a download that
    never checks), every call refused, and the schedule of another seed fail."""
    name = "download_rejects_bad_checksum"
    seed = _seed(assignment, name)
    schedule = inst.checksum_schedule(seed)
    assert "good" in schedule and {"wrong_digest", "damaged_file"} & set(schedule)
    honest = _judge(assignment, name, {"calls": [_call(k, seed) for k in schedule]})
    assert honest.score == honest.max_score, honest.message
    for forged in (["good"] * 4, ["wrong_digest"] * 4):
        result = _judge(assignment, name, {"calls": [_call(k, seed) for k in forged]})
        assert result.score == 0, forged

    def good_at(schedule: list[str]) -> list[bool]:
        return [kind == "good" for kind in schedule]

    other = next(
        s
        for s in range(seed + 1, seed + 200)
        if good_at(inst.checksum_schedule(s)) != good_at(schedule)
    )
    result = _judge(
        assignment, name, {"calls": [_call(k, seed) for k in inst.checksum_schedule(other)]}
    )
    assert result.score == 0
    accepted = _judge(assignment, name, {"calls": [_call("good", seed) for _ in schedule]})
    assert "sha256 does not match was accepted" in accepted.message


def _forward(values: np.ndarray) -> dict:
    out = {
        "type": "torch.Tensor",
        "kind": "tensor",
        "dtype": "float32",
        "shape": list(values.shape),
    }
    return {"out": out, "values": values.astype(np.float32)}


def _model_obs(logits_of) -> dict:  # noqa: ANN001 - images (n, 8, 8, 3) -> logits (n, 7)
    x = np.random.default_rng(1).normal(size=(9, 8, 8, 3)).astype(np.float32)
    return {
        "is_module": True,
        "shapes": {str(n): _forward(logits_of(n)) for n in inst.MODEL_BATCHES},
        "batch": _forward(logits_of(9, x)),
        "singles": [_forward(logits_of(1, x[i : i + 1])) for i in range(9)],
        "default": _forward(np.random.default_rng(2).normal(size=(6, 10))),
    }


@pytest.mark.parametrize("assignment", ["pytorch", "tf2"])
@pytest.mark.parametrize("name", ["model_output_shape", "model_outputs_logits"])
def test_model_shapes_need_a_function_of_the_images(assignment, name):
    """Logits computed from the probe's images by a fixed linear map pass; a table of random
    numbers of the right shapes (what used to pass) fails, as does a softmax only for the
    logits test."""
    seed = _seed(assignment, name)
    w = np.random.default_rng(3).normal(size=(8 * 8 * 3, 7))

    def linear(n: int, x: np.ndarray | None = None) -> np.ndarray:
        x = inst.model_batch(seed, n) if x is None else x
        return x.reshape(len(x), -1) @ w

    honest = _judge(assignment, name, _model_obs(linear))
    assert honest.score == honest.max_score, honest.message
    rng = np.random.default_rng(4)
    table = _judge(assignment, name, _model_obs(lambda n, x=None: rng.normal(size=(n, 7))))
    assert table.score == 0 and "did not get their own logits again" in table.message

    def softmax(n: int, x: np.ndarray | None = None) -> np.ndarray:
        z = np.exp(linear(n, x) - linear(n, x).max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    result = _judge(assignment, name, _model_obs(softmax))
    assert (result.score == 0) == (name == "model_outputs_logits"), result.message
    if name == "model_outputs_logits":  # in the assignment's own framework's words
        own, other = (
            ("CrossEntropyLoss", "from_logits")
            if assignment == "pytorch"
            else ("from_logits=True", "CrossEntropyLoss")
        )
        assert own in result.message and other not in result.message, result.message


def _graph_obs(logits_of) -> dict:  # noqa: ANN001
    runs = {}
    for n in ("1", "5", "13", "26"):
        logits = logits_of(int(n))
        y = np.zeros(int(n), np.int64)
        runs[n] = {"logits": logits.astype(np.float32), "loss": 1.0, "accuracy": 0.5, "y": y}
    runs["fit"] = runs["training"] = runs["13"]
    return {
        "is_graph": True,
        "is_default_graph": False,
        "x_shape": [None, 8, 8, 3],
        "y_shape": [None],
        "runs": runs,
        "separate_graphs": True,
        "second_error": None,
    }


@pytest.mark.parametrize("name", ["placeholders_any_batch_size", "logits_shape"])
def test_tf1_feeds_need_a_function_of_the_images(name):
    """A graph's logits as a fixed linear map of the fed images pass; the static shapes
    ``[None, 8, 8, 3]`` and ``[None]`` with a table of random logits (what used to pass) fail."""
    seed = _seed("tf1", name)
    w = np.random.default_rng(5).normal(size=(8 * 8 * 3, 7))
    honest = _judge("tf1", name, _graph_obs(lambda n: inst.model_batch(seed, n).reshape(n, -1) @ w))
    assert honest.score == honest.max_score, honest.message
    rng = np.random.default_rng(6)
    forged = _judge("tf1", name, _graph_obs(lambda n: rng.normal(size=(n, 7))))
    assert forged.score == 0 and "did not get their own logits again" in forged.message


def _lr_step(step: np.ndarray, grad: np.ndarray) -> dict:
    return {"step": step, "grad": grad, "lrs": [0.001]}


def test_tf1_learning_rate_shows_in_the_steps_of_the_learners_train_op():
    """Steps that descend the gradient and scale with the grader's rates pass (Adam's first
    step, lr times the gradient's sign); equal steps (a hard-coded rate) fail naming the
    ignored lr; a ``train_op`` that fails after the graph's own init names an init made before
    the optimizer; the constants that used to decide no longer fit the reply's form."""
    grad = np.random.default_rng(7).normal(size=50)
    a, b = inst.OPTIMIZER_LRS["a"], inst.OPTIMIZER_LRS["b"]
    adam = {"a": _lr_step(-a * np.sign(grad), grad), "b": _lr_step(-b * np.sign(grad), grad)}
    assert _judge("tf1", "optimizer_uses_lr", adam).score == 1
    fixed = {"a": _lr_step(-1e-3 * np.sign(grad), grad), "b": _lr_step(-1e-3 * np.sign(grad), grad)}
    result = _judge("tf1", "optimizer_uses_lr", fixed)
    assert result.score == 0 and "lr argument is ignored" in result.message
    ascent = {"a": _lr_step(a * grad, grad), "b": _lr_step(b * grad, grad)}
    assert _judge("tf1", "optimizer_uses_lr", ascent).score == 0
    error = {
        "function": "train_op",
        "kind": "raised",
        "type": "FailedPreconditionError",
        "message": "Could not find variable beta1_power: maybe the variable is uninitialized",
        "line": None,
    }
    result = _judge("tf1", "optimizer_uses_lr", {"a": {"error": error}, "b": {"error": error}})
    assert result.score == 0 and "init created before the optimizer" in result.message
    old = _judge("tf1", "optimizer_uses_lr", {"lrs": [1.0], "lr_given": 1.0})
    assert old.score == 0 and old.status == "error"


def test_tf2_traces_show_in_the_losses_of_a_marked_spy():
    """Losses of one graph's gain for all three calls pass (whatever graph number Keras gave
    the trace, with or without training=True); eager gains and a new gain per call fail with
    their names; the spy log's flags that used to decide no longer do."""
    from autograder.hidden.tf2.verdicts_tf import _trace_losses

    seed = _seed("tf2", "train_step_traced_once")
    calls = [{"training": "True", "eager": False, "input_shape": [5, 2, 3, 3]}]

    def obs(losses: list[float]) -> dict:
        weight, bias = np.zeros((4, 18), np.float32), np.zeros(4, np.float32)
        return {"returned": DESCRIBED, "losses": [1.0] * 3, "weight": weight, "bias": bias,
                "calls": calls, "trace_losses": losses}  # fmt: skip

    for traces, gain in (((2, 2, 2), inst.TRAINING_GAIN), ((1, 1, 1), 1.0)):
        result = _judge("tf2", "train_step_traced_once", obs(_trace_losses(seed, traces, gain)))
        assert result.score == 2, result.message
    eager = _judge("tf2", "train_step_traced_once", obs(_trace_losses(seed, (0, 0, 0), 1.5)))
    assert eager.score == 0 and "runs eagerly" in eager.message
    every = _judge("tf2", "train_step_traced_once", obs(_trace_losses(seed, (2, 4, 6), 1.5)))
    assert every.score == 0 and "retraces" in every.message
    assert _judge("tf2", "train_step_traced_once", obs([1.0, 1.0, 1.0])).score == 0
