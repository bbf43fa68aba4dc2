"""Observations that fit their probe's schema but not the sizes a verdict expects (forged, or
from code that broke the probe): does each become a failed test with a message, never a verdict
that raises (an ``error`` result)?"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.hidden.base import judge
from autograder.suites import get_suite

DESCRIBED = {"type": "builtins.dict", "kind": "other"}
CASES = [
    (
        "pytorch",
        "fit_learns_digits",
        {
            "history_type": "builtins.list",
            "entries": None,
            "evaluations": [],
            "steps": [],
            "weights": [np.zeros((64, 64), np.float32)] * 3 + [np.zeros(9, np.float32)],
        },
    ),
    (
        "tf2",
        "fit_keras_learns_digits",
        {
            "entries": [{"epoch": 1.0, "train_loss": 1.0, "test_loss": 1.0, "test_accuracy": 0.5}]
            * 4,
            "weights": [np.zeros(9, np.float32)] * 4,
        },
    ),
    (
        "tf1",
        "train_initialises_once",
        {
            "steps": [{"rows": [10**6], "labels": [0]}],
            "inits": [0],
            "w": np.zeros((64, 10), np.float32),
            "b": np.zeros(10, np.float32),
            "entries": None,
            "finalized": {"error": "x"},
        },
    ),
    (
        "tf1",
        "train_feeds_training_split",
        {
            "steps": [{"rows": [0], "labels": [99]}],
            "inits": [0],
            "w": np.zeros((64, 10), np.float32),
            "b": np.zeros(10, np.float32),
            "entries": None,
            "finalized": {"error": "x"},
        },
    ),
    (
        "bridge",
        "port_conv_kernels",
        {
            "nets": [
                {"weights": [np.zeros((2, 2), np.float32)], "logits": np.zeros((2, 2), np.float32)}
            ]
        },
    ),
    (
        "bridge",
        "port_dense_after_flatten",
        {
            "nets": [
                {"weights": [np.zeros((2, 2), np.float32)], "logits": np.zeros((2, 2), np.float32)}
            ]
            * 2
        },
    ),
    ("bridge", "port_logits_match", {"nets": []}),
    ("pytorch", "optimizer_uses_lr", {"is_optimizer": True, "returned": DESCRIBED}),
    ("pytorch", "optimizer_over_model_parameters", {"is_optimizer": True, "returned": DESCRIBED}),
    ("tf2", "optimizer_applies_updates", {"is_optimizer": True, "returned": DESCRIBED}),
]


@pytest.mark.parametrize(
    ("assignment", "name", "obs"), CASES, ids=[f"{a}-{n}" for a, n, _ in CASES]
)
def test_a_misfit_size_fails_with_a_message(assignment, name, obs):
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    result = judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of)
    assert result.status == "failed" and result.score == 0, (result.status, result.message)


def test_an_epoch_without_steps_fails_the_train_loss_test():
    suite = get_suite("tf2")
    (test,) = [t for t in suite.tests if t.name == "fit_resets_train_loss"]
    entries = [
        {"epoch": float(i), "train_loss": 1.0, "test_loss": 1.0, "test_accuracy": 0.5}
        for i in (1, 2, 3)
    ]
    obs = {
        "history_type": "builtins.list",
        "entries": entries,
        "evaluations": [],
        "steps": [[], [], []],
        "traces": 0,
        "weights": [],
    }
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    result = judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of)
    assert result.status == "failed", (result.status, result.message)
