"""Mutants of the TF1 reference: one per TF1 mistake of course-spec.md, plus valid alternatives
(``step=None``: full marks). Checked by ``tests/autograder/test_mutants.py``."""

from autograder.build import Mutant
from mutants_tf_common import COMMON  # the download, data and report code both notebooks share

_RUN_TRAIN = (
    '            _, loss = session.run(\n'
    '                [handles["train_op"], handles["loss"]],\n'
    '                feed_dict={handles["x"]: x[batch], handles["y"]: y[batch], handles["training"]: True},\n'
    "            )\n"
)

MUTANTS = [
    *COMMON,
    Mutant(
        "train_without_training_true",
        "train",
        "training=True",
        [(', handles["y"]: y[batch], handles["training"]: True},\n', ', handles["y"]: y[batch]},\n')],
    ),
    Mutant(
        "stats_from_all_data",
        "data",
        "from all the data",
        [("    mean, std = normalization_stats(images[train_idx])", "    mean, std = normalization_stats(images)")],
    ),
    Mutant(
        "fixed_batch_placeholder",
        "model",
        "fixed batch size",
        [
            ('        x = tf1.placeholder(tf.float32, [None, *input_shape], name="x")', '        x = tf1.placeholder(tf.float32, [64, *input_shape], name="x")'),
            ('        y = tf1.placeholder(tf.int64, [None], name="y")', '        y = tf1.placeholder(tf.int64, [64], name="y")'),
        ],
        example=True,
    ),
    Mutant(
        "default_graph",
        "model",
        "adds to the default graph",
        [
            ("tf1 = tf.compat.v1\n", "tf1 = tf.compat.v1\ntf1.disable_eager_execution()\n"),
            ("    graph = tf.Graph()\n    with graph.as_default():\n", "    graph = tf1.get_default_graph()\n    if True:\n"),
        ],
    ),
    Mutant(
        "loss_summed",
        "loss_opt",
        "summed over the batch",
        [("        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(", "        loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(")],
    ),
    Mutant(
        "accuracy_argmax_over_batch",
        "loss_opt",
        "argmax over axis 0",
        [("tf.equal(tf.argmax(logits, axis=1), y)", "tf.equal(tf.argmax(logits, axis=0), y)")],
    ),
    Mutant(
        "lr_ignored",
        "loss_opt",
        "lr argument is ignored",
        [("        train_op = tf1.train.AdamOptimizer(learning_rate=lr).minimize(loss)", "        train_op = tf1.train.AdamOptimizer(learning_rate=0.001).minimize(loss)")],
    ),
    Mutant(
        "init_before_optimizer",
        "loss_opt",
        "init created before the optimizer",
        [
            ("        train_op = tf1.train.AdamOptimizer(learning_rate=lr).minimize(loss)\n", "        init = tf1.global_variables_initializer()\n        train_op = tf1.train.AdamOptimizer(learning_rate=lr).minimize(loss)\n"),
            ("        init = tf1.global_variables_initializer()\n    return dict(", "    return dict("),
        ],
    ),
    Mutant(
        "evaluate_builds_ops",
        "metric",
        "added",
        [
            (
                "            [handles[\"loss\"], handles[\"accuracy\"]],\n            feed_dict={handles[\"x\"]: xb, handles[\"y\"]: yb, handles[\"training\"]: False},",
                "            [tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=handles[\"y\"], logits=handles[\"logits\"])),\n"
                "             handles[\"accuracy\"]],\n            feed_dict={handles[\"x\"]: xb, handles[\"y\"]: yb, handles[\"training\"]: False},",
            )
        ],
        example=True,
    ),
    Mutant(
        "evaluate_dropout_on",
        "metric",
        "training=True",
        [('            feed_dict={handles["x"]: xb, handles["y"]: yb, handles["training"]: False},', '            feed_dict={handles["x"]: xb, handles["y"]: yb, handles["training"]: True},')],
    ),
    Mutant(
        "evaluate_mean_of_batch_means",
        "metric",
        "per-batch means",
        [
            ("        total_loss += loss * len(xb)\n        total_acc += acc * len(xb)\n", "        total_loss += loss\n        total_acc += acc\n"),
            ('    return {"loss": float(total_loss / len(x)), "accuracy": float(total_acc / len(x))}', '    n = -(-len(x) // batch_size)\n    return {"loss": float(total_loss / n), "accuracy": float(total_acc / n)}'),
        ],
    ),
    Mutant(
        "ops_created_in_loop",
        "train",
        "graph grew",
        [
            (
                _RUN_TRAIN,
                _RUN_TRAIN.replace('[handles["train_op"], handles["loss"]]', '[handles["train_op"], tf.reduce_mean(handles["loss"])]'),
            )
        ],
        example=True,
    ),
    Mutant(
        "init_every_step",
        "train",
        "initialiser ran",
        [(_RUN_TRAIN, '            session.run(handles["init"])\n' + _RUN_TRAIN)],
        example=True,
    ),
    Mutant(
        "init_never",
        "train",
        "initialiser was never run",
        [('    session.run(handles["init"])\n    rng = np.random.default_rng(seed)', "    rng = np.random.default_rng(seed)")],
    ),
    Mutant(
        "wrong_split_fed",
        "train",
        "test split",
        [('    x, y = data["x_train"], data["y_train"]', '    x, y = data["x_test"], data["y_test"]')],
        example=True,
    ),
    # -- promises that had no mutant (docs/contract.md) ----------------------------------------
    Mutant(
        "train_evaluates_train_split",
        "train",
        "training split",
        [('        test = evaluate(handles, session, data["x_test"], data["y_test"], batch_size)', "        test = evaluate(handles, session, x, y, batch_size)")],
    ),
    Mutant(
        "tensorboard_step_is_index",
        "report",
        "step = epoch",
        [
            ("        for h in history:\n            values = [", "        for i, h in enumerate(history):\n            values = ["),
            ('global_step=h["epoch"])', "global_step=i)"),
        ],
    ),
    Mutant(
        "tensorboard_wrong_tags",
        "report",
        "tags",
        [
            ('tag="loss/train"', 'tag="train_loss"'),
            ('tag="loss/test"', 'tag="test_loss"'),
            ('tag="accuracy/test"', 'tag="test_accuracy"'),
        ],
    ),
    # -- batch norm in a graph (loss_opt)
    Mutant(
        "bn_training_flag_ignored",
        "loss_opt",
        "the training flag ignored",
        [("    mean, var = tf.cond(training, lambda: (batch_mean, batch_var), lambda: (tf.identity(moving_mean), tf.identity(moving_var)))", "    mean, var = batch_mean, batch_var")],
    ),
    Mutant(
        "bn_updates_not_collected",
        "loss_opt",
        "UPDATE_OPS",
        [("        tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update)\n", "        del update  # made, never collected\n")],
    ),
    Mutant(
        "bn_momentum_swapped",
        "loss_opt",
        "momentum and 1 - momentum swapped",
        [("momentum * moving + (1 - momentum) * batch)", "(1 - momentum) * moving + momentum * batch)")],
    ),
    Mutant(
        "bn_stats_over_channels_too",
        "loss_opt",
        "channels included",
        [("    batch_mean, batch_var = tf.nn.moments(h, axes=list(range(len(h.shape) - 1)))", "    batch_mean, batch_var = tf.nn.moments(h, axes=list(range(len(h.shape))))")],
    ),
    Mutant(
        "train_op_without_update_ops",
        "loss_opt",
        "update ops did not run",
        [("    with tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):\n        return optimizer.minimize(loss)", "    return optimizer.minimize(loss)")],
    ),
    # -- correct code in other styles: full marks ----------------------------------------------
    Mutant(
        "alt_gradient_descent_and_tf_variable",
        None,
        "",
        [
            ("        train_op = tf1.train.AdamOptimizer(learning_rate=lr).minimize(loss)", "        train_op = tf1.train.GradientDescentOptimizer(learning_rate=lr).minimize(loss)"),
            (
                '        kernel = tf1.get_variable("conv/kernel", [3, 3, input_shape[-1], 16], initializer=tf1.glorot_uniform_initializer())',
                "        kernel = tf.Variable(tf1.glorot_uniform_initializer()([3, 3, input_shape[-1], 16]), name=\"conv_kernel\")",
            ),
        ],
    ),
    Mutant(
        "alt_finalized_graph_and_unfed_default",
        None,
        "",
        [
            ('    session.run(handles["init"])\n    rng = np.random.default_rng(seed)', '    session.run(handles["init"])\n    handles["graph"].finalize()\n    rng = np.random.default_rng(seed)'),
            ('            feed_dict={handles["x"]: xb, handles["y"]: yb, handles["training"]: False},', '            feed_dict={handles["x"]: xb, handles["y"]: yb},'),
        ],
    ),
    Mutant(
        "alt_training_placeholder_without_default",
        None,
        "",
        [('        training = tf1.placeholder_with_default(False, [], name="training")', '        training = tf1.placeholder(tf.bool, [], name="training")')],
    ),
    Mutant(
        "alt_writer_left_open",
        None,
        "",
        [("        writer.close()\n    return Path(log_dir)", "    return Path(log_dir)")],
    ),
    Mutant(
        "alt_bn_nn_batch_normalization_and_group",
        None,
        "",
        [
            ("        update = tf1.assign(moving, momentum * moving + (1 - momentum) * batch)", "        update = tf1.assign_sub(moving, (1 - momentum) * (moving - batch))"),
            ("    return gamma * (h - mean) / tf.sqrt(var + epsilon) + beta", "    return tf.nn.batch_normalization(h, mean, var, offset=beta, scale=gamma, variance_epsilon=epsilon)"),
            (
                "    with tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):\n        return optimizer.minimize(loss)",
                "    step = optimizer.minimize(loss)\n    return tf.group(step, *tf1.get_collection(tf1.GraphKeys.UPDATE_OPS))",
            ),
        ],
    ),
]
