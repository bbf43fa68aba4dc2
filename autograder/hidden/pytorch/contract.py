"""Which hidden test grades each promise of the PyTorch stubs' docstrings (autograder.contract)."""

from autograder.contract import Promise as P

ARG = "an argument's meaning, graded through the promises that use it"

CONTRACT = [
    # download
    P(
        "download",
        "Download ``url`` into ``cache_dir`` (once), verify its sha256",
        ("download_fetches_and_verifies", "download_reuses_cache"),
        ("download_no_cache",),
    ),
    P(
        "download",
        "url: ``file://``, ``http://`` or ``https://`` URL",
        ("download_fetches_and_verifies",),
        (),
        "only file:// is graded: the grader has no network",
    ),
    P(
        "download",
        "cache_dir: directory to keep downloads in (create it if needed)",
        ("download_fetches_and_verifies",),
        ("download_cache_dir_not_created",),
    ),
    P("download", "sha256: expected hex digest", reason=ARG),
    P(
        "download",
        "of the verified file inside ``cache_dir``, named after the URL's last part",
        ("download_fetches_and_verifies",),
        ("download_fixed_name",),
    ),
    P(
        "download",
        "ValueError: if the bytes do not have the expected sha256",
        ("download_rejects_bad_checksum",),
        ("download_no_checksum",),
    ),
    P(
        "download",
        "No file may be left at the destination path in that case",
        ("download_rejects_bad_checksum",),
        ("download_not_atomic",),
    ),
    P(
        "download",
        "A file already in the cache with the right checksum is returned without downloading again",
        ("download_reuses_cache",),
        ("download_no_cache", "download_cache_unverified"),
    ),
    P(
        "download",
        "Write to a temporary file in ``cache_dir`` and rename it into place once it is verified",
        ("download_rejects_bad_checksum", "download_fetches_and_verifies"),
        ("download_not_atomic",),
    ),
    # normalization_stats
    P(
        "normalization_stats",
        "Per-channel mean and standard deviation of the training images, scaled to [0, 1]",
        ("stats_per_channel",),
        ("stats_not_per_channel", "stats_std_per_image", "stats_not_scaled"),
    ),
    P(
        "normalization_stats",
        "x_train: uint8 array (N, H, W) (grey) or (N, H, W, C) (colour)",
        ("stats_per_channel",),
        ("stats_not_per_channel", "stats_not_scaled"),
    ),
    P(
        "normalization_stats",
        "(mean, std): float32 numpy arrays of shape (C,), C = 1 for grey images",
        ("stats_per_channel",),
        ("stats_float64", "stats_not_per_channel"),
    ),
    P(
        "normalization_stats",
        "``std`` is the population standard deviation",
        ("stats_per_channel",),
        ("stats_std_per_image",),
    ),
    # preprocess
    P(
        "preprocess",
        "Scale, normalise and lay out images for PyTorch; make labels class indices",
        ("preprocess_adds_channel_axis", "preprocess_permutes_channels"),
        ("reshape_instead_of_permute", "missing_channel_axis"),
    ),
    P(
        "preprocess",
        "images: uint8 array (N, H, W) or (N, H, W, C)",
        ("preprocess_adds_channel_axis", "preprocess_permutes_channels"),
        ("missing_channel_axis", "reshape_instead_of_permute"),
    ),
    P("preprocess", "labels: integer array (N,)", reason=ARG),
    P(
        "preprocess",
        "mean, std: per-channel statistics of shape (C,) on the [0, 1] scale",
        ("preprocess_permutes_channels", "preprocess_adds_channel_axis"),
        ("preprocess_not_scaled",),
    ),
    P(
        "preprocess",
        "``x`` a float32 tensor (N, C, H, W) holding ``(images / 255 - mean) / std``",
        ("preprocess_permutes_channels", "preprocess_dtypes"),
        ("float64_images", "reshape_instead_of_permute"),
    ),
    P("preprocess", "``y`` an int64 tensor (N,)", ("preprocess_dtypes",), ("float_labels",)),
    # prepare_data
    P(
        "prepare_data",
        "split it, and preprocess both splits with training statistics",
        ("stats_from_training_split",),
        ("stats_from_all_data", "stats_from_test_split"),
    ),
    P(
        "prepare_data",
        "path: ``.npz`` file with ``images`` (N, H, W) uint8 and ``labels`` (N,)",
        ("split_stratified_and_seeded",),
    ),
    P(
        "prepare_data",
        "test_size: fraction of each class that goes to the test split",
        ("split_stratified_and_seeded",),
        ("split_test_size_ignored", "split_not_stratified"),
    ),
    P(
        "prepare_data",
        "seed: seed of the split (same seed, same split)",
        ("split_stratified_and_seeded",),
        ("split_seed_ignored",),
    ),
    P(
        "prepare_data",
        "dict with ``x_train``, ``y_train``, ``x_test``, ``y_test``",
        ("split_stratified_and_seeded", "stats_from_training_split"),
        ("split_train_test_unpacked_swapped",),
    ),
    P(
        "prepare_data",
        "``course_utils.load_npz(path)`` returns the file's ``(images, labels)``",
        reason="what a course helper returns: a hint, not a promise",
    ),
    P(
        "prepare_data",
        "``course_utils.stratified_split(labels, test_size, seed)`` returns the",
        reason="what a course helper returns: a hint, not a promise",
    ),
    # make_loaders
    P(
        "make_loaders",
        "Training and test ``DataLoader``s",
        ("train_loader_shuffled_reproducibly", "test_loader_in_order"),
        ("loaders_returned_swapped",),
    ),
    P(
        "make_loaders",
        "x_train, y_train, x_test, y_test: tensors as returned by ``preprocess``",
        reason=ARG,
    ),
    P(
        "make_loaders",
        "batch_size: samples per batch (the last batch may be smaller)",
        ("train_loader_shuffled_reproducibly", "test_loader_in_order"),
        ("loaders_batch_size_ignored",),
    ),
    P(
        "make_loaders",
        "seed: seed of the training order",
        ("train_loader_shuffled_reproducibly",),
        ("train_order_not_seeded", "loader_seed_ignored"),
    ),
    P(
        "make_loaders",
        "the training loader reshuffles every epoch, in an order that the seed alone determines",
        ("train_loader_shuffled_reproducibly",),
        ("train_loader_unshuffled",),
    ),
    P(
        "make_loaders",
        "the test loader yields every test sample once, in order",
        ("test_loader_in_order",),
        ("test_loader_shuffled",),
    ),
    # get_device / to_device
    P(
        "get_device",
        "a CUDA GPU if one is available and wanted, else the CPU",
        ("get_device_without_gpu", "get_device_with_gpu"),
        ("get_device_hardcoded_cuda", "get_device_hardcoded_cpu"),
    ),
    P(
        "get_device",
        '``torch.device`` of type ``"cuda"`` or ``"cpu"``',
        ("get_device_without_gpu", "get_device_with_gpu", "device_compared_by_type"),
        ("device_equals_cuda",),
    ),
    P(
        "to_device",
        "Move a tensor, or tensors nested in tuples / lists / dicts, to ``device``",
        ("to_device_nested",),
        ("to_device_ignores_dicts",),
    ),
    P(
        "to_device",
        "Containers keep their type (a tuple stays a tuple)",
        ("to_device_nested",),
        ("to_device_tuple_becomes_list",),
    ),
    # build_model
    P(
        "build_model",
        "A network from (N, in_channels, 8, 8) float32 images to (N, num_classes) logits",
        ("model_output_shape", "model_outputs_logits", "model_gradients_reach_parameters"),
        ("softmax_in_model", "dropout_drops_everything"),
    ),
    P(
        "build_model",
        "Any architecture that meets this contract is fine",
        ("model_samples_independent",),
        (),
        "any architecture: the alternatives keep full marks",
    ),
    P(
        "build_model",
        "It must work for any batch size N",
        ("model_output_shape",),
        ("hardcoded_batch_in_view",),
    ),
    # loss and optimizer
    P(
        "make_loss",
        "the mean cross-entropy over the batch",
        ("loss_is_mean_cross_entropy",),
        ("softmax_before_loss",),
    ),
    P(
        "make_optimizer",
        "over all of ``model``'s parameters with learning rate ``lr``",
        ("optimizer_over_model_parameters", "optimizer_uses_lr"),
        ("optimizer_for_another_model", "lr_ignored"),
    ),
    # metric
    P(
        "accuracy",
        "Fraction of rows of ``logits`` (N, K) whose arg-max equals ``targets``",
        ("accuracy_over_classes",),
        ("argmax_over_batch_axis",),
    ),
    P(
        "evaluate",
        "Mean loss and accuracy of ``model`` over every sample of ``loader``",
        (
            "evaluate_exact_means",
            "evaluate_in_eval_mode",
            "evaluate_without_graph",
            "evaluate_moves_batches",
        ),
        ("evaluate_without_eval", "evaluate_without_no_grad", "evaluate_batch_not_moved"),
    ),
    P(
        "evaluate",
        "both exact means over samples (not over batches)",
        ("evaluate_exact_means",),
        ("evaluate_mean_of_batch_means", "evaluate_accuracy_mean_of_batch_means"),
    ),
    # train
    P(
        "train_one_epoch",
        "Train ``model`` for one pass over ``loader``",
        ("train_zeroes_gradients_each_step", "train_restores_train_mode", "train_moves_batches"),
        (
            "no_zero_grad",
            "step_before_backward",
            "logits_detached",
            "zero_grad_between_backward_and_step",
            "zero_grad_once_per_epoch",
            "train_mode_not_restored",
            "train_batch_not_moved",
            "train_hardcoded_cpu",
            "train_hardcoded_cuda",
            "train_tensor_on_default_device",
        ),
    ),
    P(
        "train_one_epoch",
        "return the mean training loss as a float",
        ("train_returns_mean_loss",),
        ("loss_tensors_summed_with_graph",),
    ),
    P(
        "fit",
        "Move ``model`` to ``device``, then train for ``epochs`` epochs, evaluating after each",
        ("fit_moves_model", "fit_history", "fit_learns_digits"),
        ("fit_model_not_moved",),
    ),
    P("fit", "history: one dict per epoch", ("fit_history",), ("fit_history_last_epoch_only",)),
    P(
        "fit",
        "the epoch's mean training loss",
        ("fit_history",),
        ("fit_history_train_loss_is_test_loss",),
    ),
    # report
    P("report", "Summarise a run", ("report_keeps_splits_apart",), ("report_train_test_swapped",)),
    P("report", "history: as returned by ``fit``", reason=ARG),
    P(
        "report",
        "train_metrics, test_metrics: ``evaluate`` results on the training and test loaders",
        ("report_keeps_splits_apart",),
        ("report_train_test_swapped",),
    ),
    P(
        "report",
        "the gap being train accuracy minus test accuracy",
        ("report_keeps_splits_apart",),
        ("report_gap_reversed",),
    ),
    P(
        "plot_history",
        "training and test loss against the epoch, and test accuracy against the epoch",
        ("plot_shows_history",),
        ("plot_missing_test_loss",),
    ),
    P("plot_history", "Returns the Figure", ("plot_shows_history",), ("plot_returns_axes",)),
    P(
        "log_to_tensorboard",
        "Write the history as TensorBoard scalars",
        ("tensorboard_scalars",),
        ("tensorboard_wrong_tags",),
    ),
    P(
        "log_to_tensorboard",
        "One value per epoch, at ``step = epoch``, under the tags",
        ("tensorboard_scalars",),
        ("tensorboard_step_is_index", "tensorboard_wrong_tags"),
    ),
    P(
        "log_to_tensorboard",
        "Returns the ``log_dir`` as a ``Path``",
        (),
        reason="the writer's files are graded, not the returned path",
    ),
]
