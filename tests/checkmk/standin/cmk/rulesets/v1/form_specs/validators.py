# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand-in of cmk.rulesets.v1.form_specs.validators."""

from dataclasses import dataclass


class ValidationError(ValueError):
    pass


@dataclass
class LengthInRange:
    min_value: int | None = None
    max_value: int | None = None
    error_msg: str | None = None

    def __call__(self, value):
        if self.min_value is not None and len(value) < self.min_value:
            raise ValidationError("too short")
        if self.max_value is not None and len(value) > self.max_value:
            raise ValidationError("too long")


@dataclass
class NumberInRange:
    min_value: int | float | None = None
    max_value: int | float | None = None
    error_msg: str | None = None

    def __call__(self, value):
        if self.min_value is not None and value < self.min_value:
            raise ValidationError("too small")
        if self.max_value is not None and value > self.max_value:
            raise ValidationError("too large")


class NetworkPort(NumberInRange):
    def __init__(self, error_msg=None):
        super().__init__(0, 65535, error_msg)
