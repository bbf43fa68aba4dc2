"""The hidden tests of the ``bridge`` assignment: PyTorch probes in one worker, TensorFlow probes
in another, verdicts here. Grader side: numpy only."""

from __future__ import annotations

from functools import partial
from typing import Any

from autograder.hidden.base import Suite, WorkerSpec
from autograder.hidden.bridge import verdicts as v
from autograder.hidden.common import suite_parts as parts

_t = parts.test
TF = "tensorflow"
TOLERANCES = {"logits": 1e-5, "loss": 1e-6, "grads": 1e-5}
ACCUMULATION: dict[str, Any] = {"k": 3, "micro": 4, "windows": 2, "lr": 0.5}
_TF = {"worker": TF, "timeout_s": 60}


def _diagnose_port(info: dict) -> str | None:  # type: ignore[type-arg]
    message = str(info.get("message", ""))
    if "shape" in message.lower():
        return (
            "Keras wants conv kernels as (kH, kW, in, out) and dense kernels as (in, out), in "
            "get_weights() order (kernel, bias per layer)"
        )
    if "has no attribute 'numpy'" in message or "has no attribute 'detach'" in message:
        return "the PyTorch weights arrive as numpy arrays (np.asarray works for both)"
    return None


def _diagnose_grads(info: dict) -> str | None:  # type: ignore[type-arg]
    if "'NoneType' object has no attribute" in str(info.get("message", "")):
        return (
            "a gradient is None: the forward pass ran outside the tape (or the loss was not "
            "computed from the model's variables), so the tape recorded nothing to differentiate"
        )
    return None


TESTS = [
    _t("layout_numpy", "layouts", 1, "layouts_torch", partial(v.layouts, kind="numpy"), "converting numpy batches between NCHW and NHWC"),
    _t("layout_torch", "layouts", 2, "layouts_torch", partial(v.layouts, kind="torch"), "converting torch batches between NCHW and NHWC"),
    _t("layout_tf", "layouts", 2, "layouts_tf", partial(v.layouts, kind="tf"), "converting tf batches between NCHW and NHWC", **_TF),
    _t("channels_last_memory_format", "layouts", 3, "channels_last", v.channels_last, "converting a model and a batch to channels-last"),
    _t("port_conv_kernels", "port", 3, "port", v.port_conv, "porting two PyTorch CNNs to Keras", diagnose=_diagnose_port, **_TF),
    _t("port_dense_after_flatten", "port", 3, "port", v.port_dense_after_flatten, "porting two PyTorch CNNs to Keras", diagnose=_diagnose_port, **_TF),
    _t("port_logits_match", "port", 2, "port", v.port_logits, "comparing the ported models' logits with PyTorch's", diagnose=_diagnose_port, **_TF),
    _t("parity_torch", "parity", 2, "parity_torch", v.parity_torch, "a PyTorch forward and backward pass"),
    _t("parity_tf2", "parity", 2, "parity_tf2", partial(v.parity_tf, fn="forward_backward_tf2"), "a TF2 forward and backward pass", diagnose=_diagnose_grads, **_TF),
    _t("parity_tf1", "parity", 2, "parity_tf1", partial(v.parity_tf, fn="forward_backward_tf1"), "a TF1 graph forward and backward pass", **_TF),
    _t("parity_report_values", "parity", 2, "parity_report", partial(v.parity_report, tolerances=TOLERANCES), "reporting parity of known results", params={"tolerances": TOLERANCES}),
    _t("accumulation_torch", "accumulation", 4, "accumulation_torch", partial(v.accumulation, **ACCUMULATION), "training with gradient accumulation in PyTorch", params=ACCUMULATION),
    _t("accumulation_tf2", "accumulation", 4, "accumulation_tf2", partial(v.accumulation, **ACCUMULATION), "training with gradient accumulation in TF2", params=ACCUMULATION, diagnose=_diagnose_grads, **_TF),
    _t("place_torch", "placement", 2, "place_torch", v.place_torch, "placing tensors and modules on the meta device"),
    _t("place_tf", "placement", 2, "place_tf", v.place_tf, "placing a tensor on a second logical CPU", **_TF),
]  # fmt: skip

SUITE = Suite(
    assignment="bridge",
    version="bridge-4",
    probes_module="autograder.probes.bridge.probes_torch",
    blocked_modules=["jax"],
    tests=TESTS,
    label="PyTorch",
    more_workers={
        TF: WorkerSpec("autograder.probes.bridge.probes_tf", ["jax"], "TensorFlow"),
    },
)
