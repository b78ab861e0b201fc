# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand-in of cmk.rulesets.v1.form_specs (see tests/checkmk/standin/README)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any, Generic, TypeVar

from .. import Help, Label, Message, Title
from . import validators  # noqa: F401

T = TypeVar("T")


@dataclass(frozen=True)
class DefaultValue(Generic[T]):
    value: T


@dataclass(frozen=True)
class InputHint(Generic[T]):
    value: T


@dataclass(frozen=True, kw_only=True)
class FormSpec(Generic[T]):
    title: Title | None = None
    help_text: Help | None = None
    migrate: Callable[[object], T] | None = None
    custom_validate: Sequence[Callable[[T], object]] | None = None


class FieldSize(Enum):
    SMALL = auto()
    MEDIUM = auto()
    LARGE = auto()


class TimeMagnitude(Enum):
    MILLISECOND = auto()
    SECOND = auto()
    MINUTE = auto()
    HOUR = auto()
    DAY = auto()


class LevelDirection(Enum):
    UPPER = auto()
    LOWER = auto()


class LevelsType(Enum):
    NONE = auto()
    FIXED = auto()
    PREDICTIVE = auto()


@dataclass(frozen=True, kw_only=True)
class String(FormSpec[str]):
    label: Label | None = None
    macro_support: bool = False
    prefill: DefaultValue[str] | InputHint[str] = InputHint("")
    field_size: FieldSize = FieldSize.MEDIUM


@dataclass(frozen=True, kw_only=True)
class Integer(FormSpec[int]):
    label: Label | None = None
    unit_symbol: str = ""
    prefill: DefaultValue[int] | InputHint[int] = InputHint(0)


@dataclass(frozen=True, kw_only=True)
class TimeSpan(FormSpec[float]):
    label: Label | None = None
    displayed_magnitudes: Sequence[TimeMagnitude]
    prefill: DefaultValue[float] | InputHint[float] = InputHint(0.0)


@dataclass(frozen=True)
class SingleChoiceElement:
    name: str
    title: Title

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError("%r is not a valid Python identifier" % self.name)


@dataclass(frozen=True, kw_only=True)
class SingleChoice(FormSpec[str]):
    elements: Sequence[SingleChoiceElement]
    no_elements_text: Message | None = None
    frozen: bool = False
    label: Label | None = None
    prefill: DefaultValue[str] | InputHint[Title] = InputHint(Title("Please choose"))

    def __post_init__(self):
        names = {e.name for e in self.elements}
        if isinstance(self.prefill, DefaultValue) and self.prefill.value not in names:
            raise ValueError("invalid default %r" % (self.prefill.value,))


@dataclass(frozen=True, kw_only=True)
class Password(FormSpec[tuple]):
    """Consumer model: ("cmk_postprocessed", "explicit_password" | "stored_password",
    (id, secret)); a server-side call receives it as a Secret."""


@dataclass(frozen=True, kw_only=True)
class SimpleLevels(FormSpec[tuple]):
    """Consumer model: ("no_levels", None) or ("fixed", (warn, crit))."""

    form_spec_template: FormSpec[Any]
    level_direction: LevelDirection
    prefill_levels_type: DefaultValue[LevelsType] = DefaultValue(LevelsType.FIXED)
    prefill_fixed_levels: DefaultValue[tuple] | InputHint[tuple]


@dataclass(frozen=True, kw_only=True)
class DictElement(Generic[T]):
    parameter_form: FormSpec[T]
    required: bool = False
    group: object | None = None


@dataclass(frozen=True, kw_only=True)
class Dictionary(FormSpec[Mapping[str, object]]):
    elements: Mapping[str, DictElement[Any]]
    no_elements_text: Message | None = None
    ignored_elements: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        for key in self.elements:
            if not key.isidentifier():
                raise ValueError("%r is not a valid Python identifier" % key)
