"""The course's assignments: one record each, the single place that names an assignment.

Each record names the assignment's notebook, its steps, and the modules of its public checks and
practice checks; the grader adds its own part (source, hidden-test suite, mutants) in
``autograder.assignments`` from the same record. Every registry of the course and every test
parametrisation is derived from :data:`ASSIGNMENTS`: adding an assignment is one record here
plus its files in the places the record names.
"""

from __future__ import annotations

from dataclasses import dataclass

STEPS = ("download", "data", "model", "loss_opt", "metric", "train", "report")
"""The seven pipeline steps of the framework assignments."""
BRIDGE_STEPS = ("layouts", "port", "parity", "accumulation", "placement")


@dataclass(frozen=True)
class CourseAssignment:
    """What the course says of an assignment, to learners and grader alike."""

    name: str
    """Short id used on the command line and in notebook metadata, e.g. ``pytorch``."""
    stem: str
    """File name without suffix, numbered: ``01_pytorch_pipeline``. The notebook is
    ``assignments/<stem>.ipynb``; its source, ``solutions/<stem>.py``."""
    title: str
    framework: str
    """``torch``, ``tensorflow`` or both (``torch+tensorflow``): the workers that grade it."""
    steps: tuple[str, ...] = STEPS

    @property
    def frameworks(self) -> tuple[str, ...]:
        """The framework modules its workers import: ``("torch", "tensorflow")`` for both."""
        return tuple(self.framework.split("+"))

    @property
    def number(self) -> str:
        """``01``: the prefix learners' own file names carry (``01_my_pipeline.py``)."""
        return self.stem[:2]

    @property
    def notebook(self) -> str:
        """Generated student notebook, relative to the repository root."""
        return f"assignments/{self.stem}.ipynb"

    @property
    def checks(self) -> str:
        """Module of the public checks ``check(step)`` runs (``CHECKS[step]``)."""
        return f"course_utils.checks.{self.name}"

    @property
    def practice(self) -> str:
        """Module of the practice checks (``PRACTICE[step]``)."""
        return f"course_utils.practice.{self.name}"


ASSIGNMENTS: dict[str, CourseAssignment] = {
    a.name: a
    for a in (
        CourseAssignment(
            name="pytorch",
            stem="01_pytorch_pipeline",
            title="Assignment 1: the deep-learning pipeline in PyTorch",
            framework="torch",
        ),
        CourseAssignment(
            name="tf2",
            stem="02_tf2_pipeline",
            title="Assignment 2: the same pipeline in TensorFlow 2",
            framework="tensorflow",
        ),
        CourseAssignment(
            name="tf1",
            stem="03_tf1_graph_pipeline",
            title="Assignment 3: the pipeline as a TF1 static graph",
            framework="tensorflow",
        ),
        CourseAssignment(
            name="bridge",
            stem="04_bridge",
            title="Assignment 4: the bridge between PyTorch and TensorFlow",
            framework="torch+tensorflow",
            steps=BRIDGE_STEPS,
        ),
    )
}
"""Every assignment of the course, in course order."""

ALL_STEPS: tuple[str, ...] = tuple(dict.fromkeys(s for a in ASSIGNMENTS.values() for s in a.steps))
"""Every step of the course, in the order tables and reports show them."""


def by_number(number: str) -> CourseAssignment | None:
    """The assignment whose files start with ``number`` (``"01"``), if any."""
    return next((a for a in ASSIGNMENTS.values() if a.number == number), None)
