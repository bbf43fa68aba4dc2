"""The stand-in for the framework a worker does not load (bridge assignment)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

_LEARNER = """
import numpy as np
import tensorflow as tf
from tensorflow import keras
import keras.layers as L
from tensorflow.keras import layers

@tf.function
def step(x):
    return x + 1

@tf.function(reduce_retracing=True)
def step2(x):
    return x

class Net(keras.Model):
    def call(self, x):
        return x

EPS = tf.keras.backend.epsilon() * 10
DEVICE = tf.device("/CPU:0")
with tf.device("/CPU:0"):
    pass

def to_nhwc(x):
    if tf.is_tensor(x):
        return "tf"
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return "tf too"
    if isinstance(x, np.ndarray):
        return np.transpose(x, (0, 2, 3, 1)).shape
    return "other"

def uses_tf(x):
    return tf.transpose(x)
"""

_SCRIPT = """
import sys
from autograder.worker import standins
standins.install(["tensorflow", "keras"])
ns = {}
exec(compile(open(sys.argv[1]).read(), "learner", "exec"), ns)
standins.strict()
import numpy as np
print(ns["to_nhwc"](np.zeros((1, 2, 3, 4))), ns["to_nhwc"]([1]), ns["step"](1), ns["step2"](2))
print(isinstance(ns["Net"], type), "tensorflow.python" in sys.modules)
try:
    ns["uses_tf"](1)
except standins.FrameworkNotLoaded as exc:
    print("refused:", exc)
try:
    ns["Net"]()
except standins.FrameworkNotLoaded as exc:
    print("refused:", str(exc)[:40])
"""


def test_two_framework_code_loads_beside_a_stand_in(tmp_path):
    """Does a notebook that imports and decorates with TensorFlow load in a process without it,
    see no TensorFlow object there, and get a clear error only when it really uses TensorFlow?"""
    learner = tmp_path / "learner.py"
    learner.write_text(_LEARNER)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCRIPT), str(learner)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.splitlines()  # fmt: skip
    assert out[0] == "(1, 3, 4, 2) other 2 2"
    assert out[1] == "True False", "a stand-in must not import the real TensorFlow"
    assert out[2].startswith("refused: `tensorflow.transpose` belongs to TensorFlow")
    assert "does not load" in out[2]
    assert out[3].startswith("refused: `tensorflow.keras.Model` belongs")


def test_a_loaded_framework_is_never_replaced():
    """Does installing a stand-in for a framework that is already imported fail loudly?"""
    code = (
        "import numpy, pytest\n"
        "from autograder.worker import standins\n"
        "with pytest.raises(RuntimeError, match='loaded already'):\n"
        "    standins.install(['numpy'])\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "ok", out.stderr
