"""Do the model and metric steps give points for behaviour, never for properties that a constant
model or an evaluation loop that evaluates nothing also has?

Each submission is the reference with ``build_model`` or ``evaluate`` replaced by one that looks
right from the outside (right shapes, eval mode, no graph, a dict of floats) but cannot learn or
does not evaluate: every model_* / evaluate_* test it reaches scores 0, and the reference keeps
full marks on them in the same batch.
"""

from __future__ import annotations

import pytest

from tests.conftest import grade_sources, reference_code_of

pytestmark = [pytest.mark.torch, pytest.mark.slow]

CONSTANT_MODELS = {
    "zeros_with_unused_layer": """
class _Zeros(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.fc = nn.Linear(in_channels * 64, num_classes)
        self.num_classes = num_classes
    def forward(self, x):
        return torch.zeros(x.shape[0], self.num_classes) + 0 * self.fc.bias
def build_model(in_channels=1, num_classes=10):
    return _Zeros(in_channels, num_classes)
""",
    "layer_times_zero": """
class _Times0(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.fc = nn.Linear(in_channels * 64, num_classes)
    def forward(self, x):
        return self.fc(x.flatten(1)) * 0
def build_model(in_channels=1, num_classes=10):
    return _Times0(in_channels, num_classes)
""",
    "bias_only": """
class _Bias(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(num_classes))
    def forward(self, x):
        return self.bias.expand(x.shape[0], -1) + 0 * x.flatten(1)[:, :1]
def build_model(in_channels=1, num_classes=10):
    return _Bias(in_channels, num_classes)
""",
}
EMPTY_EVALUATIONS = {
    "returns_zeros": """
def evaluate(model, loader, loss_fn, device):
    model.eval()
    with torch.no_grad():
        pass
    return {"loss": 0.0, "accuracy": 0.0}
""",
    "runs_the_model_returns_zeros": """
def evaluate(model, loader, loss_fn, device):
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            model(x.to(device))
    return {"loss": 0.0, "accuracy": 0.0}
""",
    "first_batch_only": """
def evaluate(model, loader, loss_fn, device):
    model.eval()
    with torch.no_grad():
        x, y = next(iter(loader))
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = loss_fn(logits, y).item()
        accuracy = (logits.argmax(1) == y).float().mean().item()
    return {"loss": 0.0, "accuracy": 0.0 * accuracy + 0.0 * loss}
""",
}
STEP_TESTS = {"model": ("model_",), "metric": ("evaluate_",)}
LEGIT = {"metric_first_batch_only": {"evaluate_moves_batches"}}
"""Points that are earned: that loop does move its one batch to the device."""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    reference = reference_code_of("pytorch")
    sources = {"reference": reference}
    sources |= {f"model_{k}": reference + v for k, v in CONSTANT_MODELS.items()}
    sources |= {f"metric_{k}": reference + v for k, v in EMPTY_EVALUATIONS.items()}
    return grade_sources(sources, tmp_path_factory.mktemp("behaviour"), "pytorch")


def _tests(result, step):
    prefixes = STEP_TESTS[step]
    return {t.name: t for t in result.tests if t.step == step and t.name.startswith(prefixes)}


@pytest.mark.parametrize(
    "name",
    [f"model_{k}" for k in CONSTANT_MODELS] + [f"metric_{k}" for k in EMPTY_EVALUATIONS],
)
def test_looking_right_earns_nothing(graded, name):
    step = name.split("_", 1)[0]
    tests = _tests(graded[name], step)
    assert tests, "no test of the step found: the names changed"
    earned = {n: t.score for n, t in tests.items() if t.score > 0 and n not in LEGIT.get(name, ())}
    assert not earned, f"{name} earned {earned}"
    assert all(t.message for t in tests.values() if t.score == 0)
    reference = _tests(graded["reference"], step)
    assert all(t.score == t.max_score for t in reference.values())


TF2_EMPTY_EVALUATION = """
def evaluate(model, dataset, loss_fn, metrics):
    for metric in metrics.values():
        metric.reset_state()
    for x, y in dataset:
        model(x, training=False)
    return {"loss": 0.0, "accuracy": 0.0}
"""


@pytest.mark.tensorflow
def test_a_tf2_evaluation_that_evaluates_nothing_earns_nothing(tmp_path):
    reference = reference_code_of("tf2")
    graded = grade_sources(
        {"reference": reference, "empty": reference + TF2_EMPTY_EVALUATION}, tmp_path, "tf2"
    )
    empty = {t.name: t for t in graded["empty"].tests if t.name.startswith("evaluate_")}
    assert empty and not {n: t.score for n, t in empty.items() if t.score > 0}
    honest = [t for t in graded["reference"].tests if t.name.startswith("evaluate_")]
    assert all(t.score == t.max_score for t in honest)


FORGED_OPTIMIZERS = {
    # ignores gradients and lr; its param_groups still say lr
    "adds_a_constant": """
class _Constant(torch.optim.Optimizer):
    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})
    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(0.01)
def make_optimizer(model, lr):
    return _Constant(model.parameters(), lr)
""",
    # descends, but with a learning rate of its own whatever param_groups report
    "reports_lr_uses_another": """
class _Fixed(torch.optim.SGD):
    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-0.05)
def make_optimizer(model, lr):
    return _Fixed(model.parameters(), lr=lr)
""",
}
LOST = {
    "adds_a_constant": {"optimizer_over_model_parameters", "optimizer_uses_lr"},
    "reports_lr_uses_another": {"optimizer_uses_lr"},
}


def test_an_optimizer_is_judged_by_its_steps_not_by_its_param_groups(tmp_path):
    reference = reference_code_of("pytorch")
    sources = {"reference": reference} | {k: reference + v for k, v in FORGED_OPTIMIZERS.items()}
    graded = grade_sources(sources, tmp_path, "pytorch")
    for name, lost in LOST.items():
        tests = {t.name: t for t in graded[name].tests if t.name.startswith("optimizer_")}
        assert {n for n, t in tests.items() if t.score == 0} == lost, name
    assert all(t.score == t.max_score for t in graded["reference"].tests if t.step == "loss_opt")
