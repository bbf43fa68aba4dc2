"""Are optimizers judged by what their first step does to values whose gradient the grader
computes itself (weights, batch or gradient from the seed, learning rates the grader's), so
that a step along a made-up gradient, or a learning rate that exists only in param_groups,
earns nothing, while SGD's and Adam's real first steps pass?"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.hidden.base import judge
from autograder.hidden.common import verdicts_model as mdl
from autograder.probes.common import instances as inst
from autograder.suites import get_suite

CASES = {
    "pytorch": (("optimizer_over_model_parameters", "optimizer_uses_lr"), mdl.net_gradient),
    "tf2": (("optimizer_applies_updates", "optimizer_uses_lr"), mdl.variable_gradient),
}


def _judge(assignment: str, name: str, obs: dict):  # noqa: ANN202
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    return judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of)


def _observed(assignment: str, step_of) -> dict:  # noqa: ANN001
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.probe == "optimizer"][:1]
    grad = CASES[assignment][1](suite.seed_for(test))
    obs: dict = {"is_optimizer": True}
    for run, lr in inst.OPTIMIZER_LRS.items():
        obs[run] = {"lrs": [lr], "type": "Optimizer", "step": [float(v) for v in step_of(lr, grad)]}
        if assignment == "pytorch":
            obs[run] |= {"n_model": 4, "n_shared": 4}
    return obs


@pytest.mark.parametrize("assignment", sorted(CASES))
def test_real_first_steps_pass_and_made_up_ones_fail(assignment):
    names, _ = CASES[assignment]
    for step_of in (lambda lr, g: -lr * g, lambda lr, g: -lr * np.sign(g)):  # SGD, Adam
        obs = _observed(assignment, step_of)
        assert all(_judge(assignment, n, obs).status == "passed" for n in names)
    made_up = np.random.default_rng(5).normal(size=30)
    forged = {
        "a constant added": lambda lr, g: np.full(g.shape, 0.01),
        "a made-up gradient": lambda lr, g: -lr * made_up[: g.size],
        "no step": lambda lr, g: np.zeros(g.shape),
    }
    for what, step_of in forged.items():
        obs = _observed(assignment, step_of)
        assert all(_judge(assignment, n, obs).score == 0 for n in names), what
    fixed_lr = _observed(assignment, lambda lr, g: -0.05 * g)
    assert _judge(assignment, "optimizer_uses_lr", fixed_lr).score == 0
