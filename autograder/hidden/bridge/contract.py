"""Which hidden test grades each promise of the bridge stubs' docstrings (autograder.contract)."""

from autograder.contract import Promise as P

CONTRACT = [
    P(
        "nchw_to_nhwc",
        "``(N, C, H, W) -> (N, H, W, C)`` for a numpy array, a torch tensor or a tf tensor",
        ("layout_numpy", "layout_torch", "layout_tf"),
        ("reshape_instead_of_permute",),
    ),
    P(
        "nchw_to_nhwc",
        "returns the same kind of array",
        ("layout_numpy", "layout_torch", "layout_tf"),
        ("layout_always_numpy",),
    ),
    P(
        "nhwc_to_nchw",
        "``(N, H, W, C) -> (N, C, H, W)``, for the same three kinds of arrays",
        ("layout_numpy", "layout_torch", "layout_tf"),
        ("nhwc_to_nchw_axes_copied",),
    ),
    P(
        "to_channels_last",
        "``x`` keeps its logical shape ``(N, C, H, W)``, its values are stored NHWC",
        ("channels_last_memory_format",),
        ("permute_instead_of_memory_format",),
    ),
    P(
        "to_channels_last",
        "the model's conv weights likewise",
        ("channels_last_memory_format",),
        ("channels_last_model_not_converted",),
    ),
    P(
        "torch_to_keras_arrays",
        "the list of arrays Keras' ``set_weights`` wants",
        ("port_conv_kernels", "port_dense_after_flatten"),
        ("conv_weights_reshaped", "dense_after_flatten_not_permuted"),
    ),
    P(
        "torch_to_keras_arrays",
        "``feature_shape`` is ``(H, W, C)`` of the map entering Flatten",
        ("port_dense_after_flatten",),
        ("feature_shape_read_as_chw",),
    ),
    P(
        "port_torch_to_keras",
        "Set ``keras_model``'s weights (in place) from the PyTorch parameters",
        ("port_logits_match",),
        ("port_returns_new_model",),
    ),
    P(
        "forward_backward_torch",
        "Logits, mean cross-entropy and its gradients for one batch, in PyTorch",
        ("parity_torch",),
        ("parity_torch_grads_not_zeroed", "parity_loss_summed"),
    ),
    P(
        "forward_backward_tf2",
        "The same in TensorFlow 2, with a GradientTape",
        ("parity_tf2",),
        ("tf2_forward_outside_tape",),
    ),
    P(
        "forward_backward_tf1",
        "The same as a TF1 graph built from",
        ("parity_tf1",),
        ("tf1_softmax_before_loss",),
    ),
    P(
        "parity_report",
        "Largest pairwise absolute difference of logits, loss and grads",
        ("parity_report_values",),
        ("parity_pairs_with_first_only",),
    ),
    P(
        "parity_report",
        "whether all are within ``tolerances``",
        ("parity_report_values",),
        ("parity_ok_ignores_tolerances", "parity_module_tolerances"),
    ),
    P(
        "train_with_accumulation",
        "an optimizer step every ``accum_steps`` micro-batches",
        ("accumulation_torch",),
        (
            "accumulation_not_divided_by_k",
            "accumulation_steps_every_micro_batch",
            "accumulation_zeroes_every_micro_batch",
        ),
    ),
    P(
        "accumulate_gradients",
        "summed tape gradients, applied every ``accum_steps`` batches",
        ("accumulation_tf2",),
        ("tf_accumulation_not_divided_by_k", "tf_accumulation_applies_every_batch"),
    ),
    P(
        "place",
        "PyTorch: ``obj`` moved to ``device`` (returned)",
        ("place_torch",),
        ("place_hardcoded_cpu", "place_tensor_result_dropped"),
    ),
    P("place", "TensorFlow: a copy of ``obj`` on it", ("place_tf",), ("tf_place_ignores_device",)),
    P(
        "placement_difference",
        "how do PyTorch and TensorFlow differ",
        (),
        reason="the learner's own words, kept in the record for the instructor, not auto-graded",
    ),
]
