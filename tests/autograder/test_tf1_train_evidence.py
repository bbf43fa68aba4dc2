"""Does TF1's train step rest on weights the grader replays (Adam over the rows and labels each
step was fed, from the trusted graph's initial weights), so that what the old observation said
of itself (one initialiser run, no new ops, training rows counted) earns nothing alone?"""

from __future__ import annotations

import numpy as np

from autograder.hidden.base import judge
from autograder.hidden.common import numerics as num
from autograder.hidden.tf1 import verdicts_graph as g
from autograder.suites import get_suite

SUITE = get_suite("tf1")
TRAIN_TESTS = (
    "train_initialises_once",
    "train_graph_does_not_grow",
    "train_feeds_training_split",
    "train_learns_digits",
)


def _judge(name: str, obs: dict):  # noqa: ANN202
    (test,) = [t for t in SUITE.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    return judge(test, reply, SUITE.seed_for(test), schema_of=SUITE.schema_of)


def _seed() -> int:
    (test,) = [t for t in SUITE.tests if t.name == "train_learns_digits"]
    return SUITE.seed_for(test)


def _run(seed: int, epochs: int, rows_from: int = 0) -> dict:
    """What the probe records for a correct train: shuffled batches of 32 of the training rows
    (or of rows starting at ``rows_from``), their labels, and the replayed weights."""
    _, labels, n_train = g._digits(seed)
    rng = np.random.default_rng(5)
    steps = []
    for _ in range(epochs):
        order = rng.permutation(n_train) + rows_from
        for start in range(0, n_train, 32):
            rows = [int(r) for r in order[start : start + 32] if r < len(labels)]
            steps.append({"rows": rows, "labels": [int(labels[r]) for r in rows]})
    run = {"steps": steps, "inits": [0]}
    w, b = g._replay(run, seed)
    return {**run, "w": w.astype(np.float32), "b": b.astype(np.float32)}


def _entries(run: dict | None = None, seed: int = 0) -> list:
    """Three history entries; with ``run``, the last one's test numbers are its replayed
    weights' on the test split, as an honest train's evaluate gives them."""
    entries = [
        {"epoch": float(i), "train_loss": 0.5, "test_loss": 0.5, "test_accuracy": 0.9}
        for i in (1, 2, 3)
    ]
    if run is not None:
        x, labels, n_train = g._digits(seed)
        logits = x[n_train:].astype(np.float64) @ run["w"] + run["b"]
        entries[-1]["test_loss"] = num.cross_entropy(logits, labels[n_train:])
        entries[-1]["test_accuracy"] = float((logits.argmax(1) == labels[n_train:]).mean())
    return entries


def test_replayed_training_passes_and_claims_without_it_fail():
    seed = _seed()
    trained = _run(seed, 3)
    honest = {**trained, "entries": _entries(trained, seed), "finalized": _run(seed, 1)}
    for name in TRAIN_TESTS:
        assert _judge(name, honest).status == "passed", (name, _judge(name, honest).message)
    w0 = np.random.default_rng(seed).normal(0, 0.01, size=(10, 64)).astype(np.float32).T
    claims = {**honest, "w": w0, "b": np.zeros(10, np.float32)}
    claims["finalized"] = {**honest["finalized"], "w": w0, "b": np.zeros(10, np.float32)}
    for name in TRAIN_TESTS:
        assert _judge(name, claims).score == 0, name


def test_test_rows_and_mismatched_labels_are_named():
    seed = _seed()
    _, _, n_train = g._digits(seed)
    on_test = {
        **_run(seed, 3, rows_from=n_train // 2),
        "entries": _entries(),
        "finalized": _run(seed, 1),
    }
    result = _judge("train_feeds_training_split", on_test)
    assert result.score == 0 and "test split" in result.message
    shuffled = _run(seed, 3)
    for step in shuffled["steps"]:
        step["labels"] = step["labels"][1:] + step["labels"][:1]
    w, b = g._replay(shuffled, seed)
    shuffled |= {
        "w": w.astype(np.float32),
        "b": b.astype(np.float32),
        "entries": _entries(),
        "finalized": _run(seed, 1),
    }
    result = _judge("train_feeds_training_split", shuffled)
    assert result.score == 0 and "same permutation" in result.message


def test_a_replay_of_a_few_listed_steps_is_not_the_training_asked_for():
    """One Adam step on one row, or one full-batch step over every training row, with their
    replayed weights (which passed before the schedule was checked) earn nothing."""
    seed = _seed()
    _, labels, n_train = g._digits(seed)
    for rows in ([0], list(range(n_train))):
        run = {"steps": [{"rows": rows, "labels": [int(labels[r]) for r in rows]}], "inits": [0]}
        w, b = g._replay(run, seed)
        run |= {"w": w.astype(np.float32), "b": b.astype(np.float32)}
        forged = {**run, "entries": _entries(), "finalized": run}
        for name in TRAIN_TESTS:
            assert _judge(name, forged).score == 0, (name, len(rows))
