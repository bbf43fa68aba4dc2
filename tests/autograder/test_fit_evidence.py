"""Is the accuracy fit reaches computed by the grader, from the trusted model's weights after
training, on its own digits test split (not a number the reply reports)?"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.hidden.base import judge
from autograder.hidden.common import verdicts_report as rep
from autograder.probes.common import instances as inst
from autograder.suites import get_suite

CASES = [
    ("pytorch", "fit_learns_digits"),
    ("tf2", "fit_learns_digits"),
    ("tf2", "fit_keras_learns_digits"),
]


def _judge(assignment: str, name: str, obs: dict):  # noqa: ANN202
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    return judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of), suite.seed_for(test)


def _working_weights(seed: int) -> list[np.ndarray]:
    """The MLP as an exact linear classifier (identity first layer, shifted past the ReLU),
    fitted by gradient descent on the test split itself: well above 85 %."""
    x, y = rep._digits_test(seed)
    w, b = np.zeros((64, 10)), np.zeros(10)
    onehot = np.eye(10)[y]
    for _ in range(300):
        z = x @ w + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        w -= 0.5 * x.T @ (p - onehot) / len(x)
        b -= 0.5 * (p - onehot).mean(0)
    shift = 10.0
    return [
        np.eye(64, dtype=np.float32),
        np.full(64, shift, np.float32),
        w.astype(np.float32),
        (b - shift * w.sum(0)).astype(np.float32),
    ]


def _obs(assignment: str, name: str, weights: list) -> dict:
    entries = [
        {"epoch": float(i), "train_loss": 0.5, "test_loss": 0.5, "test_accuracy": 0.9}
        for i in (1, 2, 3, 4)
    ]
    if name == "fit_keras_learns_digits":
        lr = inst.FIT_KERAS_LR  # the lr the probe asks for, used (the lr test is separate)
        return {"entries": entries, "weights": weights, "lrs_asked": [lr], "optimizer_lr": lr}
    obs = {
        "history_type": "builtins.list",
        "entries": entries[:3],
        "evaluations": [],
        "weights": weights,
    }
    return obs | {"steps": []} | ({"traces": 0} if assignment == "tf2" else {})


@pytest.mark.parametrize(("assignment", "name"), CASES)
def test_the_accuracy_is_computed_from_the_weights(assignment, name):
    _, seed = _judge(assignment, name, _obs(assignment, name, []))
    working = _working_weights(seed)
    assert rep.mlp_accuracy(working, seed) > 0.9
    result, _ = _judge(assignment, name, _obs(assignment, name, working))
    assert result.status == "passed", result.message
    untrained = [np.zeros_like(w) for w in working]
    assert _judge(assignment, name, _obs(assignment, name, untrained))[0].score == 0
    assert _judge(assignment, name, _obs(assignment, name, working[:2]))[0].score == 0


def test_fit_keras_must_use_the_lr_it_is_given():
    """A fit that learns, with an optimizer of another learning rate than the one asked for,
    loses the points and is told that the lr argument is ignored."""
    _, seed = _judge("tf2", "fit_keras_learns_digits", _obs("tf2", "fit_keras_learns_digits", []))
    obs = _obs("tf2", "fit_keras_learns_digits", _working_weights(seed))
    obs.update(lrs_asked=[1e-3], optimizer_lr=1e-3)
    result, _ = _judge("tf2", "fit_keras_learns_digits", obs)
    assert result.score == 0
    assert "lr argument is ignored" in result.message
