"""What the shared probes return (``probes_data``, ``probes_report``), and the shapes every probe
package builds on: ``describe()``, a learner error, a path's facts, one pass over batches.

Numpy only: the grader imports these to check replies (``autograder/hidden/replies.py``); the
rules of the schema language are in ``autograder/schema.py``.
"""

from __future__ import annotations

from autograder.schema import (
    NUMERIC,
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

TYPE_NAME = Str(1000)
"""``module.qualname`` of a learner's value (their classes may have long names)."""

SHAPE = List(Opt(Int()), 64)
"""A tensor's shape; TensorFlow may report unknown dimensions as None."""

DESCRIBE = Dict(
    required={
        "type": TYPE_NAME,
        "kind": Choice("tensor", "ndarray", "bool", "number", "other"),
    },
    optional={
        "dtype": Str(100),
        "shape": SHAPE,
        "device": Str(300),
        "requires_grad": Bool(),
        "has_graph": Bool(),
    },
)
"""``observe.describe(x)``."""

VALUES = Opt(Array(NUMERIC))
"""``observe.to_numpy(x)`` of what a learner returned: any numeric dtype, or None."""

FLOAT_OR_NONE = Opt(Float())
"""``observe.as_float(x)``."""

LEARNER_ERROR = Dict(
    required={
        "function": Str(200),
        "kind": Choice("missing", "not_implemented", "raised", "exit"),
        "type": Str(200),
        "message": Str(2000),
        "line": Opt(Int()),
    }
)
"""``probe_api.describe_exception`` / ``contract_error``: messages are clipped to ~400
characters, but a contract error quotes what the learner returned (key names, a type name),
hence the larger bound."""

LEARNER_ERROR_REPLY = Dict(required={"learner_error": LEARNER_ERROR})
"""The observation any probe may answer instead of its own: the learner's function failed."""

FILES = List(Str(4096), 1000)
"""Paths of files a learner's function wrote (relative to a directory)."""

PATH_FACTS = Dict(
    required={"returned": DESCRIBE, "is_path": Bool()},
    optional={"exists": Bool(), "in_cache": Bool(), "sha256": Str(64), "name": Str(255)},
)
"""``probes_data._path_facts``: the facts about a returned path exist only for a str or Path."""

EPOCH = Dict(
    required={
        "ids": List(Int()),
        "sizes": List(Int(min=0)),
        "batches": List(List(Int())),
        "dtypes": List(Str(300), 100),
    }
)
"""``probes_data._epoch``: sample ids of one pass, per batch, and the batches' dtypes."""

BATCHING = Dict(
    required={
        "n_train": Int(),
        "n_test": Int(),
        "batch": Int(),
        "a1": EPOCH,
        "a2": EPOCH,
        "b1": EPOCH,
        "c1": EPOCH,
        "test": EPOCH,
    }
)
"""``probes_data.batching`` (PyTorch ``loaders``, TF2 ``datasets``)."""


def _not_returned(flag: str) -> Dict:
    """``{flag: False, "returned": describe(x)}``: the learner returned the wrong kind of thing."""
    return Dict(required={flag: Bool(), "returned": DESCRIBE})


_STATS_ONE = OneOf(
    _not_returned("pair"),
    Dict(
        required={
            "pair": Bool(),
            "mean": Opt(Array("f", 1)),
            "std": Opt(Array("f", 1)),
            "mean_bytes": Opt(Array("u", 1)),
            "std_bytes": Opt(Array("u", 1)),
        }
    ),
)

_PREPARE_RUN = Dict(
    required={
        "x_train": VALUES,
        "y_train": VALUES,
        "x_test": VALUES,
        "y_test": VALUES,
        "x_train_info": DESCRIBE,
    }
)

EVALUATION = OneOf(
    _not_returned("is_dict"),
    Dict(
        required={
            "is_dict": Bool(),
            "loss": FLOAT_OR_NONE,
            "accuracy": FLOAT_OR_NONE,
            "keys": List(Str(1000), 1000),
        }
    ),
)
"""``observe.evaluation``: what an ``evaluate`` returned."""

_PREPROCESS_ONE = OneOf(
    _not_returned("pair"),
    Dict(
        required={
            "pair": Bool(),
            "x": DESCRIBE,
            "y": DESCRIBE,
            "x_values": VALUES,
            "y_values": VALUES,
            "x_bytes": Opt(Array("u", 1)),
            "y_bytes": Opt(Array("u", 1)),
        }
    ),
)

DATA: dict[str, Schema] = {
    "download_fetch": Dict(
        required={**PATH_FACTS.required, "cache_files": FILES}, optional=PATH_FACTS.optional
    ),
    "download_bad_checksum": Dict(
        required={
            "calls": List(
                Dict(
                    required={
                        **PATH_FACTS.required,
                        "raised": Opt(LEARNER_ERROR),
                        "target_exists": Bool(),
                        "cache_files": FILES,
                    },
                    optional=PATH_FACTS.optional,
                ),
                8,
            )
        }
    ),
    "download_cache": Dict(
        required={"first": PATH_FACTS, "second": Opt(PATH_FACTS), "raised": Opt(LEARNER_ERROR)},
        optional={"damaged": Opt(PATH_FACTS), "damaged_raised": Opt(LEARNER_ERROR)},
    ),
    "stats": Dict(required={"colour": _STATS_ONE, "grey": _STATS_ONE}),
    "prepare_data": OneOf(
        _not_returned("is_dict"),
        Dict(required={"is_dict": Bool(), "missing": List(Str(20), 4)}),
        Dict(required={"a": _PREPARE_RUN, "b": _PREPARE_RUN, "c": _PREPARE_RUN, "is_dict": Bool()}),
    ),
    "preprocess": Dict(required={"grey": _PREPROCESS_ONE, "colour": _PREPROCESS_ONE}),
}
"""``probes_data.PROBES``."""

REPORT: dict[str, Schema] = {
    "report": OneOf(
        _not_returned("is_dict"),
        Dict(required={"is_dict": Bool(), "values": Map(FLOAT_OR_NONE)}),
    ),
    "plot": OneOf(
        _not_returned("is_figure"),
        Dict(
            required={
                "is_figure": Bool(),
                "n_axes": Int(min=0),
                "lines": List(Dict(required={"x": Array("f", 1), "y": Array("f", 1)}), 1000),
            }
        ),
    ),
    "tensorboard": Dict(
        required={
            "scalars": Map(List(Tuple(Float(), Float())), key=Str(1000)),
            "n_files": Int(min=0),
        }
    ),
}
"""``probes_report.PROBES``."""

_ENTRY_VALUE = OneOf(Float(), TYPE_NAME)
HISTORY = Opt(List(Map(Opt(_ENTRY_VALUE), max_len=100), 1000))
"""A ``fit`` history as the probes record it: per epoch ``{key: as_float(value)}`` (an entry
that was not a dict: ``{"__type__": its type name}``), or None when fit returned no list."""

EVALUATIONS = List(
    Dict(required={"loader": Choice("train", "test", "other"), "loss": Num(), "accuracy": Num()}),
    1000,
)
"""The trusted ``evaluate`` stand-in's log (``fit_run`` probes)."""
