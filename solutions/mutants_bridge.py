"""Mutants of the bridge reference: one per bridge mistake of course-spec.md (and a few more),
plus valid alternatives (``step=None``: full marks). Checked by ``tests/autograder/test_mutants.py``."""

from autograder.build import Mutant

_TO_NHWC = (
    "    if isinstance(x, np.ndarray):\n"
    "        return np.transpose(x, (0, 2, 3, 1))\n"
    "    if isinstance(x, torch.Tensor):\n"
    "        return x.permute(0, 2, 3, 1)\n"
    "    return tf.transpose(x, (0, 2, 3, 1))\n"
)
_TF_TAPE = (
    "    with tf.GradientTape() as tape:\n"
    "        logits = model(x, training=True)\n"
    "        loss = tf.reduce_mean(\n"
)
_TORCH_STEP = (
    "        if i % accum_steps == 0:\n"
    "            optimizer.step()\n"
    "            optimizer.zero_grad()\n"
)
_TF_APPLY = (
    "        if i % accum_steps == 0:\n"
    "            optimizer.apply_gradients(zip(summed, variables, strict=True))\n"
)
_TF_SUM = (
    "    variables = model.trainable_variables\n"
    "    summed = [tf.zeros_like(v) for v in variables]\n"
)

MUTANTS = [
    # layouts
    Mutant(
        "reshape_instead_of_permute",
        "layouts",
        "reshaped instead of permuting",
        [("        return x.permute(0, 2, 3, 1)\n", "        return x.reshape(x.shape[0], x.shape[2], x.shape[3], x.shape[1])\n")],
        example=True,
    ),
    Mutant(
        "permute_instead_of_memory_format",
        "layouts",
        "memory format",
        [("    return model, x.contiguous(memory_format=torch.channels_last)", "    return model, x.permute(0, 2, 3, 1)")],
        example=True,
    ),
    Mutant(
        "channels_last_model_not_converted",
        "layouts",
        "conv weights are not",
        [("    model = model.to(memory_format=torch.channels_last)\n", "")],
    ),
    # port
    Mutant(
        "conv_weights_reshaped",
        "port",
        "reshaped instead of transposed",
        [("            arrays.append(np.transpose(a, (2, 3, 1, 0)))", "            arrays.append(a.reshape(a.shape[2], a.shape[3], a.shape[1], a.shape[0]))")],
        example=True,
    ),
    Mutant(
        "dense_after_flatten_not_permuted",
        "port",
        "flatten order",
        [("                a = a.reshape(a.shape[0], c, h, w).transpose(0, 2, 3, 1).reshape(a.shape[0], -1)\n", "")],
        example=True,
    ),
    # parity
    Mutant(
        "parity_loss_summed",
        "parity",
        "summed over the batch",
        [("    loss = nn.functional.cross_entropy(logits, y)\n", "    loss = nn.functional.cross_entropy(logits, y, reduction=\"sum\")\n")],
    ),
    Mutant(
        "tf2_forward_outside_tape",
        "parity",
        "outside the tape",
        [(_TF_TAPE, "    logits = model(x, training=True)\n    with tf.GradientTape() as tape:\n        loss = tf.reduce_mean(\n")],
    ),
    Mutant(
        "tf1_softmax_before_loss",
        "parity",
        "no softmax",
        [("        logits = tf.matmul(h, dense_kernel) + dense_bias\n", "        logits = tf.nn.softmax(tf.matmul(h, dense_kernel) + dense_bias)\n")],
    ),
    Mutant(
        "parity_ok_ignores_tolerances",
        "parity",
        "'ok' should be",
        [("    report[\"ok\"] = all(report[key] <= tolerances[key] for key in (\"logits\", \"loss\", \"grads\"))", "    report[\"ok\"] = True")],
    ),
    Mutant(
        "parity_torch_grads_not_zeroed",
        "parity",
        "zero them first",
        [("    model.zero_grad()\n    logits = model(x)\n", "    logits = model(x)\n")],
    ),
    Mutant(
        "parity_module_tolerances",
        "parity",
        "tolerances argument is ignored",
        [("    report[\"ok\"] = all(report[key] <= tolerances[key] for key in (\"logits\", \"loss\", \"grads\"))", "    report[\"ok\"] = all(report[key] <= PARITY_TOLERANCES[key] for key in (\"logits\", \"loss\", \"grads\"))")],
    ),
    Mutant(
        "parity_pairs_with_first_only",
        "parity",
        "all three pairs",
        [("        for a, b in itertools.combinations(results.values(), 2):\n", "        first, *others = results.values()\n        for a, b in ((first, o) for o in others):\n")],
    ),
    # accumulation
    Mutant(
        "accumulation_not_divided_by_k",
        "accumulation",
        "not divided by k",
        [("        (loss / accum_steps).backward()", "        loss.backward()")],
        example=True,
    ),
    Mutant(
        "accumulation_steps_every_micro_batch",
        "accumulation",
        "every micro-batch",
        [(_TORCH_STEP, _TORCH_STEP.replace("i % accum_steps == 0", "True"))],
        example=True,
    ),
    Mutant(
        "accumulation_zeroes_every_micro_batch",
        "accumulation",
        "only the last micro-batch",
        [("        (loss / accum_steps).backward()", "        optimizer.zero_grad()\n        (loss / accum_steps).backward()")],
    ),
    Mutant(
        "tf_accumulation_not_divided_by_k",
        "accumulation",
        "not divided by k",
        [("            scaled = loss / accum_steps  # inside the tape, or it is not recorded", "            scaled = loss")],
    ),
    Mutant(
        "tf_accumulation_applies_every_batch",
        "accumulation",
        "every micro-batch",
        [(_TF_APPLY, _TF_APPLY.replace("i % accum_steps == 0", "True"))],
    ),
    # placement
    Mutant(
        "place_hardcoded_cpu",
        "placement",
        "hard-coded",
        [("        return obj.to(device)", "        return obj.to(\"cpu\")")],
        example=True,
    ),
    Mutant(
        "place_tensor_result_dropped",
        "placement",
        "returns a *new* tensor",
        [("        return obj.to(device)", "        obj.to(device)\n        return obj")],
    ),
    Mutant(
        "tf_place_ignores_device",
        "placement",
        "tf.device",
        [("    with tf.device(device):\n        return tf.identity(obj)", "    return tf.identity(obj)")],
    ),
    # -- promises that had no mutant (docs/contract.md)
    Mutant(
        "layout_always_numpy",
        "layouts",
        "return the same kind",
        [
            (
                "    if isinstance(x, np.ndarray):\n        return np.transpose(x, (0, 2, 3, 1))\n"
                "    if isinstance(x, torch.Tensor):\n        return x.permute(0, 2, 3, 1)\n"
                "    return tf.transpose(x, (0, 2, 3, 1))\n",
                "    return np.transpose(np.asarray(x), (0, 2, 3, 1))\n",
            )
        ],
    ),
    Mutant(
        "nhwc_to_nchw_axes_copied",
        "layouts",
        "should give (N, C, H, W)",
        [
            ("        return np.transpose(x, (0, 3, 1, 2))", "        return np.transpose(x, (0, 2, 3, 1))"),
            ("        return x.permute(0, 3, 1, 2)", "        return x.permute(0, 2, 3, 1)"),
            ("    return tf.transpose(x, (0, 3, 1, 2))", "    return tf.transpose(x, (0, 2, 3, 1))"),
        ],
    ),
    Mutant(
        "feature_shape_read_as_chw",
        "port",
        "was read as (C, H, W)",
        [("    h, w, c = feature_shape\n", "    c, h, w = feature_shape\n")],
    ),
    Mutant(
        "port_returns_new_model",
        "port",
        "in place",
        [
            (
                "    keras_model.set_weights(torch_to_keras_arrays(torch_weights, feature_shape))\n    return keras_model",
                "    ported = keras.models.clone_model(keras_model)\n"
                "    ported.set_weights(torch_to_keras_arrays(torch_weights, feature_shape))\n    return ported",
            )
        ],
    ),
    # correct code in other styles
    Mutant(
        "alt_moveaxis_einsum_and_tf_first",
        None,
        "",
        [(_TO_NHWC,
          "    if tf.is_tensor(x):\n"
          "        return tf.transpose(x, perm=[0, 2, 3, 1])\n"
          "    if hasattr(x, \"permute\"):\n"
          "        return torch.einsum(\"nchw->nhwc\", x)\n"
          "    return np.moveaxis(x, 1, -1)\n")],
    ),
    Mutant(
        "alt_port_einsum_and_tf_transpose",
        None,
        "",
        [("            arrays.append(np.transpose(a, (2, 3, 1, 0)))", "            arrays.append(np.einsum(\"oihw->hwio\", a))"),
         ("                a = a.reshape(a.shape[0], c, h, w).transpose(0, 2, 3, 1).reshape(a.shape[0], -1)\n",
          "                a = tf.reshape(tf.transpose(tf.reshape(a, (-1, c, h, w)), (0, 2, 3, 1)), (a.shape[0], -1)).numpy()\n"),
         ("            arrays.append(a.T)", "            arrays.append(np.moveaxis(a, 0, 1))")],
    ),
    Mutant(
        "alt_keras_losses_and_named_grads",
        None,
        "",
        [("    loss = nn.functional.cross_entropy(logits, y)\n", "    loss = nn.CrossEntropyLoss()(logits, y)\n"),
         ("        \"grads\": {name: p.grad.detach().cpu().numpy() for name, p in model.named_parameters()},",
          "        \"grads\": dict((n, p.grad.numpy()) for n, p in model.named_parameters()),"),
         ("        loss = tf.reduce_mean(\n            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)\n        )\n",
          "        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits)\n")],
    ),
    Mutant(
        "alt_accumulation_zero_grad_style_and_tf_variables",
        None,
        "",
        [(_TORCH_STEP, "        if i % accum_steps == 0:\n            optimizer.step()\n            model.zero_grad(set_to_none=False)\n"),
         ("        (loss / accum_steps).backward()", "        loss.div(accum_steps).backward()"),
         (_TF_SUM, "    variables = model.trainable_variables\n    summed = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]\n"),
         ("        summed = [s + g for s, g in zip(summed, grads, strict=True)]\n",
          "        for s, g in zip(summed, grads, strict=True):\n            s.assign_add(g)\n"),
         ("            summed = [tf.zeros_like(v) for v in variables]\n",
          "            for s in summed:\n                s.assign(tf.zeros_like(s))\n")],
    ),
    Mutant(
        "alt_place_tensor_copy_ops",
        None,
        "",
        [("    if isinstance(obj, torch.Tensor | nn.Module):\n        return obj.to(device)\n",
          "    if isinstance(obj, nn.Module):\n        return obj.to(device=device)\n    if torch.is_tensor(obj):\n        return obj.to(torch.device(device))\n"),
         ("        return tf.identity(obj)", "        return tf.add(obj, tf.zeros_like(obj))")],
    ),
]  # fmt: skip
