# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand-in of cmk.rulesets.v1.rule_specs (ActiveCheck and topics only)."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, auto

from . import Help, Title
from .form_specs import Dictionary


class Topic(Enum):
    APPLICATIONS = auto()
    GENERAL = auto()
    NETWORKING = auto()
    OPERATING_SYSTEM = auto()
    SERVER_HARDWARE = auto()


@dataclass(frozen=True)
class CustomTopic:
    title: Title


@dataclass(frozen=True, kw_only=True)
class ActiveCheck:
    title: Title
    topic: Topic | CustomTopic
    parameter_form: Callable[[], Dictionary]
    name: str
    is_deprecated: bool = False
    help_text: Help | None = None

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError("%r is not a valid Python identifier" % self.name)
