"""`record` behaves as `dataclass(frozen=True)` does: the same class written both ways, compared call for call."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esprobe.record import is_record, record
from tests.support.paths import REPO


def _twins(body: Callable[[Callable[[type], type]], type]) -> Tuple[type, type]:
    """The class *body* builds, once as a frozen dataclass and once as a record."""
    return body(dataclass(frozen=True)), body(record)


def _outcome(call: Callable[[], Any]) -> Tuple[str, Any]:
    try:
        return "value", call()
    except Exception as error:  # the kind of failure must agree; the wording may not
        return "raises", type(error)


def _plain(value: Any) -> Any:
    """A value with its class's identity taken out, so a dataclass and its record twin compare."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return type(value).__name__, tuple((f.name, _plain(getattr(value, f.name))) for f in fields)
    return value


@dataclass(frozen=True)
class PickledReal:
    a: int
    b: Tuple[str, ...] = ()


@record
class PickledFast:
    a: int
    b: Tuple[str, ...] = ()


def _point(decorate: Callable[[type], type]) -> type:
    @decorate
    class Point:
        x: int
        y: int = 0
        tags: Tuple[str, ...] = ()
        notes: List[str] = field(default_factory=list, hash=False)
        cache: Optional[object] = field(default=None, repr=False, compare=False)
    return Point


def _checked(decorate: Callable[[type], type]) -> type:
    @decorate
    class Checked:
        code: str
        derived: str = field(init=False, default="")

        def __post_init__(self) -> None:
            if not self.code.islower():
                raise ValueError("lower case only")
            object.__setattr__(self, "derived", self.code.upper())
    return Checked


def _own_methods(decorate: Callable[[type], type]) -> type:
    @decorate
    class Own:
        name: str
        size: int = 1

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Own) and other.name == self.name
    return Own


CONSTRUCTIONS: List[Tuple[str, Callable[[type], Tuple[Any, ...]], Dict[str, Any]]] = [
    ("positional", lambda cls: (1, 2), {}),
    ("keywords", lambda cls: (), {"x": 1, "tags": ("a",)}),
    ("defaults only", lambda cls: (5,), {}),
    ("missing required", lambda cls: (), {"y": 2}),
    ("too many positional", lambda cls: (1, 2, (), [], None, 9), {}),
    ("unknown keyword", lambda cls: (1,), {"z": 3}),
    ("given twice", lambda cls: (1,), {"x": 2}),
]


@pytest.mark.parametrize("why, args, kwargs", CONSTRUCTIONS, ids=[c[0] for c in CONSTRUCTIONS])
def test_construction_agrees_with_a_frozen_dataclass(why: str, args: Callable[[type], Tuple[Any, ...]],
                                                      kwargs: Dict[str, Any]) -> None:
    real, fast = _twins(_point)
    expected = _outcome(lambda: _plain(real(*args(real), **kwargs)))
    assert _outcome(lambda: _plain(fast(*args(fast), **kwargs))) == expected


def test_the_generated_methods_agree() -> None:
    real, fast = _twins(_point)
    for cls in (real, fast):
        a, b, c = cls(1, 2, ("t",)), cls(1, 2, ("t",), cache=object()), cls(1, 3)
        assert (a == b, a == c, a != c, a == (1, 2)) == (True, False, True, False)
        assert hash(a) == hash(b)  # the compare=False field stays out of the hash too
        assert a.notes is not cls(1).notes  # a factory runs per instance
    assert repr(fast(1, 2)) == repr(real(1, 2)).replace(real.__qualname__, fast.__qualname__)
    assert [(f.name, f.repr, f.compare) for f in dataclasses.fields(fast)] == \
        [(f.name, f.repr, f.compare) for f in dataclasses.fields(real)]


@pytest.mark.parametrize("mutate", [
    lambda obj: setattr(obj, "x", 2),
    lambda obj: setattr(obj, "unknown", 2),
    lambda obj: delattr(obj, "x"),
], ids=["assign a field", "assign a new attribute", "delete a field"])
def test_instances_are_frozen(mutate: Callable[[Any], None]) -> None:
    real, fast = _twins(_point)
    for cls in (real, fast):
        with pytest.raises(FrozenInstanceError):
            mutate(cls(1))


def test_the_dataclasses_functions_still_work() -> None:
    real, fast = _twins(_point)
    assert dataclasses.is_dataclass(fast) and is_record(fast) and not is_record(real)
    for cls in (real, fast):
        point = cls(1, 2, notes=["n"])
        assert dataclasses.asdict(point) == {"x": 1, "y": 2, "tags": (), "notes": ["n"], "cache": None}
        moved = dataclasses.replace(point, y=7)
        assert (moved.x, moved.y, moved.notes) == (1, 7, ["n"]) and point.y == 2
        assert copy.deepcopy(point) == point and copy.copy(point) == point
    for cls in (PickledReal, PickledFast):
        value = cls(1, ("a",))
        assert pickle.loads(pickle.dumps(value)) == value


def test_post_init_and_fields_left_out_of_init() -> None:
    real, fast = _twins(_checked)
    for cls in (real, fast):
        assert cls("ab").derived == "AB"
        assert _outcome(lambda cls=cls: cls("AB")) == ("raises", ValueError)
        assert _outcome(lambda cls=cls: cls("ab", "x")) == ("raises", TypeError)
        assert dataclasses.replace(cls("ab"), code="cd").derived == "CD"


def test_a_class_keeps_the_methods_it_writes_and_stays_hashable() -> None:
    real, fast = _twins(_own_methods)
    for cls in (real, fast):
        assert repr(cls("a")) == "<a>" and cls("a", 1) == cls("a", 2)
        assert hash(cls("a", 1)) == hash(cls("a", 1))  # dataclasses still add __hash__ beside an own __eq__


