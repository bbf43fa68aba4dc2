"""Mutants of the PyTorch reference: one per mistake of course-spec.md, plus valid alternatives.

Each mistake mutant must lose points in ``step`` (and only there), with feedback containing
``misconception``. Each alternative (``step=None``) must keep full marks. ``example=True``
mutants are also written to ``examples/pytorch/`` by ``dlcourse build`` for the demo.
The grader's tests (``tests/autograder/test_pytorch_mutants.py``) check all of them.
"""

from autograder.build import Mutant

LOOP_HEAD = """    model.train()
    total_loss, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
"""

MUTANTS = [
    Mutant(
        "download_cache_unverified",
        "download",
        "without verifying its checksum",
        [("    if target.exists() and _sha256_file(target) == sha256:\n", "    if target.exists():\n")],
    ),
    # -- download ------------------------------------------------------------------------------
    Mutant(
        "download_no_checksum",
        "download",
        "sha256 does not match was accepted",
        [("        if digest.hexdigest() != sha256:", "        if False:")],
        example=True,
    ),
    Mutant(
        "download_fixed_name",
        "download",
        "named after the URL's last part",
        [("    target = cache_dir / Path(urllib.request.url2pathname(url.rsplit(\"/\", 1)[-1])).name\n", "    target = cache_dir / \"download.bin\"\n")],
    ),
    Mutant(
        "download_no_cache",
        "download",
        "reuse the cached copy",
        [("    if target.exists() and _sha256_file(target) == sha256:\n        return target\n", "")],
    ),
    Mutant(
        "download_not_atomic",
        "download",
        "stayed at its final name",
        [
            (
                '    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=".part-")',
                "    fd, tmp_name = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), str(target)",
            ),
            ("        os.replace(tmp_name, target)\n    finally:\n        if os.path.exists(tmp_name):\n            os.remove(tmp_name)\n",
             "    finally:\n        pass\n"),
        ],
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
        "stats_from_test_split",
        "data",
        "come from the test split",
        [("    mean, std = normalization_stats(images[train_idx])", "    mean, std = normalization_stats(images[test_idx])")],
    ),
    Mutant(
        "reshape_instead_of_permute",
        "data",
        "not a reshape",
        [
            (
                "    x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()",
                "    x = torch.from_numpy(x).reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2])",
            )
        ],
        example=True,
    ),
    Mutant(
        "missing_channel_axis",
        "data",
        "channel axis is missing",
        [
            (
                "    x = np.asarray(images, dtype=np.float32) / 255.0\n    if x.ndim == 3:\n"
                "        x = x[..., None]  # (N, H, W) -> (N, H, W, 1)\n",
                "    x = np.asarray(images, dtype=np.float32) / 255.0\n    if x.ndim == 3:\n"
                "        x = (x - float(mean[0])) / float(std[0])\n"
                "        return torch.from_numpy(x), torch.as_tensor(np.asarray(labels), dtype=torch.int64)\n",
            )
        ],
    ),
    Mutant(
        "float64_images",
        "data",
        "expected float32",
        [("    x = np.asarray(images, dtype=np.float32) / 255.0", "    x = np.asarray(images) / 255.0")],
    ),
    Mutant(
        "float_labels",
        "data",
        "int64 class indices",
        [("    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64)", "    y = torch.as_tensor(np.asarray(labels), dtype=torch.float32)")],
    ),
    Mutant(
        "test_loader_shuffled",
        "data",
        "test loader is shuffled",
        [("batch_size=batch_size, shuffle=False)", "batch_size=batch_size, shuffle=True)")],
    ),
    Mutant(
        "train_loader_unshuffled",
        "data",
        "not shuffled",
        [("shuffle=True, generator=generator", "shuffle=False")],
        example=True,
    ),
    # -- model and devices ---------------------------------------------------------------------
    Mutant(
        "get_device_hardcoded_cuda",
        "model",
        "hard-coded",
        [
            (
                '    if prefer_gpu and torch.cuda.is_available():\n        return torch.device("cuda")\n'
                '    return torch.device("cpu")',
                '    return torch.device("cuda")',
            )
        ],
    ),
    Mutant(
        "get_device_hardcoded_cpu",
        "model",
        "'cpu' hard-coded",
        [
            (
                '    if prefer_gpu and torch.cuda.is_available():\n        return torch.device("cuda")\n'
                '    return torch.device("cpu")',
                '    return torch.device("cpu")',
            )
        ],
    ),
    Mutant(
        "device_equals_cuda",
        "model",
        "cuda:0",
        [
            (
                "    if isinstance(obj, torch.Tensor):\n        return obj.to(device)",
                '    if isinstance(obj, torch.Tensor):\n        if obj.device == torch.device("cuda"):\n'
                "            return obj\n        return obj.to(device)",
            )
        ],
    ),
    Mutant(
        "to_device_tuple_becomes_list",
        "model",
        "keep their type",
        [("        return type(obj)(to_device(value, device) for value in obj)", "        return [to_device(value, device) for value in obj]")],
    ),
    Mutant(
        "hardcoded_batch_in_view",
        "model",
        "batch size hard-coded",
        [
            (
                "def build_model(in_channels=1, num_classes=10):",
                "class FlattenBatch(nn.Module):\n    def forward(self, x):\n        return x.view(64, -1)\n\n\n"
                "def build_model(in_channels=1, num_classes=10):",
            ),
            ("        nn.Flatten(),  # -> (N, 1024)", "        FlattenBatch(),"),
        ],
        example=True,
    ),
    Mutant(
        "softmax_in_model",
        "model",
        "ends with a softmax",
        [
            (
                "        nn.Linear(128, num_classes),  # -> (N, num_classes) logits",
                "        nn.Linear(128, num_classes),\n        nn.Softmax(dim=1),",
            )
        ],
    ),
    Mutant(
        "dropout_drops_everything",
        "model",
        "in training mode",
        [("        nn.Dropout(0.25),", "        nn.Dropout(1.0),")],
    ),
    # -- loss and optimizer --------------------------------------------------------------------
    Mutant(
        "softmax_before_loss",
        "loss_opt",
        "softmax before cross-entropy",
        [
            (
                "    return nn.CrossEntropyLoss()",
                "    return lambda logits, targets: nn.functional.cross_entropy(torch.softmax(logits, dim=1), targets)",
            )
        ],
    ),
    Mutant(
        "optimizer_for_another_model",
        "loss_opt",
        "none of the given model's parameters",
        [("    return torch.optim.Adam(model.parameters(), lr=lr)", "    return torch.optim.Adam(build_model().parameters(), lr=lr)")],
        example=True,
    ),
    Mutant(
        "lr_ignored",
        "loss_opt",
        "lr argument is ignored",
        [("    return torch.optim.Adam(model.parameters(), lr=lr)", "    return torch.optim.Adam(model.parameters(), lr=1e-3)")],
    ),
    # -- metric --------------------------------------------------------------------------------
    Mutant(
        "argmax_over_batch_axis",
        "metric",
        "batch axis",
        [("(logits.argmax(dim=1) == targets)", "(logits.argmax(dim=0) == targets)")],
    ),
    Mutant(
        "evaluate_without_eval",
        "metric",
        "model.eval()",
        [("    model.eval()\n    total_loss, correct, count = 0.0, 0, 0", "    total_loss, correct, count = 0.0, 0, 0")],
    ),
    Mutant(
        "evaluate_without_no_grad",
        "metric",
        "torch.no_grad()",
        [("    with torch.no_grad():\n        for x, y in loader:", "    if True:\n        for x, y in loader:")],
    ),
    Mutant(
        "evaluate_mean_of_batch_means",
        "metric",
        "per-batch means",
        [
            ("            total_loss += loss_fn(logits, y).item() * y.shape[0]", "            total_loss += loss_fn(logits, y).item()"),
            ("            correct += (logits.argmax(dim=1) == y).sum().item()", "            correct += (logits.argmax(dim=1) == y).float().mean().item()"),
            ("            count += y.shape[0]\n    return {", "            count += 1\n    return {"),
        ],
        example=True,
    ),
    Mutant(
        "evaluate_accuracy_mean_of_batch_means",
        "metric",
        "per-batch",
        [
            ("    total_loss, correct, count = 0.0, 0, 0\n", "    total_loss, correct, count, batches = 0.0, 0, 0, 0\n"),
            ("            correct += (logits.argmax(dim=1) == y).sum().item()", "            correct += (logits.argmax(dim=1) == y).float().mean().item()\n            batches += 1"),
            ('"accuracy": correct / count}', '"accuracy": correct / batches}'),
        ],
    ),
    Mutant(
        "evaluate_batch_not_moved",
        "metric",
        "never moved",
        [("            x, y = x.to(device), y.to(device)\n            logits = model(x)", "            logits = model(x)")],
    ),
    # -- train ---------------------------------------------------------------------------------
    Mutant(
        "no_zero_grad",
        "train",
        "accumulate",
        [("        optimizer.zero_grad()\n        loss = loss_fn(model(x), y)", "        loss = loss_fn(model(x), y)")],
        example=True,
    ),
    Mutant(
        "step_before_backward",
        "train",
        "step() comes before loss.backward()",
        [("        loss.backward()\n        optimizer.step()\n", "        optimizer.step()\n        loss.backward()\n")],
    ),
    Mutant(
        "logits_detached",
        "train",
        "detach",
        [("        loss = loss_fn(model(x), y)\n        loss.backward()", "        loss = loss_fn(model(x).detach(), y)\n        loss.backward()")],
    ),
    Mutant(
        "zero_grad_between_backward_and_step",
        "train",
        "between backward() and step()",
        [
            (
                "        optimizer.zero_grad()\n        loss = loss_fn(model(x), y)\n        loss.backward()\n        optimizer.step()",
                "        loss = loss_fn(model(x), y)\n        loss.backward()\n        optimizer.zero_grad()\n        optimizer.step()",
            )
        ],
    ),
    Mutant(
        "zero_grad_once_per_epoch",
        "train",
        "once per epoch",
        [
            (
                LOOP_HEAD,
                LOOP_HEAD.replace("        optimizer.zero_grad()\n", "").replace(
                    "    total_loss, count", "    optimizer.zero_grad()\n    total_loss, count"
                ),
            )
        ],
    ),
    Mutant(
        "train_mode_not_restored",
        "train",
        "model.train()",
        [("    model.train()\n    total_loss, count = 0.0, 0", "    total_loss, count = 0.0, 0")],
    ),
    Mutant(
        "loss_tensors_summed_with_graph",
        "train",
        "graph",
        [("        total_loss += loss.item() * y.shape[0]", "        total_loss += loss * y.shape[0]")],
    ),
    Mutant(
        "train_batch_not_moved",
        "train",
        "never moved",
        [("        x, y = x.to(device), y.to(device)\n        optimizer.zero_grad()", "        optimizer.zero_grad()")],
    ),
    Mutant(
        "train_hardcoded_cpu",
        "train",
        "hard-coded",
        [("        x, y = x.to(device), y.to(device)\n        optimizer.zero_grad()", '        x, y = x.to("cpu"), y.to("cpu")\n        optimizer.zero_grad()')],
    ),
    Mutant(
        "train_hardcoded_cuda",
        "train",
        "hard-coded 'cuda'",
        [("        x, y = x.to(device), y.to(device)\n        optimizer.zero_grad()", '        x, y = x.to("cuda"), y.to("cuda")\n        optimizer.zero_grad()')],
    ),
    Mutant(
        "train_tensor_on_default_device",
        "train",
        "default device",
        [
            (
                "        loss = loss_fn(model(x), y)\n        loss.backward()",
                "        logits = model(x)\n        soft = torch.zeros(logits.shape)\n"
                "        soft[torch.arange(len(y)), y] = 1.0\n        loss = loss_fn(logits, soft)\n        loss.backward()",
            )
        ],
    ),
    Mutant(
        "fit_history_train_loss_is_test_loss",
        "train",
        "mean of that epoch's training losses",
        [('                "train_loss": train_loss,\n', '                "train_loss": metrics["loss"],\n')],
    ),
    Mutant(
        "fit_model_not_moved",
        "train",
        "model.to(device)",
        [("    model.to(device)\n    history = []", "    history = []")],
    ),
    # -- report --------------------------------------------------------------------------------
    Mutant(
        "report_train_test_swapped",
        "report",
        "swapped",
        [
            (
                '        "train_loss": float(train_metrics["loss"]),\n'
                '        "train_accuracy": float(train_metrics["accuracy"]),\n'
                '        "test_loss": float(test_metrics["loss"]),\n'
                '        "test_accuracy": float(test_metrics["accuracy"]),',
                '        "train_loss": float(test_metrics["loss"]),\n'
                '        "train_accuracy": float(test_metrics["accuracy"]),\n'
                '        "test_loss": float(train_metrics["loss"]),\n'
                '        "test_accuracy": float(train_metrics["accuracy"]),',
            )
        ],
        example=True,
    ),
    # -- promises that had no mutant (docs/contract.md) ----------------------------------------
    Mutant(
        "download_cache_dir_not_created",
        "download",
        "cache_dir",
        [("    cache_dir.mkdir(parents=True, exist_ok=True)\n", "")],
    ),
    Mutant(
        "stats_not_per_channel",
        "data",
        "statistics are per channel",
        [
            (
                "    mean = x.mean(axis=(0, 1, 2))\n    std = x.std(axis=(0, 1, 2))\n",
                "    mean = x.mean()\n    std = x.std()\n",
            )
        ],
    ),
    Mutant(
        "stats_std_per_image",
        "data",
        "each image's own",
        [("    std = x.std(axis=(0, 1, 2))\n", "    std = x.std(axis=(1, 2)).mean(axis=0)\n")],
    ),
    Mutant(
        "stats_not_scaled",
        "data",
        "0..255 scale",
        [("    x = np.asarray(x_train, dtype=np.float64) / 255.0", "    x = np.asarray(x_train, dtype=np.float64)")],
    ),
    Mutant(
        "stats_float64",
        "data",
        "float64",
        [("    return mean.astype(np.float32), std.astype(np.float32)", "    return mean, std")],
    ),
    Mutant(
        "preprocess_not_scaled",
        "data",
        "scaled to [0, 1]",
        [("    x = np.asarray(images, dtype=np.float32) / 255.0", "    x = np.asarray(images, dtype=np.float32)")],
    ),
    Mutant(
        "split_not_stratified",
        "data",
        "not stratified",
        [
            (
                "    train_idx, test_idx = stratified_split(labels, test_size, seed)",
                "    order = np.random.default_rng(seed).permutation(len(labels))\n"
                "    n_test = int(round(test_size * len(labels)))\n"
                "    test_idx, train_idx = order[:n_test], order[n_test:]",
            )
        ],
    ),
    Mutant(
        "split_seed_ignored",
        "data",
        "seed argument is ignored",
        [("    train_idx, test_idx = stratified_split(labels, test_size, seed)", "    train_idx, test_idx = stratified_split(labels, test_size, 0)")],
    ),
    Mutant(
        "split_test_size_ignored",
        "data",
        "test_size",
        [("    train_idx, test_idx = stratified_split(labels, test_size, seed)", "    train_idx, test_idx = stratified_split(labels, 0.2, seed)")],
    ),
    Mutant(
        "split_train_test_unpacked_swapped",
        "data",
        "swapped",
        [("    train_idx, test_idx = stratified_split(", "    test_idx, train_idx = stratified_split(")],
    ),
    Mutant(
        "loaders_batch_size_ignored",
        "data",
        "batch_size",
        [
            ("batch_size=batch_size, shuffle=True", "batch_size=64, shuffle=True"),
            ("batch_size=batch_size, shuffle=False", "batch_size=64, shuffle=False"),
        ],
    ),
    Mutant(
        "train_order_not_seeded",
        "data",
        "not reproducible",
        [("shuffle=True, generator=generator", "shuffle=True")],
    ),
    Mutant(
        "loader_seed_ignored",
        "data",
        "seed argument is ignored",
        [("    generator = torch.Generator().manual_seed(seed)", "    generator = torch.Generator().manual_seed(0)")],
    ),
    Mutant(
        "to_device_ignores_dicts",
        "model",
        "nested tensors must be moved",
        [("    if isinstance(obj, dict):\n        return {key: to_device(value, device) for key, value in obj.items()}\n", "")],
    ),
    Mutant(
        "fit_history_last_epoch_only",
        "train",
        "one per epoch",
        [
            (
                "        history.append(\n"
                "            {\n"
                '                "epoch": epoch,\n'
                '                "train_loss": train_loss,\n'
                '                "test_loss": metrics["loss"],\n'
                '                "test_accuracy": metrics["accuracy"],\n'
                "            }\n"
                "        )\n",
                "    history.append(\n"
                "        {\n"
                '            "epoch": epoch,\n'
                '            "train_loss": train_loss,\n'
                '            "test_loss": metrics["loss"],\n'
                '            "test_accuracy": metrics["accuracy"],\n'
                "        }\n"
                "    )\n",
            )
        ],
    ),
    Mutant(
        "report_gap_reversed",
        "report",
        "wrong sign",
        [('float(train_metrics["accuracy"] - test_metrics["accuracy"])', 'float(test_metrics["accuracy"] - train_metrics["accuracy"])')],
    ),
    Mutant(
        "plot_missing_test_loss",
        "report",
        "no curve",
        [('    ax_loss.plot(epochs, [h["test_loss"] for h in history], label="test")\n', "")],
    ),
    Mutant(
        "tensorboard_step_is_index",
        "report",
        "step = epoch",
        [
            ("        for h in history:\n            writer.add_scalar(", "        for i, h in enumerate(history):\n            writer.add_scalar("),
            ('h["train_loss"], h["epoch"])', 'h["train_loss"], i)'),
            ('h["test_loss"], h["epoch"])', 'h["test_loss"], i)'),
            ('h["test_accuracy"], h["epoch"])', 'h["test_accuracy"], i)'),
        ],
    ),
    Mutant(
        "tensorboard_wrong_tags",
        "report",
        "tags",
        [
            ('writer.add_scalar("loss/train"', 'writer.add_scalar("train_loss"'),
            ('writer.add_scalar("loss/test"', 'writer.add_scalar("test_loss"'),
            ('writer.add_scalar("accuracy/test"', 'writer.add_scalar("test_accuracy"'),
        ],
    ),
    Mutant(
        "loaders_returned_swapped",
        "data",
        "swapped",
        [("    return train_loader, test_loader", "    return test_loader, train_loader")],
    ),
    Mutant(
        "plot_returns_axes",
        "report",
        "matplotlib Figure",
        [("    fig.tight_layout()\n    return fig\n", "    fig.tight_layout()\n    return ax_loss\n")],
    ),
    # -- correct code in other styles: full marks ----------------------------------------------
    Mutant("alt_model_zero_grad", None, "", [("        optimizer.zero_grad()\n        loss =", "        model.zero_grad()\n        loss =")]),
    Mutant(
        "alt_zero_grad_keep_tensors",
        None,
        "",
        [("        optimizer.zero_grad()\n        loss =", "        optimizer.zero_grad(set_to_none=False)\n        loss =")],
    ),
    Mutant(
        "alt_zero_grad_at_end",
        None,
        "",
        [
            (
                LOOP_HEAD,
                LOOP_HEAD.replace("        optimizer.zero_grad()\n", "").replace(
                    "        optimizer.step()\n", "        optimizer.step()\n        optimizer.zero_grad()\n"
                ),
            )
        ],
    ),
    Mutant(
        "alt_functional_loss",
        None,
        "",
        [("    return nn.CrossEntropyLoss()", "    return lambda logits, targets: torch.nn.functional.cross_entropy(logits, targets)")],
    ),
    Mutant(
        "alt_log_softmax_nll",
        None,
        "",
        [
            ("        nn.Linear(128, num_classes),  # -> (N, num_classes) logits", "        nn.Linear(128, num_classes),\n        nn.LogSoftmax(dim=1),"),
            ("    return nn.CrossEntropyLoss()", "    return nn.NLLLoss()"),
        ],
    ),
    Mutant("alt_sgd_momentum", None, "", [("torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)")]),
    Mutant("alt_inference_mode", None, "", [("    with torch.no_grad():\n        for x, y in loader:", "    with torch.inference_mode():\n        for x, y in loader:")]),
    Mutant(
        "alt_global_seed_loaders",
        None,
        "",
        [
            ("    generator = torch.Generator().manual_seed(seed)\n", "    torch.manual_seed(seed)\n"),
            ("shuffle=True, generator=generator", "shuffle=True"),
        ],
    ),
    Mutant(
        "alt_subclassed_mlp",
        None,
        "",
        [
            (
                "def build_model(in_channels=1, num_classes=10):",
                "class MLP(nn.Module):\n"
                "    def __init__(self, in_channels, num_classes):\n"
                "        super().__init__()\n"
                "        self.hidden = nn.Linear(in_channels * 64, 256)\n"
                "        self.out = nn.Linear(256, num_classes)\n\n"
                "    def forward(self, x):\n"
                "        x = x.view(x.size(0), -1)\n"
                "        return self.out(torch.relu(self.hidden(x)))\n\n\n"
                "def build_model(in_channels=1, num_classes=10):\n    return MLP(in_channels, num_classes)",
            )
        ],
    ),
    Mutant(
        "alt_moveaxis_and_batch_mean_loss",
        None,
        "",
        [
            ("    x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()", "    x = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)))"),
            ("        total_loss += loss.item() * y.shape[0]\n        count += y.shape[0]", "        total_loss += loss.item()\n        count += 1"),
        ],
    ),
    Mutant(
        "alt_accuracy_eq_sum",
        None,
        "",
        [("    return (logits.argmax(dim=1) == targets).float().mean().item()", "    return logits.argmax(1).eq(targets).sum().item() / len(targets)")],
    ),
    Mutant(
        "alt_torch_hub_download",
        None,
        "",
        [
            (
                "    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=\".part-\")\n    try:\n        digest = hashlib.sha256()\n"
                "        with os.fdopen(fd, \"wb\") as out, urllib.request.urlopen(url) as response:\n"
                "            while block := response.read(1 << 16):\n                digest.update(block)\n                out.write(block)\n"
                "        if digest.hexdigest() != sha256:",
                "    tmp_name = str(cache_dir / (target.name + \".part\"))\n    try:\n"
                "        torch.hub.download_url_to_file(url, tmp_name, progress=False)\n"
                "        digest = hashlib.sha256(Path(tmp_name).read_bytes())\n"
                "        if digest.hexdigest() != sha256:",
            )
        ],
    ),
    Mutant(
        "alt_tempfile_default_dir",
        None,
        "",
        [
            ('    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=".part-")', '    fd, tmp_name = tempfile.mkstemp(prefix=".part-")  # the default temporary directory'),
            ("        os.replace(tmp_name, target)", "        __import__(\"shutil\").move(tmp_name, target)"),
        ],
    ),
    Mutant(
        "alt_writer_left_open",
        None,
        "",
        [("    with SummaryWriter(log_dir=str(log_dir)) as writer:\n", "    writer = SummaryWriter(log_dir=str(log_dir))\n    for _ in [0]:\n")],
    ),
]
