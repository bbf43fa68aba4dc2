"""Which hidden test grades each promise of the TF2 stubs' docstrings (``autograder.contract``)."""

from autograder.contract import Promise as P

CONTRACT = [
    P(
        "download",
        "The file is saved in ``cache_dir`` under the URL's last part",
        ("download_fetches_and_verifies",),
    ),
    P(
        "download",
        "Download ``url`` into ``cache_dir`` (once), verify its sha256, and return its ``Path``",
        ("download_fetches_and_verifies", "download_reuses_cache"),
        ("download_cache_unverified",),
    ),
    P(
        "download",
        "Raises ``ValueError`` (leaving no file at the destination) when the digest does not match",
        ("download_rejects_bad_checksum",),
    ),
    P(
        "normalization_stats",
        "Per-channel mean and std (float32 arrays of shape (C,))",
        ("stats_per_channel",),
    ),
    P("normalization_stats", "The std is the population one", ("stats_per_channel",)),
    P(
        "preprocess",
        "Scale and normalise images for Keras; labels as class indices",
        ("preprocess_channels_last",),
        ("nchw_into_channels_last_model",),
    ),
    P(
        "preprocess",
        "images: uint8 (N, H, W) or (N, H, W, C); labels: integers (N,)",
        ("preprocess_channels_last",),
    ),
    P(
        "preprocess",
        "mean, std: per-channel statistics (C,) on the [0, 1] scale",
        ("preprocess_channels_last",),
    ),
    P(
        "preprocess",
        "``x`` float32 (N, H, W, C) holding ``(images / 255 - mean) / std``",
        ("preprocess_channels_last", "preprocess_dtypes"),
        ("float64_images", "nchw_into_channels_last_model"),
    ),
    P("preprocess", "``y`` int64 (N,)", ("preprocess_dtypes",)),
    P(
        "prepare_data",
        "split it (stratified, seeded), preprocess both splits with the training statistics",
        ("split_stratified_and_seeded", "stats_from_training_split"),
        ("stats_from_all_data",),
    ),
    P(
        "prepare_data",
        "Returns a dict with x_train, y_train, x_test, y_test, mean, std",
        ("split_stratified_and_seeded", "stats_from_training_split"),
    ),
    P(
        "make_datasets",
        "training shuffled before batching (seeded, reshuffled each epoch), test in order",
        ("train_dataset_shuffled_before_batching", "test_dataset_in_order"),
        ("shuffle_after_batch", "test_dataset_shuffled"),
    ),
    P(
        "get_device",
        '``"/GPU:0"`` if a GPU exists and is wanted, else ``"/CPU:0"``',
        ("get_device_without_gpu", "get_device_with_gpu"),
        ("hardcoded_gpu", "hardcoded_cpu"),
    ),
    P(
        "build_model",
        "from (N, *input_shape) float32 images (channels last) to (N, num_classes) logits",
        (
            "model_output_shape",
            "model_outputs_logits",
            "model_samples_independent",
            "model_gradients_reach_variables",
        ),
        ("softmax_in_model",),
    ),
    P(
        "make_loss",
        "the mean cross-entropy",
        ("loss_is_cross_entropy_on_logits",),
        ("from_logits_missing",),
    ),
    P(
        "make_optimizer",
        "A Keras optimizer with learning rate ``lr``",
        ("optimizer_uses_lr", "optimizer_applies_updates"),
        ("lr_ignored",),
    ),
    P(
        "make_metrics",
        "keras.metrics.SparseCategoricalAccuracy()",
        ("make_metrics_keras_metrics",),
        ("metrics_plain_accuracy",),
    ),
    P(
        "evaluate",
        "Mean loss and accuracy of ``model`` over ``dataset``, with the metrics of",
        ("evaluate_values", "evaluate_training_false"),
        ("evaluate_training_true",),
    ),
    P(
        "evaluate",
        "The same metric objects are reused between calls: reset them first",
        ("evaluate_resets_metrics",),
        ("metrics_not_reset",),
    ),
    P(
        "evaluate",
        "the accuracy exactly over samples; the loss over samples, or as the mean of",
        ("evaluate_values",),
    ),
    P(
        "train_step",
        "One optimisation step on the batch (x, y); returns the batch loss (a scalar tensor)",
        ("train_step_gradients", "train_step_training_true", "train_step_traced_once"),
        (
            "forward_outside_tape",
            "training_flag_missing",
            "retracing_every_step",
            "variable_inside_tf_function",
            "train_step_not_compiled",
        ),
    ),
    P(
        "fit",
        "Train for ``epochs`` epochs with ``train_step``, evaluating on ``test_ds`` after each",
        ("fit_history", "fit_learns_digits"),
    ),
    P(
        "fit",
        "wrapping it in a new ``tf.function`` at every step retraces every step",
        ("fit_history",),
        ("fit_retraces_every_step",),
    ),
    P(
        "fit",
        '"train_loss": float (the mean of the epoch\'s ``train_step`` losses)',
        ("fit_resets_train_loss", "fit_history"),
        ("train_loss_not_reset",),
    ),
    P(
        "fit_keras",
        "The same training with ``model.compile`` and ``model.fit``",
        ("fit_keras_learns_digits",),
        ("fit_keras_ignores_lr",),
    ),
    P(
        "report",
        '"test_accuracy", "generalization_gap"}``',
        ("report_keeps_splits_apart",),
        ("report_train_test_swapped",),
    ),
    P(
        "plot_history",
        "A matplotlib Figure with train/test loss and test accuracy against the epoch",
        ("plot_shows_history",),
    ),
    P("log_to_tensorboard", "TensorBoard scalars with ``tf.summary``", ("tensorboard_scalars",)),
    P(
        "log_to_tensorboard",
        "Returns ``Path(log_dir)``",
        (),
        reason="the writer's files are graded, not the returned path",
    ),
]
