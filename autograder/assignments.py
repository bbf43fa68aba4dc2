"""The assignments of the course: names, sources, notebooks."""

from __future__ import annotations

from dataclasses import dataclass

from course_utils.errors import CourseError

STEPS = ("download", "data", "model", "loss_opt", "metric", "train", "report")
"""The seven pipeline steps of the framework assignments."""
BRIDGE_STEPS = ("layouts", "port", "parity", "accumulation", "placement")
ALL_STEPS = STEPS + BRIDGE_STEPS
"""Every step of the course, in the order tables and reports show them."""


class UnknownAssignmentError(CourseError, KeyError):
    """An assignment name the course does not have."""


@dataclass(frozen=True)
class Assignment:
    name: str
    """Short id used on the command line and in notebook metadata, e.g. ``pytorch``."""
    title: str
    source: str
    """Single source of truth, relative to the repository root (``solutions/...``)."""
    notebook: str
    """Generated student notebook, relative to the repository root (``assignments/...``)."""
    framework: str
    steps: tuple[str, ...] = STEPS


ASSIGNMENTS: dict[str, Assignment] = {
    a.name: a
    for a in (
        Assignment(
            name="pytorch",
            title="Assignment 1: the deep-learning pipeline in PyTorch",
            source="solutions/01_pytorch_pipeline.py",
            notebook="assignments/01_pytorch_pipeline.ipynb",
            framework="torch",
        ),
        Assignment(
            name="tf2",
            title="Assignment 2: the same pipeline in TensorFlow 2",
            source="solutions/02_tf2_pipeline.py",
            notebook="assignments/02_tf2_pipeline.ipynb",
            framework="tensorflow",
        ),
        Assignment(
            name="tf1",
            title="Assignment 3: the pipeline as a TF1 static graph",
            source="solutions/03_tf1_graph_pipeline.py",
            notebook="assignments/03_tf1_graph_pipeline.ipynb",
            framework="tensorflow",
        ),
        Assignment(
            name="bridge",
            title="Assignment 4: the bridge between PyTorch and TensorFlow",
            source="solutions/04_bridge.py",
            notebook="assignments/04_bridge.ipynb",
            framework="torch+tensorflow",
            steps=BRIDGE_STEPS,
        ),
    )
}


def get_assignment(name: str) -> Assignment:
    try:
        return ASSIGNMENTS[name]
    except KeyError:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise UnknownAssignmentError(
            f"unknown assignment {name!r}; expected one of: {known}"
        ) from None
