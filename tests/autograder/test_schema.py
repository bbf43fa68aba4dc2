"""The schema language observations are checked with: each rule lets what fits through and
refuses each kind of misfit with a message naming expected, got and where."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from autograder.schema import Any as AnyData
from autograder.schema import (
    AnyOf,
    Array,
    Bool,
    Choice,
    Dict,
    Float,
    Int,
    List,
    Map,
    Num,
    OneOf,
    Opt,
    Str,
    Tuple,
    check,
)

OPTIMIZER_RUN = Dict(
    required={"lr_given": Float(), "lrs": List(Float(), 4), "type": Str(20)},
    optional={"changed": Bool()},
)
SCHEMA = Dict(required={"a": OPTIMIZER_RUN, "values": Opt(Array("f", 2, max_size=12))})


def _honest() -> dict:
    return {
        "a": {"lr_given": 0.1, "lrs": [0.1, 0.1], "type": "SGD", "changed": True},
        "values": np.zeros((3, 4), np.float32),
    }


def test_a_value_that_fits_passes_unchanged():
    """Does an honest observation fit, and is it left exactly as it was?"""
    obs = _honest()
    before = copy.deepcopy(obs)
    assert check(SCHEMA, obs) is None
    assert obs.keys() == before.keys() and obs["a"] == before["a"]
    assert np.array_equal(obs["values"], before["values"])
    assert check(SCHEMA, {**obs, "values": None}) is None  # Opt: None fits


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: o["a"].update(lrs="0.1"), "expected a list of at most 4 items, got a string"),
        (lambda o: o["a"]["lrs"].__setitem__(0, "x"), "at obs['a']['lrs'][0]"),
        (lambda o: o.__setitem__("a", [1, 2]), "expected a dict with the keys 'lr_given'"),
        (lambda o: o["a"].pop("type"), "with the key 'type', got no such key at obs['a']"),
        (lambda o: o["a"].update(extra=1), "got the key 'extra' at obs['a']"),
        (lambda o: o["a"].update(changed=1), "expected a bool, got a int at obs['a']['changed']"),
        (lambda o: o["a"].update(type="x" * 21), "at most 20 characters, got a string of 21"),
        (lambda o: o["a"].update(lrs=[0.1] * 5), "got a list of 5 items at obs['a']['lrs']"),
        (lambda o: o.update(values=np.zeros((3, 4), np.int64)), "got a 2-dim int64 array"),
        (lambda o: o.update(values=np.zeros(12, np.float32)), "expected a 2-dim float array"),
        (lambda o: o.update(values=np.zeros((4, 4))), "got 16 elements at obs['values']"),
        (lambda o: o.update(values=[[0.0] * 4] * 3), "array of at most 12 elements, got a list"),
    ],
    ids=[
        "wrong type",
        "wrong item type (path)",
        "list for a dict",
        "missing key",
        "extra key",
        "int for a bool",
        "string too long",
        "list too long",
        "wrong dtype",
        "wrong ndim",
        "array too large",
        "list for an array",
    ],
)
def test_each_kind_of_misfit_is_refused_with_its_message(change, expected):
    """Is each kind of misfit refused, with a message that says what and where?"""
    obs = _honest()
    change(obs)
    message = check(SCHEMA, obs)
    assert message is not None and expected in message, message


def test_numbers_keep_bools_and_ints_apart_but_accept_non_finite_floats():
    """Is a bool refused where a number is expected, and does NaN fit a float (the verdicts,
    not the schema, decide about it)?"""
    assert check(Int(), True) is not None and check(Num(), False) is not None
    assert check(Num(), 3) is None and check(Num(), 2.5) is None
    assert check(Float(), 3) is not None  # an int is not a float: use Num where both occur
    assert check(Float(), float("nan")) is None and check(Float(), float("inf")) is None
    assert "expected an int >= 0, got -1" in str(check(Int(min=0), -1))


def test_choices_tuples_and_maps():
    """Are unknown strings, wrong-length tuples and oversized or mistyped maps refused?"""
    assert check(Choice("ok", "timeout"), "ok") is None
    assert "expected one of 'ok', 'timeout', got 'won'" in str(
        check(Choice("ok", "timeout"), "won")
    )
    assert check(Tuple(Str(), Int()), ["w", 3]) is None
    assert "exactly 2 items" in str(check(Tuple(Str(), Int()), ["w", 3, 4]))
    scores = Map(Opt(Float()), max_len=2)
    assert check(scores, {"loss": 0.5, "acc": None}) is None
    assert "at most 2 entries" in str(check(scores, {"a": 1.0, "b": 1.0, "c": 1.0}))
    assert "obs['loss']" in str(check(scores, {"loss": "low"}))


def test_one_of_names_the_option_that_came_closest():
    """Does a OneOf misfit report the deepest disagreement (the form most likely meant)?"""
    schema = OneOf(
        Dict(required={"is_dict": Bool(), "returned": Str()}),
        Dict(required={"is_dict": Bool(), "loss": Opt(Float())}),
    )
    assert check(schema, {"is_dict": True, "loss": None}) is None
    message = check(schema, {"is_dict": True, "loss": "x"})
    assert message is not None and message.endswith("at obs['loss']")


def test_any_data_is_bounded_in_depth_items_and_types():
    """Does ``Any`` take plain data, but not nesting deeper than allowed, too many items,
    non-numeric arrays or objects that are not plain data?"""
    assert check(AnyData, {"a": [1, 2.0, "s", None, np.zeros(2)]}) is None
    nested: list = []
    deep = nested
    for _ in range(10):
        deep.append([])
        deep = deep[0]
    assert "nested at most 4 levels" in str(check(AnyData, nested))
    assert "at most 3 items" in str(check(AnyOf(max_items=3), [1, 2, 3, 4]))
    assert check(AnyData, np.array(["a"])) is not None
    assert check(AnyData, object()) is not None


def test_a_pathologically_deep_value_is_a_misfit_not_a_crash():
    """Is a value nested deeper than Python's recursion allows refused without raising?"""
    schema = List(Opt(AnyOf(max_depth=10_000)))  # only a schema this loose recurses that deep
    value: list = []
    deep = value
    for _ in range(5000):
        deep.append([])
        deep = deep[0]
    message = check(schema, [value])
    assert message is not None and "nest" in message
