"""Probes for the ``report`` step (worker side): the learner writes TensorBoard events with
their framework's own API; they are read back with ``course_utils.events``."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.probes.common import instances as inst
from autograder.probes.common.observe import as_float, describe
from autograder.worker.probe_api import ProbeContext
from course_utils.events import settled_scalars


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


def tensorboard(ctx: ProbeContext) -> dict[str, Any]:
    log_dir = ctx.scratch / "runs" / "probe"
    history = inst.history(ctx.seed)
    ctx.call("log_to_tensorboard", history, str(log_dir))
    return {  # three series of one value per epoch: waited for, from writers left open too
        "scalars": settled_scalars(log_dir, expected=3 * len(history)),
        "n_files": len(list(log_dir.rglob("events.out.tfevents.*"))),
    }


PROBES = {"report": report, "plot": plot, "tensorboard": tensorboard}
