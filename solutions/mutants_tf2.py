"""Mutants of the TF2 reference: one per TensorFlow 2 mistake of course-spec.md, plus valid
alternatives (``step=None``: full marks). Checked by ``tests/autograder/test_tf2_mutants.py``."""

from autograder.build import Mutant
from mutants_tf_common import COMMON  # the download, data and report code both notebooks share

MUTANTS = [
    *COMMON,
    Mutant(
        "metrics_plain_accuracy",
        "metric",
        "SparseCategoricalAccuracy",
        [('    return {"loss": keras.metrics.Mean(), "accuracy": keras.metrics.SparseCategoricalAccuracy()}', '    return {"loss": keras.metrics.Mean(), "accuracy": keras.metrics.Accuracy()}')],
    ),
    Mutant(
        "fit_keras_ignores_lr",
        "train",
        "lr argument is ignored",
        [("    model.compile(optimizer=make_optimizer(lr), ", "    model.compile(optimizer=make_optimizer(1e-3), ")],
    ),
    # -- data ----------------------------------------------------------------------------------
    Mutant(
        "stats_from_all_data",
        "data",
        "from all the data",
        [("    mean, std = normalization_stats(images[train_idx])", "    mean, std = normalization_stats(images)")],
        example=True,
    ),
    Mutant(
        "nchw_into_channels_last_model",
        "data",
        "NCHW",
        [
            (
                "    return x.astype(np.float32), np.asarray(labels).astype(np.int64)",
                "    x = x.transpose(0, 3, 1, 2)  # PyTorch habit: channels first\n"
                "    return x.astype(np.float32), np.asarray(labels).astype(np.int64)",
            )
        ],
        example=True,
    ),
    Mutant(
        "float64_images",
        "data",
        "expected float32",
        [("    return x.astype(np.float32), np.asarray(labels).astype(np.int64)", "    return x.astype(np.float64), np.asarray(labels).astype(np.int64)")],
    ),
    Mutant(
        "shuffle_after_batch",
        "data",
        "shuffled after batching",
        [
            (
                "        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)\n        .batch(batch_size)",
                "        .batch(batch_size)\n        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)",
            )
        ],
        example=True,
    ),
    Mutant(
        "test_dataset_shuffled",
        "data",
        "test dataset is shuffled",
        [
            (
                "    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(batch_size)",
                "    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).shuffle(len(x_test)).batch(batch_size)",
            )
        ],
    ),
    # -- model and devices ---------------------------------------------------------------------
    Mutant(
        "hardcoded_gpu",
        "model",
        "'/GPU:0' written literally",
        [('    if prefer_gpu and tf.config.list_physical_devices("GPU"):\n        return "/GPU:0"\n    return "/CPU:0"', '    return "/GPU:0"')],
        example=True,
    ),
    Mutant(
        "hardcoded_cpu",
        "model",
        "'/CPU:0' hard-coded",
        [('    if prefer_gpu and tf.config.list_physical_devices("GPU"):\n        return "/GPU:0"\n    return "/CPU:0"', '    return "/CPU:0"')],
    ),
    Mutant(
        "softmax_in_model",
        "model",
        "ends with a softmax",
        [("            keras.layers.Dense(num_classes),  # logits: no softmax here", '            keras.layers.Dense(num_classes, activation="softmax"),')],
    ),
    # -- loss and optimizer --------------------------------------------------------------------
    Mutant(
        "from_logits_missing",
        "loss_opt",
        "from_logits=True",
        [("    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)", "    return keras.losses.SparseCategoricalCrossentropy()")],
        example=True,
    ),
    Mutant(
        "lr_ignored",
        "loss_opt",
        "lr argument is ignored",
        [("    return keras.optimizers.Adam(learning_rate=lr)", "    return keras.optimizers.Adam()")],
    ),
    # -- metric --------------------------------------------------------------------------------
    Mutant(
        "metrics_not_reset",
        "metric",
        "reset_state()",
        [("    for metric in metrics.values():\n        metric.reset_state()\n    for x, y in dataset:", "    for x, y in dataset:")],
        example=True,
    ),
    Mutant(
        "evaluate_training_true",
        "metric",
        "training=True",
        [("        logits = model(x, training=False)", "        logits = model(x, training=True)")],
    ),
    # -- train ---------------------------------------------------------------------------------
    Mutant(
        "forward_outside_tape",
        "train",
        "outside the GradientTape",
        [
            (
                "    with tf.GradientTape() as tape:\n        logits = model(x, training=True)\n        loss = loss_fn(y, logits)",
                "    logits = model(x, training=True)\n    with tf.GradientTape() as tape:\n        loss = loss_fn(y, logits)",
            )
        ],
        example=True,
    ),
    Mutant(
        "training_flag_missing",
        "train",
        "pass training=True",
        [("        logits = model(x, training=True)\n        loss = loss_fn(y, logits)", "        logits = model(x)\n        loss = loss_fn(y, logits)")],
    ),
    Mutant(
        "retracing_every_step",
        "train",
        "retraces",
        [
            (
                '@tf.function(reduce_retracing=True)\ndef train_step(model, x, y, loss_fn, optimizer):\n'
                '    """One optimisation step on the batch (x, y); returns the batch loss (a scalar tensor)."""\n',
                "def train_step(model, x, y, loss_fn, optimizer):\n    @tf.function\n    def step(x, y):\n",
            ),
            (
                "    with tf.GradientTape() as tape:\n        logits = model(x, training=True)\n        loss = loss_fn(y, logits)\n"
                "    gradients = tape.gradient(loss, model.trainable_variables)\n"
                "    optimizer.apply_gradients(zip(gradients, model.trainable_variables))\n    return loss\n",
                "        with tf.GradientTape() as tape:\n            logits = model(x, training=True)\n            loss = loss_fn(y, logits)\n"
                "        gradients = tape.gradient(loss, model.trainable_variables)\n"
                "        optimizer.apply_gradients(zip(gradients, model.trainable_variables))\n        return loss\n\n"
                "    return step(x, y)  # a new tf.function, hence a new trace, on every call\n",
            ),
        ],
    ),
    Mutant(
        "variable_inside_tf_function",
        "train",
        "variables are created inside tf.function",
        [
            (
                "    with tf.GradientTape() as tape:\n        logits = model(x, training=True)\n        loss = loss_fn(y, logits)\n",
                "    scale = tf.Variable(1.0)  # a new variable on every trace\n"
                "    with tf.GradientTape() as tape:\n        logits = model(x, training=True)\n        loss = scale * loss_fn(y, logits)\n",
            )
        ],
    ),
    Mutant(
        "train_step_not_compiled",
        "train",
        "@tf.function",
        [("@tf.function(reduce_retracing=True)\ndef train_step(", "def train_step(")],
    ),
    Mutant(
        "train_loss_not_reset",
        "train",
        "not reset between epochs",
        [("        train_loss.reset_state()\n", "")],
        example=True,
    ),
    Mutant(
        "fit_retraces_every_step",
        "train",
        "retraces every step",
        [
            (
                "            train_loss.update_state(train_step(model, x, y, loss_fn, optimizer)",
                "            train_loss.update_state(tf.function(train_step)(model, x, y, loss_fn, optimizer)",
            )
        ],
    ),
    # -- report --------------------------------------------------------------------------------
    # -- promises that had no mutant (docs/contract.md) ----------------------------------------
    Mutant(
        "stats_std_per_image",
        "data",
        "each image's own",
        [("x.std(axis=(0, 1, 2)).astype(np.float32)", "x.std(axis=(1, 2)).mean(axis=0).astype(np.float32)")],
    ),
    Mutant(
        "preprocess_not_scaled",
        "data",
        "scaled to [0, 1]",
        [("    x = np.asarray(images, dtype=np.float32) / 255.0", "    x = np.asarray(images, dtype=np.float32)")],
    ),
    Mutant(
        "prepare_data_splits_swapped",
        "data",
        "swapped",
        [("    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,", "    return dict(x_train=x_test, y_train=y_test, x_test=x_train, y_test=y_train,")],
    ),
    Mutant(
        "evaluate_accuracy_mean_of_batch_means",
        "metric",
        "per-batch",
        [
            (
                '        metrics["accuracy"].update_state(y, logits)\n'
                "    return {name: float(metric.result()) for name, metric in metrics.items()}",
                '        metrics["accuracy"].reset_state()\n'
                '        metrics["accuracy"].update_state(y, logits)\n'
                '        batch_accuracies.append(float(metrics["accuracy"].result()))\n'
                '    return {"loss": float(metrics["loss"].result()), "accuracy": float(np.mean(batch_accuracies))}',
            ),
            ("        metric.reset_state()\n    for x, y in dataset:", "        metric.reset_state()\n    batch_accuracies = []\n    for x, y in dataset:"),
        ],
    ),
    Mutant(
        "fit_evaluates_train_split",
        "train",
        "test dataset after every epoch",
        [("        result = evaluate(model, test_ds, loss_fn, metrics)", "        result = evaluate(model, train_ds, loss_fn, metrics)")],
    ),
    Mutant(
        "fit_evaluates_once_at_end",
        "train",
        "one per epoch",
        [
            (
                "        result = evaluate(model, test_ds, loss_fn, metrics)\n"
                "        history.append(\n"
                "            {\n"
                '                "epoch": epoch,\n'
                '                "train_loss": float(train_loss.result()),\n'
                '                "test_loss": result["loss"],\n'
                '                "test_accuracy": result["accuracy"],\n'
                "            }\n"
                "        )\n",
                "    result = evaluate(model, test_ds, loss_fn, metrics)\n"
                "    history.append(\n"
                "        {\n"
                '            "epoch": epoch,\n'
                '            "train_loss": float(train_loss.result()),\n'
                '            "test_loss": result["loss"],\n'
                '            "test_accuracy": result["accuracy"],\n'
                "        }\n"
                "    )\n",
            )
        ],
    ),
    Mutant(
        "plot_returns_axes",
        "report",
        "matplotlib Figure",
        [("    fig.tight_layout()\n    return fig\n", "    fig.tight_layout()\n    return ax_loss\n")],
    ),
    Mutant(
        "tensorboard_step_is_index",
        "report",
        "step = epoch",
        [
            ("        for h in history:\n            tf.summary.scalar(", "        for i, h in enumerate(history):\n            tf.summary.scalar("),
            ('h["train_loss"], step=h["epoch"])', 'h["train_loss"], step=i)'),
            ('h["test_loss"], step=h["epoch"])', 'h["test_loss"], step=i)'),
            ('h["test_accuracy"], step=h["epoch"])', 'h["test_accuracy"], step=i)'),
        ],
    ),
    Mutant(
        "tensorboard_wrong_tags",
        "report",
        "tags",
        [
            ('tf.summary.scalar("loss/train"', 'tf.summary.scalar("train_loss"'),
            ('tf.summary.scalar("loss/test"', 'tf.summary.scalar("test_loss"'),
            ('tf.summary.scalar("accuracy/test"', 'tf.summary.scalar("test_accuracy"'),
        ],
    ),
    # -- correct code in other styles: full marks ----------------------------------------------
    Mutant(
        "alt_subclassed_model",
        None,
        "",
        [
            (
                "def build_model(input_shape=(8, 8, 1), num_classes=10):",
                "class DigitNet(keras.Model):\n"
                "    def __init__(self, num_classes):\n"
                "        super().__init__()\n"
                '        self.conv = keras.layers.Conv2D(16, 3, padding="same", activation="relu")\n'
                "        self.flat = keras.layers.Flatten()\n"
                "        self.drop = keras.layers.Dropout(0.1)\n"
                "        self.out = keras.layers.Dense(num_classes)\n\n"
                "    def call(self, x, training=False):\n"
                "        return self.out(self.drop(self.flat(self.conv(x)), training=training))\n\n\n"
                "def build_model(input_shape=(8, 8, 1), num_classes=10):\n"
                "    model = DigitNet(num_classes)\n"
                "    model.build((None, *input_shape))\n"
                "    return model",
            )
        ],
    ),
    Mutant(
        "alt_functional_model",
        None,
        "",
        [
            (
                "def build_model(input_shape=(8, 8, 1), num_classes=10):",
                "def build_model(input_shape=(8, 8, 1), num_classes=10):\n"
                "    inputs = keras.Input(shape=input_shape)\n"
                '    x = keras.layers.Conv2D(16, 3, activation="relu", padding="same")(inputs)\n'
                "    x = keras.layers.GlobalAveragePooling2D()(x)\n"
                "    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))",
            )
        ],
    ),
    Mutant(
        "alt_manual_averaging",
        None,
        "",
        [
            (
                "    for metric in metrics.values():\n        metric.reset_state()\n    for x, y in dataset:\n"
                "        logits = model(x, training=False)\n"
                "        metrics[\"loss\"].update_state(loss_fn(y, logits), sample_weight=tf.shape(y)[0])\n"
                "        metrics[\"accuracy\"].update_state(y, logits)\n"
                "    return {name: float(metric.result()) for name, metric in metrics.items()}",
                "    total, correct, count = 0.0, 0, 0\n    for x, y in dataset:\n"
                "        logits = model(x, training=False)\n"
                "        n = int(tf.shape(y)[0])\n"
                "        total += float(loss_fn(y, logits)) * n\n"
                "        correct += int(tf.reduce_sum(tf.cast(tf.argmax(logits, axis=1) == y, tf.int32)))\n"
                "        count += n\n"
                "    return {\"loss\": total / count, \"accuracy\": correct / count}",
            )
        ],
    ),
    Mutant(
        "alt_plain_tf_function",
        None,
        "",
        [("@tf.function(reduce_retracing=True)\ndef train_step(", "@tf.function\ndef train_step(")],
    ),
    Mutant(
        "alt_fit_uses_the_tf_function_api",
        None,
        "",
        [
            (
                "    history = []\n    for epoch in range(1, epochs + 1):\n        train_loss.reset_state()",
                "    history = []\n    traced_before = train_step.experimental_get_tracing_count()\n"
                "    assert callable(train_step.python_function)\n"
                "    for epoch in range(1, epochs + 1):\n        train_loss.reset_state()",
            ),
            (
                '                "test_accuracy": result["accuracy"],\n            }\n        )\n    return history',
                '                "test_accuracy": result["accuracy"],\n            }\n        )\n'
                "    assert train_step.experimental_get_tracing_count() >= traced_before\n    return history",
            ),
        ],
    ),
    Mutant(
        "alt_keras_fit_with_callback",
        None,
        "",
        [
            (
                "    h = model.fit(train_ds, validation_data=test_ds, epochs=epochs, shuffle=False, verbose=0)\n"
                "    h = h.history",
                "    seen = []\n"
                "    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))\n"
                "    model.fit(train_ds, validation_data=test_ds, epochs=epochs, verbose=0, callbacks=[callback])\n"
                "    h = {key: [logs[key] for logs in seen] for key in seen[0]}",
            )
        ],
    ),
    Mutant(
        "alt_batch_mean_loss_and_sgd",
        None,
        "",
        [
            ("        metrics[\"loss\"].update_state(loss_fn(y, logits), sample_weight=tf.shape(y)[0])", "        metrics[\"loss\"].update_state(loss_fn(y, logits))"),
            ("    return keras.optimizers.Adam(learning_rate=lr)", "    return keras.optimizers.SGD(learning_rate=lr, momentum=0.9)"),
        ],
    ),
    Mutant(
        "alt_tf_keras_namespace",
        None,
        "",
        [("import keras\n", "from tensorflow import keras\n")],
    ),
    Mutant(
        "alt_writer_left_open",
        None,
        "",
        [("    writer.close()\n    return Path(log_dir)", "    return Path(log_dir)")],
    ),
    Mutant(
        "alt_fit_keras_with_tensorboard_callback",
        None,
        "",
        [
            (
                "    h = model.fit(train_ds, validation_data=test_ds, epochs=epochs, shuffle=False, verbose=0)\n",
                "    board = keras.callbacks.TensorBoard(log_dir=tempfile.mkdtemp(prefix=\"fit-keras-\"))\n"
                "    h = model.fit(train_ds, validation_data=test_ds, epochs=epochs, shuffle=False, verbose=0, callbacks=[board])\n",
            )
        ],
    ),
]
