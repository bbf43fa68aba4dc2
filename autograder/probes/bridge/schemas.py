"""What each bridge probe returns, in both workers (``probes_torch.py``, ``probes_tf.py``), by
probe name (the two workers' names do not overlap).

Numpy only, read by the grader to check every reply (rules: ``autograder/schema.py``)."""

from __future__ import annotations

from autograder.probes.common.schemas import DESCRIBE, FLOAT_OR_NONE, VALUES
from autograder.schema import NUMERIC, Array, Bool, Dict, Int, List, Opt, Schema, Str, Tuple

OBSERVE = Dict(required={"describe": DESCRIBE, "values": VALUES})
"""``plain.observe``: a returned array's description and values."""

FORWARD_BACKWARD = Dict(
    required={"logits": VALUES, "loss": FLOAT_OR_NONE, "grads": List(VALUES, 1000)}
)
"""``plain.forward_backward_out`` with ``named=False``."""

_PARITY_CASE = Dict(
    required={
        "report": Dict(required={k: FLOAT_OR_NONE for k in ("logits", "loss", "grads")}),
        "ok": Opt(Bool()),
        "ok_tight": Opt(Bool()),
        "ok_loose": Opt(Bool()),
    }
)
_ACCUMULATION = Dict(
    required={
        "w": Array(NUMERIC, 2),
        "b": Array(NUMERIC, 1),
        "steps": Int(),
        "loss": FLOAT_OR_NONE,
    }
)
_MODULE_PLACED = Dict(
    required={"returned_module": Bool(), "devices": List(Str(100), 100), "values": List(VALUES, 4)}
)
_TORCH_PLACED = Dict(required={**DESCRIBE.required, "values": VALUES}, optional=DESCRIBE.optional)
_TF_PLACED = Dict(required={**DESCRIBE.required, "values": VALUES}, optional=DESCRIBE.optional)

SCHEMAS: dict[str, Schema] = {
    # PyTorch worker
    "layouts_torch": Dict(
        required={
            **{f"{k}_to_{d}": OBSERVE for k in ("numpy", "torch") for d in ("nhwc", "nchw")},
        }
    ),
    "channels_last": Dict(
        required={"x": OBSERVE},
        optional={
            "x_stored": Array(NUMERIC, 1),
            "weights_stored": List(Array(NUMERIC, 1), 100),
            "after": OBSERVE,
            "after_error": Str(1200),
        },
    ),
    "parity_torch": Dict(
        required={
            "logits": VALUES,
            "loss": FLOAT_OR_NONE,
            "grads": List(Tuple(Str(1000), VALUES), 1000),
        }
    ),
    "parity_report": Dict(
        required={
            "cases": Dict(required={k: _PARITY_CASE for k in ("agree", "grads_off", "loss_off")})
        }
    ),
    "accumulation_torch": _ACCUMULATION,
    "place_torch": Dict(
        required={
            "tensor_device": _TORCH_PLACED,
            "module_device": _MODULE_PLACED,
            "tensor_string": _TORCH_PLACED,
            "module_string": _MODULE_PLACED,
            "source_device": Str(100),
        }
    ),
    # TensorFlow worker
    "layouts_tf": Dict(
        required={
            "tf_to_nhwc": OBSERVE,
            "tf_to_nchw": OBSERVE,
        }
    ),
    "port": Dict(
        required={
            "nets": List(
                Dict(
                    required={"weights": List(Array(NUMERIC), 100), "logits": Array(NUMERIC)},
                    optional={"unchanged": Bool()},
                ),
                10,
            )
        }
    ),
    "parity_tf2": FORWARD_BACKWARD,
    "parity_tf1": FORWARD_BACKWARD,
    "accumulation_tf2": _ACCUMULATION,
    "place_tf": Dict(
        required={
            "/CPU:1": _TF_PLACED,
            "/CPU:0": _TF_PLACED,
        }
    ),
}
"""Every probe of ``probes_torch.PROBES`` and ``probes_tf.PROBES``."""
