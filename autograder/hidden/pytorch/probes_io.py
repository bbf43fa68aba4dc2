"""Probes for the ``download`` and ``data`` steps (worker side)."""

from __future__ import annotations

from typing import Any

import torch

from autograder.hidden.common import probes_data
from autograder.hidden.pytorch.spies import describe, to_numpy
from autograder.worker.probe_api import LearnerError, ProbeContext


def _ids(batch_x: Any) -> list[int]:
    arr = to_numpy(batch_x)
    if arr is None:
        return []
    return [int(round(v)) for v in arr.reshape(arr.shape[0], -1)[:, 0]]


def _epoch(loader: Any) -> dict[str, Any]:
    ids, sizes, dtypes = [], [], set()
    for batch in loader:
        x, y = batch[0], batch[1]
        ids.extend(_ids(x))
        sizes.append(int(len(y)))
        dtypes.add((describe(x).get("dtype", "?"), describe(y).get("dtype", "?")))
    return {"ids": ids, "sizes": sizes, "dtypes": sorted("/".join(d) for d in dtypes)}


def loaders(ctx: ProbeContext) -> dict[str, Any]:
    n_train, n_test, batch = 43, 21, 8

    def tensors() -> tuple[torch.Tensor, ...]:
        x_train = torch.arange(n_train, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 3, 3)
        x_test = (
            (1000 + torch.arange(n_test, dtype=torch.float32)).view(-1, 1, 1, 1).expand(-1, 1, 3, 3)
        )
        return (
            x_train.contiguous(),
            torch.arange(n_train, dtype=torch.int64) % 10,
            x_test.contiguous(),
            torch.arange(n_test, dtype=torch.int64) % 10,
        )

    def make(seed: int) -> tuple[Any, Any]:
        result = ctx.call("make_loaders", *tensors(), batch_size=batch, seed=seed)
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise LearnerError(
                {
                    "function": "make_loaders",
                    "kind": "raised",
                    "type": "TypeError",
                    "message": "expected (train_loader, test_loader), got "
                    + describe(result)["type"],
                    "line": None,
                }
            )
        return result[0], result[1]

    def run(fn, *args):  # noqa: ANN001, ANN202 - iterating a learner loader runs learner code
        try:
            return fn(*args)
        except LearnerError:
            raise
        except BaseException as exc:  # noqa: BLE001
            from autograder.worker.probe_api import describe_exception

            raise LearnerError(describe_exception(exc, "make_loaders")) from None

    train_a, test_a = make(11)
    a1, a2 = run(_epoch, train_a), run(_epoch, train_a)
    train_b, _ = make(11)
    b1 = run(_epoch, train_b)
    train_c, _ = make(12)
    c1 = run(_epoch, train_c)
    test = run(_epoch, test_a)
    return {
        "n_train": n_train,
        "n_test": n_test,
        "batch": batch,
        "a1": a1,
        "a2": a2,
        "b1": b1,
        "c1": c1,
        "test": test,
    }


PROBES = {
    **probes_data.PROBES,
    "loaders": loaders,
}
