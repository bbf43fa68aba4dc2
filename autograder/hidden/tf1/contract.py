"""Which hidden test grades each promise of the TF1 stubs' docstrings (``autograder.contract``)."""

from autograder.contract import Promise as P

CONTRACT = [
    P(
        "download",
        "The file is saved in ``cache_dir`` under the URL's last part",
        ("download_fetches_and_verifies",),
        ("download_fixed_name",),
    ),
    P(
        "download",
        "Download ``url`` into ``cache_dir`` (once), verify its sha256",
        ("download_fetches_and_verifies", "download_reuses_cache"),
        ("download_cache_unverified",),
    ),
    P(
        "download",
        "(``ValueError`` and no file left behind on a mismatch)",
        ("download_rejects_bad_checksum",),
        ("download_renamed_before_check",),
    ),
    P(
        "normalization_stats",
        "Per-channel mean and std, float32 (C,), of uint8 images on the [0, 1] scale",
        ("stats_per_channel",),
        ("stats_float64", "stats_not_scaled"),
    ),
    P(
        "preprocess",
        "``(x float32 (N, H, W, C) = (images / 255 - mean) / std, y int64 (N,))`` as numpy arrays",
        ("preprocess_channels_last", "preprocess_dtypes"),
        ("grey_without_channel_axis", "labels_int32"),
    ),
    P(
        "prepare_data",
        "``course_utils.load_npz(path)`` returns the file's ``(images, labels)``",
        reason="what a course helper returns: a hint, not a promise",
    ),
    P(
        "prepare_data",
        "``stratified_split(labels, test_size, seed)`` returns the",
        reason="what a course helper returns: a hint, not a promise",
    ),
    P(
        "prepare_data",
        "Load, split (stratified, seeded), preprocess with training statistics",
        ("split_stratified_and_seeded", "stats_from_training_split"),
        ("stats_from_all_data",),
    ),
    P(
        "build_graph",
        "Define the model, loss, training op and metrics in a new graph",
        ("graph_is_its_own",),
        ("default_graph",),
    ),
    P(
        "build_graph",
        "placeholders ``x`` float32 (None, *input_shape), ``y`` int64 (None,)",
        ("placeholders_any_batch_size", "logits_shape"),
        ("fixed_batch_placeholder",),
    ),
    P("build_graph", "``training`` bool scalar", ("logits_shape",)),
    P(
        "build_graph",
        "tensors ``logits`` (None, num_classes), ``loss`` (mean cross-entropy), ``accuracy``",
        ("logits_shape", "loss_is_mean_cross_entropy"),
        ("loss_summed", "accuracy_argmax_over_batch"),
    ),
    P(
        "build_graph",
        "ops ``train_op`` (one optimizer step with learning rate ``lr``)",
        ("optimizer_uses_lr",),
        ("lr_ignored",),
    ),
    P(
        "build_graph",
        "``init`` (initialise all variables)",
        ("optimizer_uses_lr",),
        ("init_before_optimizer",),
    ),
    # batch_norm
    P(
        "batch_norm",
        "Batch normalisation of ``h`` over every axis but the last (the channels)",
        ("batch_norm_modes",),
        ("bn_stats_over_channels_too",),
    ),
    P(
        "batch_norm",
        "the trainable ``gamma`` (ones) and ``beta`` (zeros) and the non-trainable",
        ("batch_norm_modes", "batch_norm_update_ops"),
        ("bn_updates_not_collected",),
    ),
    P(
        "batch_norm",
        "Where ``training`` is True it normalises with the batch's mean and variance",
        ("batch_norm_modes",),
        ("bn_training_flag_ignored",),
    ),
    P(
        "batch_norm",
        "It adds to ``tf1.GraphKeys.UPDATE_OPS`` the ops that move the moving statistics",
        ("batch_norm_update_ops",),
        ("bn_updates_not_collected", "bn_momentum_swapped"),
    ),
    P(
        "batch_norm",
        "Returns ``gamma * (h - mean) / sqrt(variance + epsilon) + beta``",
        ("batch_norm_modes",),
        ("bn_stats_over_channels_too",),
    ),
    # minimize_with_updates
    P(
        "minimize_with_updates",
        "The training op: ``optimizer.minimize(loss)`` made to depend on every op",
        ("train_op_runs_update_ops",),
        ("train_op_without_update_ops",),
    ),
    P(
        "minimize_with_updates",
        "Returns that op",
        ("train_op_runs_update_ops",),
        ("train_op_without_update_ops",),
    ),
    P(
        "evaluate",
        "Mean loss and accuracy over all samples of ``(x, y)``",
        ("evaluate_values", "evaluate_runs_existing_graph"),
        ("evaluate_builds_ops", "evaluate_dropout_on", "evaluate_mean_of_batch_means"),
    ),
    P(
        "train",
        'Initialise the variables once, then train on ``data["x_train"], data["y_train"]``',
        (
            "train_initialises_once",
            "train_graph_does_not_grow",
            "train_feeds_training_split",
            "train_feeds_training_true",
            "train_learns_digits",
        ),
        (
            "ops_created_in_loop",
            "init_every_step",
            "init_never",
            "wrong_split_fed",
            "train_without_training_true",
        ),
    ),
    P(
        "train",
        'the test numbers from ``evaluate`` on ``data["x_test"], data["y_test"]``',
        ("train_learns_digits",),
        ("train_evaluates_train_split",),
    ),
    P(
        "report",
        '"generalization_gap"}``',
        ("report_keeps_splits_apart",),
        ("report_train_test_swapped",),
    ),
    P(
        "plot_history",
        "A matplotlib Figure: train/test loss and test accuracy against the epoch",
        ("plot_shows_history",),
        ("plot_missing_test_loss",),
    ),
    P(
        "log_to_tensorboard",
        "Scalars ``loss/train``, ``loss/test``, ``accuracy/test`` at ``step = epoch``",
        ("tensorboard_scalars",),
        ("tensorboard_step_is_index", "tensorboard_wrong_tags"),
    ),
    P(
        "log_to_tensorboard",
        "Returns ``Path(log_dir)``",
        (),
        reason="the writer's files are graded, not the returned path",
    ),
]
