"""What each TF1 probe returns (``autograder/probes/tf1/probes*.py``), by probe name.

Numpy only, read by the grader to check every reply (rules: ``autograder/schema.py``)."""

from __future__ import annotations

from autograder.probes.common.schemas import (
    DATA,
    DESCRIBE,
    FLOAT_OR_NONE,
    HISTORY,
    LEARNER_ERROR,
    REPORT,
    SHAPE,
)
from autograder.schema import (
    NUMERIC,
    Array,
    Bool,
    Dict,
    Float,
    Int,
    List,
    OneOf,
    Opt,
    Schema,
    Str,
)

_RUN = OneOf(
    Dict(required={"error": LEARNER_ERROR}),
    Dict(
        required={
            "logits": Opt(Array(NUMERIC)),
            "loss": Float(),
            "accuracy": Opt(Float()),
            "y": Array("i", 1),
        },
        optional={"accuracy_error": LEARNER_ERROR},
    ),
)
"""One ``session.run`` of the learner's logits, loss and accuracy (``probes_graph.graph``)."""


_LR_STEP = OneOf(
    Dict(required={"error": LEARNER_ERROR}),
    Dict(
        required={
            "step": Array("f", 1, max_size=4096),
            "grad": Array("f", 1, max_size=4096),
            "lrs": List(Float()),
        }
    ),
)
"""``probes_graph._one_step``: one train_op step (variables after minus before, flat), the
gradient of the loss at the same point, and the float constants of the graph; or what failed."""

_STEPS = List(
    Dict(required={"rows": List(Int(min=-1), 10_000), "labels": List(Int(), 10_000)}), 2000
)
"""``probes_graph._StepLog.steps``: per run of the training op, the data rows and labels fed."""

_BN_OUT = Array(NUMERIC, max_size=4096)
"""One output of the learner's ``batch_norm`` on the (6, 3, 3, 4) seed batch (any shape: the
verdict says what a wrong one means)."""
_VECTOR = Array("f", 1, max_size=64)

SCHEMAS: dict[str, Schema] = {
    **DATA,
    **REPORT,
    "graph": Dict(
        required={
            "is_graph": Bool(),
            "is_default_graph": Bool(),
            "x_shape": Opt(SHAPE),
            "y_shape": Opt(SHAPE),
            "runs": Dict(required={n: _RUN for n in ("1", "5", "13", "26", "fit", "training")}),
            "separate_graphs": Bool(),
            "second_error": Opt(LEARNER_ERROR),
        }
    ),
    "graph_lr": Dict(required={"a": _LR_STEP, "b": _LR_STEP}),
    "evaluate_graph": OneOf(
        Dict(required={"is_dict": Bool(), "returned": DESCRIBE}),
        Dict(
            required={
                "is_dict": Bool(),
                "loss": FLOAT_OR_NONE,
                "accuracy": FLOAT_OR_NONE,
                "finalized": Dict(
                    optional={"loss": FLOAT_OR_NONE, "accuracy": FLOAT_OR_NONE, "error": Str(1000)}
                ),
            }
        ),
    ),
    "train_graph": Dict(
        required={
            "steps": _STEPS,
            "inits": List(Int(min=0), 2000),
            "w": Array("f", 2),
            "b": Array("f", 1),
            "entries": HISTORY,
            "finalized": OneOf(
                Dict(required={"error": Str(1000)}),
                Dict(
                    required={
                        "steps": _STEPS,
                        "inits": List(Int(min=0), 2000),
                        "w": Array("f", 2),
                        "b": Array("f", 1),
                    },
                    optional={"entries": HISTORY},
                ),
            ),
        }
    ),
    "batch_norm": Dict(
        required={
            "variables": List(Str(200), 50),
            "trainable": List(Str(200), 50),
            "updates": Int(min=0),
            "training": _BN_OUT,
            "inference": _BN_OUT,
            "moving": Dict(optional={"moving_mean": _VECTOR, "moving_variance": _VECTOR}),
            "inference_after": _BN_OUT,
        }
    ),
    "bn_train_op": Dict(
        required={
            "moving_mean": _VECTOR,
            "moving_variance": _VECTOR,
            "w": Array("f", 2, max_size=64),
            "b": _VECTOR,
        }
    ),
}
"""Every probe of ``autograder.probes.tf1.probes.PROBES``."""