def test_an_own_hash_is_kept_as_dataclasses_keep_it() -> None:
    def hashed(decorate: Callable[[type], type]) -> type:
        @decorate
        class Hashed:
            x: int

            def __hash__(self) -> int:
                return 7
        return Hashed

    for cls in _twins(hashed):
        assert hash(cls(1)) == 7


def test_inheritance_adds_fields_after_the_base_ones() -> None:
    def family(decorate: Callable[[type], type]) -> type:
        @decorate
        class Base:
            a: int
            b: int = 2

        @decorate
        class Child(Base):
            c: int = 3
        return Child

    real, fast = _twins(family)
    assert _plain(fast(1, c=9)) == _plain(real(1, c=9))
    assert fast(1) != fast.__mro__[1](1)  # a base instance never equals a child one


@pytest.mark.parametrize("body", [
    "def __setattr__(self, name, value): pass",
    "def __delattr__(self, name): pass",
], ids=["own __setattr__", "own __delattr__"])
def test_what_a_frozen_dataclass_refuses_a_record_refuses(body: str) -> None:
    namespace: Dict[str, Any] = {}
    exec(f"class Odd:\n    x: int = 0\n    {body}\n", namespace)
    with pytest.raises(TypeError):
        dataclass(frozen=True)(namespace["Odd"])
    exec(f"class Odd:\n    x: int = 0\n    {body}\n", namespace)
    with pytest.raises(TypeError):
        record(namespace["Odd"])


def test_the_mutable_kind_behaves_as_a_plain_dataclass() -> None:
    def accumulator(decorate: Callable[[type], type]) -> type:
        @decorate
        class Accumulator:
            name: str
            seen: List[str] = field(default_factory=list)
            count: int = 0
        return Accumulator

    real, fast = accumulator(dataclass), accumulator(record(frozen=False))
    for cls in (real, fast):
        value = cls("a")
        value.count += 1
        value.seen.append("x")
        assert (value == cls("a", ["x"], 1), value != cls("a"), cls.__hash__) == (True, True, None)
        assert dataclasses.replace(value, name="b").seen == ["x"]
        del value.count  # a plain attribute now: nothing stops it
    assert repr(fast("a", ["x"], 2)) == repr(real("a", ["x"], 2)).replace(real.__qualname__, fast.__qualname__)


@pytest.mark.parametrize("outer_frozen", [True, False])
def test_frozen_and_mutable_records_do_not_extend_each_other(outer_frozen: bool) -> None:
    base = record(frozen=not outer_frozen)(type("Base", (), {"__annotations__": {"a": "int"}}))
    with pytest.raises(TypeError):
        record(frozen=outer_frozen)(type("Child", (base,), {"__annotations__": {"b": "int"}}))


_VALUES = st.one_of(st.integers(), st.text(max_size=5), st.none(), st.tuples(st.integers()))


@settings(max_examples=200, deadline=None)
@given(
    layout=st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans(), _VALUES), min_size=1, max_size=6),
    data=st.data(),
)
def test_any_layout_of_fields_agrees(layout: List[Tuple[bool, bool, bool, Any]], data: Any) -> None:
    """Random fields (with or without a default, shown or not, compared or not): every call agrees."""
    # dataclasses wants the fields without a default first
    layout = sorted(layout, key=lambda spec: spec[0])

    def build(decorate: Callable[[type], type]) -> type:
        annotations: Dict[str, Any] = {}
        namespace: Dict[str, Any] = {"__annotations__": annotations}
        for index, (has_default, shown, compared, default) in enumerate(layout):
            annotations[f"f{index}"] = "Any"
            if has_default or not (shown and compared):
                namespace[f"f{index}"] = field(default=default, repr=shown, compare=compared) if has_default \
                    else field(repr=shown, compare=compared)
        return decorate(type("Random", (), namespace))

    real, fast = build(dataclass(frozen=True)), build(record)
    args = data.draw(st.lists(_VALUES, max_size=len(layout) + 1))
    names = st.sampled_from([f"f{i}" for i in range(len(layout))] + ["other"])
    kwargs = data.draw(st.dictionaries(names, _VALUES, max_size=3))
    made = {cls: _outcome(lambda cls=cls: cls(*args, **kwargs)) for cls in (real, fast)}
    assert made[fast][0] == made[real][0]
    if made[real][0] == "raises":
        assert made[fast][1] is made[real][1]
        return
    mine, theirs = made[fast][1], made[real][1]
    assert _plain(mine) == _plain(theirs)
    assert repr(mine) == repr(theirs)
    twin = fast(*args, **kwargs)
    assert (mine == twin, hash(mine) == hash(twin)) == (True, True)
    changed = dataclasses.replace(mine, f0="changed")
    assert (changed == mine) == (dataclasses.replace(theirs, f0="changed") == theirs)


def test_every_value_type_in_the_package_is_a_record() -> None:
    """Defining one with `@dataclass` would bring back the cost `record` removes (issue #20)."""
    pattern = re.compile(r"^@(dataclasses\.)?dataclass\b", re.MULTILINE)
    # The stand-in servers import nothing of the probe (test_import_rules), and their start-up is not the run's.
    standins = REPO / "esprobe" / "demo" / "standins"
    strays = [str(path.relative_to(REPO)) for path in sorted((REPO / "esprobe").rglob("*.py"))
              if standins not in path.parents and pattern.search(path.read_text(encoding="utf-8"))]
    assert strays == []

