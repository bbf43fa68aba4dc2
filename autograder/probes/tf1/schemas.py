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
    Map,
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
            "accuracy": Float(),
            "y": Array("i", 1),
        }
    ),
)
"""One ``session.run`` of the learner's logits, loss and accuracy (``probes_graph.graph``)."""

FED = OneOf(Str(1000), List(Int(), 64), Map(Int(), max_len=10))
"""``RecordingSession``'s record of one fed value: a scalar's repr, a shape, or rows per split."""

SCHEMAS: dict[str, Schema] = {
    **DATA,
    **REPORT,
    "graph": Dict(
        required={
            "is_graph": Bool(),
            "is_default_graph": Bool(),
            "x_shape": Opt(SHAPE),
            "y_shape": Opt(SHAPE),
            "runs": Dict(required={n: _RUN for n in ("1", "5", "13", "fit")}),
            "separate_graphs": Bool(),
            "second_error": Opt(LEARNER_ERROR),
        }
    ),
    "graph_lr": Dict(required={"lrs": List(Float()), "lr_given": Float()}),
    "evaluate_graph": OneOf(
        Dict(required={"is_dict": Bool(), "returned": DESCRIBE}),
        Dict(
            required={
                "is_dict": Bool(),
                "loss": FLOAT_OR_NONE,
                "accuracy": FLOAT_OR_NONE,
                "grown": Int(),
                "training_fed": List(FED),
                "runs": Int(min=0),
            }
        ),
    ),
    "train_graph": Dict(
        required={
            "grown": Int(),
            "init_runs": Int(min=0),
            "train_steps": Int(min=0),
            "train_rows": Dict(required={"train": Int(min=0), "test": Int(min=0)}),
            "entries": HISTORY,
            "final_accuracy": Float(),
        }
    ),
}
"""Every probe of ``autograder.probes.tf1.probes.PROBES``."""
