"""What the bridge probes of both workers return, as plain data (worker side, numpy only)."""

from __future__ import annotations

from typing import Any

from autograder.probes.common.observe import as_float, describe, to_numpy
from autograder.worker.probe_api import contract_error


def observe(value: Any) -> dict[str, Any]:
    """Type, shape, device and values of an array a learner function returned."""
    return {"describe": describe(value), "values": to_numpy(value)}


def forward_backward_out(function: str, value: Any, named: bool) -> dict[str, Any]:
    """A ``forward_backward_*`` result as plain data; grads keep the order the learner gave
    (``[name, array]`` pairs when ``named``)."""
    if not isinstance(value, dict) or not {"logits", "loss", "grads"} <= set(value):
        raise contract_error(function, "expected a dict with 'logits', 'loss' and 'grads'")
    grads = value["grads"]
    if named:
        if not isinstance(grads, dict):
            raise contract_error(function, "'grads' should map parameter names to gradients")
        grads = [[str(k), to_numpy(v)] for k, v in grads.items()]
    else:
        grads = [to_numpy(g) for g in grads]
    return {"logits": to_numpy(value["logits"]), "loss": as_float(value["loss"]), "grads": grads}
