# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand-in of cmk.server_side_calls.v1 (see tests/checkmk/standin/README)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Generic, NamedTuple, TypeVar

P = TypeVar("P")


class IPAddressFamily(Enum):
    IPV4 = auto()
    IPV6 = auto()


class _IPConfig:
    def __init__(self, *, address, additional_addresses=()):
        self._address = address
        self.additional_addresses = additional_addresses

    @property
    def address(self):
        if not self._address:
            raise RuntimeError("Host address lookup failed")
        return self._address


class IPv4Config(_IPConfig):
    family = IPAddressFamily.IPV4


class IPv6Config(_IPConfig):
    family = IPAddressFamily.IPV6


class HostConfig:
    def __init__(self, *, name, alias="", ipv4_config=None, ipv6_config=None,
                 primary_family=IPAddressFamily.IPV4, macros=None):
        if not name:
            raise ValueError("Host name has to be a non-empty string")
        self.name = name
        self.alias = alias or name
        self.ipv4_config = ipv4_config
        self.ipv6_config = ipv6_config
        self._primary = ipv4_config if primary_family == IPAddressFamily.IPV4 else ipv6_config
        self.macros = macros or {}

    @property
    def primary_ip_config(self):
        if self._primary is None:
            raise ValueError("Host has no IP stack configured")
        return self._primary


class Secret(NamedTuple):
    id: int
    format: str = "%s"
    pass_safely: bool = True

    def unsafe(self, template="%s"):
        return self.__class__(id=self.id, pass_safely=False, format=template)


@dataclass(frozen=True, kw_only=True)
class ActiveCheckCommand:
    service_description: str
    command_arguments: Sequence[str | Secret]


class ActiveCheckConfig(Generic[P]):
    def __init__(self, *, name: str, parameter_parser: Callable[[Mapping[str, object]], P],
                 commands_function: Callable[[P, HostConfig], Iterable[ActiveCheckCommand]]):
        self.name = name
        self._parameter_parser = parameter_parser
        self._commands_function = commands_function

    def __call__(self, parameters, host_config):
        return self._commands_function(self._parameter_parser(parameters), host_config)


def noop_parser(params):
    return params


def replace_macros(value, macros):
    for name, replacement in macros.items():
        value = value.replace(name, replacement)
    return value
