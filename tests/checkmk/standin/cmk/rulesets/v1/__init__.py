# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand-in of cmk.rulesets.v1 (see tests/checkmk/standin/README)."""


class _Localizable(str):
    """Title, Help, Label, Message: strings marked for localization."""

    def localize(self, translate):
        return translate(str(self))


class Title(_Localizable):
    pass


class Help(_Localizable):
    pass


class Label(_Localizable):
    pass


class Message(_Localizable):
    pass


__all__ = ["Title", "Help", "Label", "Message"]
