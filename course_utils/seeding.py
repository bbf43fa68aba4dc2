"""Seed every random number generator a pipeline may use, without importing a framework."""

from __future__ import annotations

import os
import random
import sys

import numpy as np


def seed_everything(seed: int) -> list[str]:
    """Seed ``random``, numpy, and torch / tensorflow when they are already imported.

    Frameworks are seeded only if the caller imported them: seeding never pays for (or forces)
    an import. Returns the names of what was seeded, e.g. ``["random", "numpy", "torch"]``.
    """
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ["PYTHONHASHSEED"] = str(seed)
    seeded = ["random", "numpy"]
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
        seeded.append("torch")
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(tf, "random"):
        tf.random.set_seed(seed)
        seeded.append("tensorflow")
    return seeded
