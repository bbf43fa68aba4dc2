"""Graded hints: ``hint("train")`` gives one more each call, from a nudge to the concept to the
API to reach for — never the solution. Per assignment and step; plain data, no hidden tests."""

from __future__ import annotations

from course_utils.text import Text

_COMMON = {
    "download": [
        "Three things can go wrong: a corrupted file, a half-written file, and downloading again every run.",
        "Compare the sha256 of the bytes with the expected digest before the file gets its final name; a rename inside one directory is atomic.",
        "hashlib.sha256(...).hexdigest(), urllib.request.urlopen(url) (it reads file:// too), tempfile.mkstemp(dir=cache_dir), os.replace(tmp, target).",
    ],
    "report": [
        "Report both splits: train numbers say how well the model fits, test numbers how well it generalises.",
        "Each key of the summary comes from exactly one of the two metric dicts; the gap is train accuracy minus test accuracy.",
        "One curve per history series against the epoch: fig, axes = plt.subplots(...); TensorBoard: one scalar per series and epoch, step=epoch.",
    ],
}

HINTS: dict[str, dict[str, list[str]]] = {
    "pytorch": {
        **_COMMON,
        "data": [
            "Which split may the normalisation statistics come from? And which axis does PyTorch expect the channels on?",
            "Statistics of the training split only, per channel. Moving the channel axis is a permutation of axes, not a reshape; grey images need a channel axis of size 1.",
            "x[..., None], tensor.permute(0, 3, 1, 2), dtype=np.float32 / torch.int64, DataLoader(..., shuffle=True, generator=torch.Generator().manual_seed(seed)).",
        ],
        "model": [
            "The same code must run on a laptop and on a GPU server, and for any batch size.",
            "Ask torch whether a GPU exists instead of naming one; flatten all axes but the batch axis; return raw logits.",
            "torch.cuda.is_available(), torch.device(...), x.flatten(1) or nn.Flatten(), no softmax at the end.",
        ],
        "loss_opt": [
            "What does CrossEntropyLoss do to its input before taking the log?",
            "It applies log-softmax itself, so it wants logits. The optimizer must hold the parameters of the model you train, with the learning rate you were given.",
            "nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=lr).",
        ],
        "metric": [
            "Which axis holds the classes? And is the last batch as large as the others?",
            "Arg-max over classes; sum per-sample values and divide by the number of samples; switch off dropout and gradient recording while evaluating.",
            "logits.argmax(dim=1), loss.item() * batch_size, model.eval(), with torch.no_grad():.",
        ],
        "train": [
            "backward() adds into .grad. What happens on the second batch if nothing clears it?",
            "Clear gradients once per batch (before backward or after step), put the model in training mode each epoch, move every batch to the device, log with .item().",
            "optimizer.zero_grad(), loss.backward(), optimizer.step(), model.train(), x.to(device), model.to(device) in fit.",
        ],
    },
    "tf2": {
        **_COMMON,
        "data": [
            "Keras convolutions expect the channels where? And in which order do shuffle and batch go?",
            "Channels last (N, H, W, C). Shuffle samples first, then group them into batches; never shuffle the test set; statistics from the training split.",
            "x[..., None], Dataset.from_tensor_slices(...).shuffle(n, seed=seed).batch(batch_size).",
        ],
        "model": [
            "Does your code name a device, or ask TensorFlow which devices exist?",
            "Ask for physical GPUs; build a model that ends in raw logits, not a softmax.",
            'tf.config.list_physical_devices("GPU"), keras.Sequential([keras.Input(shape), ..., keras.layers.Dense(num_classes)]).',
        ],
        "loss_opt": [
            "Does your model output probabilities or logits, and does the loss know?",
            "Keras losses take (y_true, y_pred); with logits say so explicitly.",
            "keras.losses.SparseCategoricalCrossentropy(from_logits=True), keras.optimizers.Adam(learning_rate=lr).",
        ],
        "metric": [
            "Keras metrics remember everything they have seen. What does that do to a second evaluation?",
            "Reset the metrics at the start of evaluate, and call the model with training=False.",
            "metric.reset_state(), metric.update_state(...), metric.result(), model(x, training=False).",
        ],
        "train": [
            "Which operations does a GradientTape record? And how often does a tf.function trace?",
            "Run the forward pass inside the tape; pass training=True; keep the step's signature stable; create variables (optimizer state) outside the step; reset the train-loss metric every epoch.",
            "tf.GradientTape (a context manager), tape.gradient, optimizer.apply_gradients, the tf.function decorator and its reduce_retracing option, optimizer.build.",
        ],
    },
    "tf1": {
        **_COMMON,
        "data": [
            "The graph is fed numpy arrays: which layout and dtypes does it expect?",
            "Channels last, float32 images, int64 labels, statistics from the training split.",
            "x[..., None], np.asarray(..., np.float32), labels.astype(np.int64).",
        ],
        "model": [
            "How many batch sizes will this graph ever see?",
            "Make a new graph; placeholders get a None batch dimension; everything the program runs is defined here, the initialiser last.",
            "g = tf.Graph(); with g.as_default():, tf.compat.v1.placeholder(tf.float32, [None, *input_shape]), tf.compat.v1.get_variable, tf.nn.conv2d, tf.reshape(h, [-1, n]).",
        ],
        "loss_opt": [
            "The loss and the training step are nodes of the graph too; so are batch norm's updates of its moving statistics, and a node runs only when something asks for it.",
            "Mean cross-entropy of the logits; one optimizer op with the learning rate you were given. Batch norm: batch statistics when training, moving ones otherwise; its assign ops go into the UPDATE_OPS collection and the training op must depend on them.",
            "tf.nn.sparse_softmax_cross_entropy_with_logits, tf.reduce_mean, tf.compat.v1.train.AdamOptimizer(lr).minimize(loss); tf.nn.moments, tf.cond, tf1.assign, tf1.add_to_collection, tf1.control_dependencies(update_ops).",
        ],
        "metric": [
            "Does your evaluate create any tf.* operation?",
            "Only run tensors that build_graph made, batch by batch, with dropout off, averaging exactly over samples.",
            "session.run([handles['loss'], handles['accuracy']], feed_dict={..., handles['training']: False}).",
        ],
        "train": [
            "How many times should the initialiser run? And what happens to the graph if the loop creates ops?",
            "Initialise once before the loop; shuffle and feed the training split; create no op in the loop.",
            "session.run(handles['init']), rng.permutation(len(x)), session.run(handles['train_op'], feed_dict=...), graph.finalize().",
        ],
    },
}
HINTS["bridge"] = {
    "layouts": [
        "Print x.reshape(...) and the permuted x of a tiny (1, 2, 2, 2) array side by side: which one moved pixel (0, 1, 0, 0)?",
        "A layout change moves every value to a new position: a permutation of axes. The memory format keeps the logical shape and changes only the strides.",
        "np.transpose(x, axes), tensor.permute(*axes), tf.transpose(x, axes); tensor.contiguous(memory_format=torch.channels_last), module.to(memory_format=...).",
    ],
    "port": [
        "Compare weight.shape in PyTorch with kernel.shape in Keras for a conv and a dense layer: which axes moved?",
        "Conv kernels and dense kernels need a transpose, and the first dense layer after Flatten also sees its inputs in another order: (C, H, W) in PyTorch, (H, W, C) in Keras.",
        "np.transpose(w, axes), w.T, w.reshape(out, C, H, W) to get at the flatten order, keras_model.set_weights(list_of_arrays), flatten_layer.input.shape.",
    ],
    "parity": [
        "All three must compute the mean cross-entropy of raw logits over the batch, with the same weights in each framework's layout.",
        "PyTorch fills .grad when you call backward; TF2 returns gradients from a tape that watched the forward pass; TF1 adds gradient ops to the graph, which a session runs.",
        "nn.functional.cross_entropy, tf.GradientTape().gradient, tf.nn.sparse_softmax_cross_entropy_with_logits, tf.compat.v1.gradients, itertools.combinations for pairs.",
    ],
    "accumulation": [
        "Write down the gradient of the mean loss over k*m samples in terms of the k micro-batch gradients.",
        "It is their mean: scale each micro-batch loss by 1/k, let the gradients add up, and step (then zero) only every k micro-batches.",
        "Scale the loss by 1/k before backward(); a counter modulo k decides when to call optimizer.step() and zero_grad(); in TF2 keep a list of running sums (scaled inside the tape) and optimizer.apply_gradients(zip(sums, variables)).",
    ],
    "placement": [
        "What does x.to(device) return, and is x itself changed? And a module?",
        "PyTorch moves data only when you ask; TensorFlow runs each op on a device and its result lives there.",
        "tensor.to(device) (keep the result), module.to(device), `with tf.device(device):` around an op such as tf.identity(x).",
    ],
}


class Hints:
    """``hint = Hints("pytorch")``; ``hint("train")`` returns the next hint for that step."""

    def __init__(self, assignment: str):
        if assignment not in HINTS:
            raise ValueError(f"no hints for assignment {assignment!r}; known: {sorted(HINTS)}")
        self.assignment = assignment
        self.given: dict[str, int] = {}

    def __call__(self, step: str) -> Text:
        hints = HINTS[self.assignment].get(step)
        if hints is None:
            raise ValueError(
                f"unknown step {step!r}; expected one of {', '.join(HINTS[self.assignment])}"
            )
        n = self.given.get(step, 0)
        self.given[step] = min(n + 1, len(hints))
        text = hints[min(n, len(hints) - 1)]
        level = min(n, len(hints) - 1) + 1
        more = "" if level < len(hints) else " (that is the last hint for this step)"
        return Text(f"hint {level}/{len(hints)} for {step}: {text}{more}")
