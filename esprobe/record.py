"""`record`: a frozen dataclass that costs microseconds to define, not a third of a millisecond.

Every value esprobe hands from one step to the next is a frozen dataclass (docs/architecture.md).
`dataclasses.dataclass(frozen=True)` writes six methods per class as source text and compiles each one
(`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`): about 0.35 ms a class, and
a plain check defines some ninety of them before it sends a packet, a fifth of its whole run (issue
#20). `record` lets `dataclasses` do everything else (fields, defaults, `fields()`, `replace()`,
`asdict()`, `is_dataclass()` all work as before) and gives the class those six methods from this
module, written once and shared. They do what the generated ones do; `tests/test_record.py` holds them
to it, class for class, against real frozen dataclasses.

Type checkers see a frozen dataclass (PEP 681's `dataclass_transform`), so constructor calls and
assignments are checked as before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, FrozenInstanceError
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, Type, TypeVar, overload

_Class = TypeVar("_Class", bound=type)

if TYPE_CHECKING:  # PEP 681: a typing_extensions name, needed by the type checker only
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: object) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return lambda decorated: decorated


# What a record class's shared methods read, worked out once when the class is defined.
_PLAN = "__record_plan__"


class _Plan:
    __slots__ = ("frozen", "init_names", "defaults", "factories", "not_init", "compared", "hashed", "shown",
                 "post_init")

    def __init__(self, cls: type, frozen: bool) -> None:
        self.frozen = frozen
        fields = dataclasses.fields(cls)
        init_fields = [f for f in fields if f.init]
        self.init_names: Tuple[str, ...] = tuple(f.name for f in init_fields)
        self.defaults: Dict[str, Any] = {f.name: f.default for f in init_fields if f.default is not MISSING}
        self.factories: Dict[str, Callable[[], Any]] = {
            f.name: f.default_factory for f in init_fields if f.default_factory is not MISSING
        }
        # Fields left out of __init__ still get their default, as dataclasses' __init__ gives it.
        self.not_init: Tuple[Tuple[str, Any, Any], ...] = tuple(
            (f.name, f.default, f.default_factory) for f in fields
            if not f.init and (f.default is not MISSING or f.default_factory is not MISSING)
        )
        self.compared = tuple(f.name for f in fields if f.compare)
        self.hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
        self.shown = tuple(f.name for f in fields if f.repr)
        self.post_init = getattr(cls, "__post_init__", None)


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    plan: _Plan = cls.__dict__[_PLAN]
    names = plan.init_names
    if len(args) > len(names):
        raise TypeError(f"{cls.__qualname__}.__init__() takes {len(names) + 1} positional arguments "
                        f"but {len(args) + 1} were given")
    values = self.__dict__
    for name, value in zip(names, args):
        values[name] = value
    if kwargs:
        for name in names[:len(args)]:
            if name in kwargs:
                raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}")
    missing = []
    for name in names[len(args):]:
        if name in kwargs:
            values[name] = kwargs.pop(name)
        elif name in plan.defaults:
            values[name] = plan.defaults[name]
        elif name in plan.factories:
            values[name] = plan.factories[name]()
        else:
            missing.append(name)
    if missing:
        raise TypeError(f"{cls.__qualname__}.__init__() missing {len(missing)} required argument(s): "
                        + ", ".join(repr(name) for name in missing))
    if kwargs:
        raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {next(iter(kwargs))!r}")
    for name, default, factory in plan.not_init:
        values[name] = default if default is not MISSING else factory()
    if plan.post_init is not None:
        plan.post_init(self)


def _repr(self: Any) -> str:
    values = self.__dict__
    shown = ", ".join(f"{name}={values[name]!r}" for name in type(self).__dict__[_PLAN].shown)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = type(self).__dict__[_PLAN].compared
    mine, theirs = self.__dict__, other.__dict__
    return tuple(mine[name] for name in names) == tuple(theirs[name] for name in names)


def _hash(self: Any) -> int:
    values = self.__dict__
    return hash(tuple(values[name] for name in type(self).__dict__[_PLAN].hashed))


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


_SHARED = {"__init__": _init, "__repr__": _repr, "__eq__": _eq, "__hash__": _hash}
_FROZEN = {"__setattr__": _setattr, "__delattr__": _delattr}


@overload
def record(cls: _Class) -> _Class: ...


@overload
def record(*, frozen: bool = True) -> Callable[[_Class], _Class]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: Optional[_Class] = None, *, frozen: bool = True) -> Any:
    """
    Make *cls* a frozen dataclass (see the module's docstring): ``@record``. ``@record(frozen=False)``
    makes the mutable kind, for the few values filled in step by step (a parse under way), which like
    any mutable dataclass compares by value and cannot be hashed.
    """
    if cls is None:
        return lambda later: _make(later, frozen)
    return _make(cls, frozen)


def _make(cls: _Class, frozen: bool) -> _Class:
    own = cls.__dict__
    if frozen:
        # A frozen dataclass refuses a class that writes its own __setattr__ or __delattr__.
        for name in _FROZEN:
            if name in own:
                raise TypeError(f"record {cls.__qualname__} must not define {name}")
    for base in cls.__mro__[1:-1]:
        if dataclasses.is_dataclass(base) and _PLAN not in base.__dict__:
            raise TypeError(f"record {cls.__qualname__} cannot extend {base.__qualname__}, which is not a record")
        if _PLAN in base.__dict__ and base.__dict__[_PLAN].frozen != frozen:
            raise TypeError(f"record {cls.__qualname__} cannot extend {base.__qualname__}: one is frozen, "
                            "the other not (as dataclasses refuse)")
    documented = bool(own.get("__doc__"))
    if not documented:
        cls.__doc__ = cls.__name__  # keeps dataclasses from working out a signature from our shared __init__
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    type.__setattr__(cls, _PLAN, _Plan(cls, frozen))
    for name, method in {**_SHARED, **(_FROZEN if frozen else {})}.items():
        # Like dataclasses, a method the class writes itself stays (a __repr__, an __eq__, a __hash__);
        # the __hash__ = None that Python puts beside an own __eq__ does not count.
        if name not in own or (name == "__hash__" and own[name] is None and "__eq__" in own):
            type.__setattr__(cls, name, method)
    if not frozen and own.get("__hash__", _hash) is _hash:
        # A mutable dataclass that compares by value has no hash (unless the class writes one).
        type.__setattr__(cls, "__hash__", None)
    if not documented:
        parameters = ", ".join(cls.__dict__[_PLAN].init_names)
        cls.__doc__ = f"{cls.__name__}({parameters})"
    return cls


def is_record(cls: Type[Any]) -> bool:
    """Whether *cls* was made by `record` (for the tests that keep every frozen value one)."""
    return _PLAN in cls.__dict__
