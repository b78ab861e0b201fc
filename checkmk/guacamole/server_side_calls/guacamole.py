#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# automon: turns an "Apache Guacamole active sessions" rule into the command
# line of check_guacamole (server-side calls API v1, Checkmk 2.3 and later).
"""Server-side call of the check_guacamole active check."""

from collections.abc import Iterable, Mapping

from cmk.server_side_calls.v1 import (
    ActiveCheckCommand,
    ActiveCheckConfig,
    HostConfig,
    Secret,
    replace_macros,
)


class GuacamoleParams:
    """The rule's value, checked: what the rule editor guarantees, again."""

    def __init__(self, raw: Mapping[str, object]):
        self.username = _text(raw, "username", "guacadmin")
        password = raw.get("password")
        if not isinstance(password, Secret):
            raise TypeError("password: expected a Secret from the password store")
        self.password = password
        host = raw.get("host")
        self.host = None if host is None else _text(raw, "host", "")
        port = raw.get("port", 8080)
        if type(port) is not int or not 1 <= port <= 65535:
            raise ValueError("port: expected 1-65535, got %r" % (port,))
        self.port = port
        self.protocol = _text(raw, "protocol", "http")
        if self.protocol not in ("http", "https"):
            raise ValueError("protocol: expected http or https, got %r" % (self.protocol,))
        self.data_source = _text(raw, "data_source", "mysql")
        self.uri = _text(raw, "uri", "/guacamole")
        self.levels = _levels(raw.get("levels", ("no_levels", None)))
        timeout = raw.get("timeout")
        self.timeout = None if timeout is None else int(round(float(timeout)))


def _text(raw: Mapping[str, object], key: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValueError("%s: expected a non-empty string, got %r" % (key, value))
    return value


def _levels(value: object) -> tuple[int, int] | None:
    if value == ("no_levels", None):
        return None
    if (isinstance(value, tuple) and len(value) == 2 and value[0] == "fixed"
            and isinstance(value[1], tuple) and len(value[1]) == 2
            and all(type(v) is int for v in value[1])):
        return value[1]
    raise ValueError("levels: expected ('fixed', (warn, crit)) or ('no_levels', None)")


def commands(params: GuacamoleParams, host_config: HostConfig) -> Iterable[ActiveCheckCommand]:
    host = (replace_macros(params.host, host_config.macros) if params.host
            else host_config.primary_ip_config.address)
    args: list[str | Secret] = [
        "--host", host,
        "--port", str(params.port),
        "--protocol", params.protocol,
        "--uri", params.uri,
        "--data-source", params.data_source,
        "--username", params.username,
        # Passed safely (never .unsafe()): Checkmk puts ID:FILE, a reference
        # to the password in its password store, into the command line;
        # libexec/check_guacamole looks it up and hands the password to the
        # probe in its environment, never in argv.
        "--password-id", params.password,
    ]
    if params.levels is not None:
        args += ["-w", str(params.levels[0]), "-c", str(params.levels[1])]
    if params.timeout is not None:
        args += ["-t", str(params.timeout)]
    yield ActiveCheckCommand(service_description="Guacamole sessions", command_arguments=args)


active_check_guacamole = ActiveCheckConfig(
    name="guacamole",
    parameter_parser=GuacamoleParams,
    commands_function=commands,
)
