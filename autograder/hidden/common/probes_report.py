"""Probes for the ``report`` step (worker side): the learner writes TensorBoard events with
their framework's own API; they are read back here with a plain TFRecord reader."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from autograder.hidden.common import instances as inst
from autograder.hidden.common.observe import as_float, describe
from autograder.worker.probe_api import ProbeContext


def report(ctx: ProbeContext) -> dict[str, Any]:
    train, test = inst.final_metrics(ctx.seed)
    result = ctx.call("report", inst.history(ctx.seed), dict(train), dict(test))
    if not isinstance(result, dict):
        return {"is_dict": False, "returned": describe(result)}
    return {"is_dict": True, "values": {str(k): as_float(v) for k, v in result.items()}}


def plot(ctx: ProbeContext) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = ctx.call("plot_history", inst.history(ctx.seed))
    if not isinstance(fig, Figure):
        return {"is_figure": False, "returned": describe(fig)}
    lines = []
    for ax in fig.axes:
        for line in ax.get_lines():
            lines.append(
                {
                    "x": np.asarray(line.get_xdata(), dtype=np.float64),
                    "y": np.asarray(line.get_ydata(), dtype=np.float64),
                }
            )
    return {"is_figure": True, "n_axes": len(fig.axes), "lines": lines}


def _read_records(path: Path):  # noqa: ANN202
    """TFRecord framing: length (u64), crc (u32), data, crc (u32)."""
    data = path.read_bytes()
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        pos += 12
        yield data[pos : pos + length]
        pos += length + 4


def _scalars(log_dir: Path) -> dict[str, list[list[float]]]:
    from tensorboard.compat.proto import event_pb2

    found: dict[str, list[list[float]]] = {}
    for path in sorted(log_dir.rglob("events.out.tfevents.*")):
        for record in _read_records(path):
            event = event_pb2.Event.FromString(record)
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    number = value.simple_value
                elif value.HasField("tensor") and value.tensor.float_val:
                    number = value.tensor.float_val[0]
                elif value.HasField("tensor") and value.tensor.tensor_content:  # tf.summary v2
                    dtype = {1: "<f4", 2: "<f8"}.get(value.tensor.dtype)
                    if dtype is None:
                        continue
                    number = float(np.frombuffer(value.tensor.tensor_content, dtype=dtype)[0])
                else:
                    continue
                found.setdefault(value.tag, []).append([float(event.step), float(number)])
    return found


def tensorboard(ctx: ProbeContext) -> dict[str, Any]:
    log_dir = ctx.scratch / "runs" / "probe"
    ctx.call("log_to_tensorboard", inst.history(ctx.seed), str(log_dir))
    return {
        "scalars": _scalars(log_dir),
        "n_files": len(list(log_dir.rglob("events.out.tfevents.*"))),
    }


PROBES = {"report": report, "plot": plot, "tensorboard": tensorboard}
