"""TF1 probes of batch norm in a graph (worker side): the learner's ``batch_norm`` on a known
batch in both modes and after its update ops ran, and the learner's ``minimize_with_updates``
on a trusted graph with batch norm. The grader recomputes every value from the seed."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from autograder.probes.common import instances as inst
from autograder.probes.common.observe import describe
from autograder.worker.probe_api import ProbeContext, contract_error, run_learner

tf1 = tf.compat.v1
MOVING = ("moving_mean", "moving_variance")


def _variables(scope: str) -> dict[str, Any]:
    return {v.op.name.removeprefix(f"{scope}/"): v for v in tf1.global_variables()}


def batch_norm(ctx: ProbeContext) -> dict[str, Any]:
    """``batch_norm`` in a new graph on a (None, 3, 3, 4) placeholder: its output for the seed
    batch with ``training`` True and False, the variables it made, how many ops it put in
    ``UPDATE_OPS``, the moving statistics after running those ops once on the batch, and the
    inference output then."""
    x = inst.bn_batch(ctx.seed)
    graph = tf.Graph()
    with graph.as_default():
        h = tf1.placeholder(tf.float32, [None, *x.shape[1:]], name="h")
        training = tf1.placeholder_with_default(False, [], name="training")
        out = ctx.call(
            "batch_norm", h, training, "bn", momentum=inst.BN_MOMENTUM, epsilon=inst.BN_EPSILON
        )
        if not isinstance(out, tf.Tensor):
            raise contract_error("batch_norm", f"expected a tensor; got {describe(out)['type']}")
        updates = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
        variables = _variables("bn")
        trainable = sorted(v.op.name.removeprefix("bn/") for v in tf1.trainable_variables())
        init = tf1.global_variables_initializer()
    obs: dict[str, Any] = {
        "variables": sorted(variables)[:50],
        "trainable": trainable[:50],
        "updates": len(updates),
    }
    with tf1.Session(graph=graph) as session:
        run_learner("batch_norm", session.run, init)
        obs["training"] = run_learner("batch_norm", session.run, out, {h: x, training: True})
        obs["inference"] = run_learner("batch_norm", session.run, out, {h: x, training: False})
        if updates:
            run_learner("batch_norm", session.run, updates, {h: x, training: True})
        obs["moving"] = {
            name: np.asarray(session.run(variables[name]), np.float32)
            for name in MOVING
            if name in variables
        }
        obs["inference_after"] = run_learner(
            "batch_norm", session.run, out, {h: x, training: False}
        )
    return obs


def _trusted_batch_norm(h: Any, training: Any) -> tuple[Any, Any, Any]:
    """The grader's own batch norm (the reference's maths), its update ops in UPDATE_OPS."""
    channels = h.shape[-1]
    with tf1.variable_scope("bn"):
        mean_var = tf1.get_variable("moving_mean", [channels], initializer=tf1.zeros_initializer(),
                                    trainable=False)  # fmt: skip
        var_var = tf1.get_variable("moving_variance", [channels],
                                   initializer=tf1.ones_initializer(), trainable=False)  # fmt: skip
    batch_mean, batch_var = tf.nn.moments(h, axes=[0])
    m = inst.BN_MOMENTUM
    for moving, batch in ((mean_var, batch_mean), (var_var, batch_var)):
        tf1.add_to_collection(
            tf1.GraphKeys.UPDATE_OPS, tf1.assign(moving, m * moving + (1 - m) * batch)
        )
    mean, var = tf.cond(
        training,
        lambda: (batch_mean, batch_var),
        lambda: (tf.identity(mean_var), tf.identity(var_var)),
    )
    return (h - mean) / tf.sqrt(var + inst.BN_EPSILON), mean_var, var_var


def bn_train_op(ctx: ProbeContext) -> dict[str, Any]:
    """``minimize_with_updates`` with plain gradient descent on a trusted graph (batch norm, then
    a dense layer of known weights): the moving statistics and weights after one run of the
    op it returns, fed the seed batch with ``training`` True."""
    x, y, weight, bias = inst.bn_dense_problem(ctx.seed)
    graph = tf.Graph()
    with graph.as_default():
        xs = tf1.placeholder(tf.float32, [None, x.shape[1]], name="x")
        ys = tf1.placeholder(tf.int64, [None], name="y")
        training = tf1.placeholder_with_default(False, [], name="training")
        normed, moving_mean, moving_var = _trusted_batch_norm(xs, training)
        w = tf1.get_variable("w", initializer=tf.constant(weight))
        b = tf1.get_variable("b", initializer=tf.constant(bias))
        logits = tf.matmul(normed, w) + b
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ys, logits=logits)
        )
        optimizer = tf1.train.GradientDescentOptimizer(inst.BN_LR)
        op = ctx.call("minimize_with_updates", optimizer, loss)
        if not isinstance(op, tf.Operation | tf.Tensor):
            got = describe(op)["type"]
            raise contract_error("minimize_with_updates", f"expected an op; got {got}")
        init = tf1.global_variables_initializer()
    with tf1.Session(graph=graph) as session:
        session.run(init)
        run_learner("minimize_with_updates", session.run, op, {xs: x, ys: y, training: True})
        values = session.run({"moving_mean": moving_mean, "moving_variance": moving_var,
                              "w": w, "b": b})  # fmt: skip
    return {k: np.asarray(v, np.float32) for k, v in values.items()}


PROBES = {"batch_norm": batch_norm, "bn_train_op": bn_train_op}
