"""What each PyTorch probe returns (``autograder/probes/pytorch/probes*.py``), by probe name.

Numpy only, read by the grader to check every reply (rules: ``autograder/schema.py``)."""

from __future__ import annotations

from autograder.probes.common.instances import MODEL_BATCHES
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
    SHAPE,
    TYPE_NAME,
    VALUES,
)
from autograder.schema import (
    Array,
    Bool,
    Choice,
    Dict,
    Float,
    Int,
    List,
    OneOf,
    Opt,
    Schema,
    Str,
    Tuple,
)

DEVICE_TYPE = Str(1100)
"""``probes_nn._device_type``: a device type, or ``not a device: <type name>``."""

FORWARD = OneOf(
    Dict(required={"error": LEARNER_ERROR}),
    Dict(required={"out": DESCRIBE, "values": VALUES}),
)
"""One forward pass (``probes_nn._forward``; the TF2 probes' too): its output, or what it raised."""

MODEL_FORWARD = OneOf(
    Dict(required={"is_module": Bool(), "returned": DESCRIBE}),
    Dict(
        required={
            "is_module": Bool(),
            "shapes": Dict(required={str(n): FORWARD for n in MODEL_BATCHES}),
            "batch": FORWARD,
            "singles": List(FORWARD, 9),
            "default": FORWARD,
        }
    ),
)

MODEL_GRADIENTS = OneOf(
    Dict(required={"is_module": Bool(), "returned": DESCRIBE}),
    Dict(
        required={
            "is_module": Bool(),
            "n_params": Int(min=0),
            "without_grad": List(Str(1000)),
            "zero_grad": List(Str(1000)),
            "frozen": List(Str(1000)),
            "input_reached": Bool(),
            "train_out": FORWARD,
        }
    ),
)

_OPTIMIZER_RUN = Dict(
    required={
        "lrs": List(Float(), 1000),
        "type": Str(1000),
        "step": List(Float(), 10_000),
    },
    optional={"n_model": Int(min=0), "n_shared": Int(min=0)},  # PyTorch's
)
OPTIMIZER = OneOf(
    Dict(required={"is_optimizer": Bool(), "returned": DESCRIBE}),
    Dict(required={"a": _OPTIMIZER_RUN, "b": _OPTIMIZER_RUN, "is_optimizer": Bool()}),
)
"""``optimizer`` (TF2's has the same form)."""

GET_DEVICE_PRETEND_GPU = Dict(required={"default": DEVICE_TYPE, "no_gpu_wanted": DEVICE_TYPE})

_ACCURACY_ONE = OneOf(
    Dict(required={"error": LEARNER_ERROR}),
    Dict(required={"value": FLOAT_OR_NONE, "returned": DESCRIBE}),
)

CALLS = List(
    Dict(
        required={
            "training": Bool(),
            "grad_enabled": Bool(),
            "input_device": Str(300),
            "param_device": Str(300),
            "input_shape": SHAPE,
        },
        optional={"input": VALUES, "weight": VALUES, "bias": VALUES},
    )
)
"""``spies.SpyLinear.calls``: one entry per forward (placement runs add the values it saw)."""

_PLACEMENT = Dict(
    required={
        "target": Str(100),
        "forwards": CALLS,
        "losses": List(
            Dict(
                required={"logits_device": Str(300), "targets_device": Str(300)},
                optional={"value": FLOAT_OR_NONE},
            )
        ),
        "ended": Opt(LEARNER_ERROR),
    }
)
"""``probes_nn.placement_run``."""

_WALKED = List(
    Dict(
        required={"path": Str(4000), "type": Str(1000)},
        optional={"device": Str(100), "value": Str(40), "values": VALUES},
    )
)
"""``probes_nn._walk``: every node of a nested container, with tensors' device types."""

SCHEMAS: dict[str, Schema] = {
    **DATA,
    **REPORT,
    "loaders": BATCHING,
    "get_device_real": Dict(
        required={
            "cuda_available": Bool(),
            "default": DEVICE_TYPE,
            "no_gpu_wanted": DEVICE_TYPE,
        }
    ),
    "get_device_pretend_gpu": GET_DEVICE_PRETEND_GPU,
    "to_device": Dict(
        required={
            "target": Str(100),
            "before": _WALKED,
            "after": _WALKED,
            "single": Str(300),
            "single_values": VALUES,
        }
    ),
    "model_forward": MODEL_FORWARD,
    "model_gradients": MODEL_GRADIENTS,
    "loss": Dict(
        required={
            "value": FLOAT_OR_NONE,
            "returned": DESCRIBE,
            "grad": VALUES,
            "model_log_probs": Bool(),
        }
    ),
    "optimizer": OPTIMIZER,
    "accuracy": Dict(required={"wide": _ACCURACY_ONE, "square": _ACCURACY_ONE}),
    "evaluate_values": EVALUATION,
    "evaluate_modes": EVALUATION,
    "evaluate_placement": _PLACEMENT,
    "train_placement": _PLACEMENT,
    "fit_placement": _PLACEMENT,
    "train_sgd": Dict(
        required={
            "returned": DESCRIBE,
            "value": FLOAT_OR_NONE,
            "weight": VALUES,
            "bias": VALUES,
        },
        # in order, the backward passes and steps the probe logged: for messages only
        optional={"events": List(Choice("backward", "step", "step without gradient"), 200)},
    ),
    "train_mode": Dict(
        required={
            "returned": DESCRIBE,
            "value": FLOAT_OR_NONE,
            "weight": VALUES,
            "bias": VALUES,
        }
    ),
    "fit_run": Dict(
        required={
            "history_type": TYPE_NAME,
            "entries": HISTORY,
            "evaluations": EVALUATIONS,
            "steps": List(List(Tuple(FLOAT_OR_NONE, Int()))),
            "weights": List(Array("f"), 4),
        }
    ),
}
"""Every probe of ``autograder.probes.pytorch.probes.PROBES``."""
