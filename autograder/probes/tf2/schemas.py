"""What each TF2 probe returns (``autograder/probes/tf2/probes*.py``), by probe name.

Numpy only, read by the grader to check every reply (rules: ``autograder/schema.py``)."""

from __future__ import annotations

from autograder.probes.common.schemas import (
    BATCHING,
    DATA,
    DESCRIBE,
    EVALUATION,
    EVALUATIONS,
    FLOAT_OR_NONE,
    HISTORY,
    LEARNER_ERROR,
    REPORT,
    TYPE_NAME,
    VALUES,
)
from autograder.probes.pytorch.schemas import (
    GET_DEVICE_PRETEND_GPU,
    MODEL_FORWARD,
    MODEL_GRADIENTS,
    OPTIMIZER,
)
from autograder.schema import (
    Array,
    Bool,
    Choice,
    Dict,
    Float,
    Int,
    List,
    Map,
    Num,
    OneOf,
    Opt,
    Schema,
    Str,
    Tuple,
)

CALLS = List(
    Dict(
        required={
            "training": Choice("True", "False", "None", "tensor"),
            "eager": Bool(),
            "input_shape": List(Int(), 64),
        }
    )
)
"""``spies.SpyLinear.calls`` (Keras): one entry per call."""

DEVICE_KIND = Str(300)
"""``probes_model._device_kind``: ``GPU``, ``CPU`` or ``not a device: '<40 characters>'``."""

SCHEMAS: dict[str, Schema] = {
    **DATA,
    **REPORT,
    "datasets": BATCHING,
    "get_device_real": Dict(
        required={
            "gpu_available": Bool(),
            "logical_cpus": Int(min=0),
            "default": DEVICE_KIND,
            "no_gpu_wanted": DEVICE_KIND,
            "placed_on": DEVICE_KIND,
            "placement_error": Opt(Str(1200)),
        }
    ),
    "get_device_pretend_gpu": GET_DEVICE_PRETEND_GPU,
    "model_forward": MODEL_FORWARD,
    "model_gradients": MODEL_GRADIENTS,
    "loss": Dict(
        required={
            "value": FLOAT_OR_NONE,
            "returned": DESCRIBE,
            "grad": VALUES,
            "config": Map(OneOf(Bool(), Num(), Str(1000)), max_len=100),
            "model_log_probs": Bool(),
        }
    ),
    "optimizer": OPTIMIZER,
    "make_metrics": Dict(
        required={
            "keys": List(Str(1000), 1000),
            "types": Map(Str(1000)),
            "are_metrics": Bool(),
        },
        optional={
            "loss_result": FLOAT_OR_NONE,
            "accuracy_result": FLOAT_OR_NONE,
            "update_error": LEARNER_ERROR,
        },
    ),
    "evaluate_values": OneOf(
        Dict(required={"is_dict": Bool(), "returned": DESCRIBE}),
        Dict(
            required={
                "is_dict": Bool(),
                "loss": FLOAT_OR_NONE,
                "accuracy": FLOAT_OR_NONE,
                "second_loss": FLOAT_OR_NONE,
                "second_accuracy": FLOAT_OR_NONE,
                "keys": List(Str(1000), 1000),
            }
        ),
    ),
    "evaluate_modes": EVALUATION,
    "train_step": Dict(
        required={
            "returned": DESCRIBE,
            "losses": List(FLOAT_OR_NONE, 3),
            "weight": VALUES,
            "bias": VALUES,
            "calls": CALLS,
        },
        optional={"trace_losses": List(FLOAT_OR_NONE, 3)},
    ),
    "fit_run": Dict(
        required={
            "history_type": TYPE_NAME,
            "entries": HISTORY,
            "evaluations": EVALUATIONS,
            "steps": List(List(Tuple(Float(), Int()))),
            "traces": Int(min=0),
            "weights": List(Array("f"), 4),
        }
    ),
    "fit_keras": Dict(
        required={"entries": HISTORY, "weights": List(Array("f"), 4)},
        optional={"lrs_asked": List(FLOAT_OR_NONE, 10), "optimizer_lr": FLOAT_OR_NONE},
    ),
}
"""Every probe of ``autograder.probes.tf2.probes.PROBES``."""
