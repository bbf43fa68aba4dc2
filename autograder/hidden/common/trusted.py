"""Known-good steps the probes need beside the learner's (fit's ``evaluate``, its metrics), kept
with the hidden tests so that no worker holds them while learner code runs.

A probe that needs one gets its source as a parameter of its request (``SOURCES``, through the
hidden test's ``params``) and compiles it there, after the learner's code has loaded: load-time
code cannot find it (it is not in the worker's memory, not in any module, not on a path the
worker can read), and the probes of other tests never see it, so an ``evaluate`` that calls the
grader's own evaluation is no longer possible. The functions are never called in the grader
(which imports no framework): only their source travels. Each runs in a namespace holding the
framework names it uses (``torch``, ``nn``; ``tf``, ``keras``; ``tf1``).
"""

# ruff: noqa: F821 - the framework names exist where the source runs (declared below for mypy)
from __future__ import annotations

import inspect
from typing import Any

torch: Any
nn: Any
tf: Any
keras: Any
tf1: Any


def pytorch_evaluate(log: list[dict[str, Any]], loaders: dict[str, Any]):  # noqa: ANN201
    """Stands in for the learner's ``evaluate`` in fit's probe: exact means over samples, every
    call logged with the loader it was given ("train", "test" or "other")."""

    def evaluate(model, loader, loss_fn, device):  # noqa: ANN001, ANN202
        name = next((n for n, known in loaders.items() if known is loader), "other")
        model.eval()
        total, correct, count = 0.0, 0, 0
        with torch.no_grad():
            for xb, yb in loader:
                xb, yb = xb.to(device), yb.to(device)
                logits = model(xb)
                total += float(nn.functional.cross_entropy(logits, yb, reduction="sum"))
                correct += int((logits.argmax(1) == yb).sum())
                count += len(yb)
        result = {"loss": total / count, "accuracy": correct / count}
        log.append({"loader": name, **result})
        return result

    return evaluate


def tf2_evaluate(log: list[dict[str, Any]], datasets: dict[str, Any]):  # noqa: ANN201
    """The same for TF2's fit (the metrics argument is not used)."""

    def evaluate(model, dataset, loss_fn, metrics=None):  # noqa: ANN001, ANN202
        name = next((n for n, known in datasets.items() if known is dataset), "other")
        total, correct, count = 0.0, 0, 0
        for xb, yb in dataset:
            logits = model(xb, training=False)
            per_sample = keras.losses.sparse_categorical_crossentropy(yb, logits, from_logits=True)
            total += float(tf.reduce_sum(per_sample))
            correct += int(tf.reduce_sum(tf.cast(tf.argmax(logits, 1) == yb, tf.int32)))
            count += int(tf.shape(yb)[0])
        result = {"loss": total / count, "accuracy": correct / count}
        log.append({"loader": name, **result})
        return result

    return evaluate


def tf2_metrics() -> dict[str, Any]:
    """Stands in for the learner's ``make_metrics`` in TF2's fit probe."""
    return {"loss": keras.metrics.Mean(), "accuracy": keras.metrics.SparseCategoricalAccuracy()}


def tf1_evaluate(handles, session, x, y, batch_size):  # noqa: ANN001, ANN201
    """Stands in for the learner's ``evaluate`` in TF1's train probe (the whole split at once)."""
    loss, acc = tf1.Session.run(
        session, [handles["loss"], handles["accuracy"]], {handles["x"]: x, handles["y"]: y}
    )
    return {"loss": float(loss), "accuracy": float(acc)}


def source(*functions: Any) -> str:
    """The source text of ``functions``, as a probe parameter."""
    return "\n\n".join(inspect.getsource(f) for f in functions)


PYTORCH_FIT = {"trusted": source(pytorch_evaluate)}
TF2_FIT = {"trusted": source(tf2_evaluate, tf2_metrics)}
TF1_TRAIN = {"trusted": source(tf1_evaluate)}
"""The ``params`` of the hidden tests whose probes need these stand-ins."""
