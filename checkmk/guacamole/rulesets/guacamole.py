#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# automon: the Checkmk rule "Apache Guacamole active sessions" (rulesets API v1,
# Checkmk 2.3 and later). The rule's value reaches server_side_calls/guacamole.py.
"""Rule specification for the check_guacamole active check."""

from cmk.rulesets.v1 import Help, Label, Title
from cmk.rulesets.v1.form_specs import (
    DefaultValue,
    DictElement,
    Dictionary,
    FieldSize,
    Integer,
    LevelDirection,
    Password,
    SimpleLevels,
    SingleChoice,
    SingleChoiceElement,
    String,
    TimeMagnitude,
    TimeSpan,
    validators,
)
from cmk.rulesets.v1.rule_specs import ActiveCheck, Topic


def _parameter_form() -> Dictionary:
    return Dictionary(
        title=Title("Apache Guacamole active sessions"),
        help_text=Help(
            "Logs in to the Guacamole REST API and counts the active sessions. "
            "The password is taken from Checkmk's password store and never "
            "appears in the process list of the check."
        ),
        elements={
            "username": DictElement(
                required=True,
                parameter_form=String(
                    title=Title("Username"),
                    prefill=DefaultValue("guacadmin"),
                    custom_validate=(validators.LengthInRange(min_value=1),),
                ),
            ),
            "password": DictElement(
                required=True,
                parameter_form=Password(
                    title=Title("Password"),
                    custom_validate=(validators.LengthInRange(min_value=1),),
                ),
            ),
            "host": DictElement(
                required=False,
                parameter_form=String(
                    title=Title("Host"),
                    help_text=Help(
                        "Name or address of the Guacamole server. Default: the "
                        "address of the monitored host. Macros such as $HOSTNAME$ "
                        "are replaced."
                    ),
                    macro_support=True,
                    field_size=FieldSize.MEDIUM,
                ),
            ),
            "port": DictElement(
                required=True,
                parameter_form=Integer(
                    title=Title("Port"),
                    prefill=DefaultValue(8080),
                    custom_validate=(validators.NetworkPort(),),
                ),
            ),
            "protocol": DictElement(
                required=True,
                parameter_form=SingleChoice(
                    title=Title("Protocol"),
                    elements=[
                        SingleChoiceElement(name="http", title=Title("HTTP")),
                        SingleChoiceElement(name="https", title=Title("HTTPS")),
                    ],
                    prefill=DefaultValue("http"),
                ),
            ),
            "data_source": DictElement(
                required=True,
                parameter_form=String(
                    title=Title("Data source"),
                    help_text=Help("mysql, postgresql, sqlserver, or auto"),
                    prefill=DefaultValue("mysql"),
                    custom_validate=(validators.LengthInRange(min_value=1),),
                ),
            ),
            "uri": DictElement(
                required=True,
                parameter_form=String(
                    title=Title("Base URI"),
                    prefill=DefaultValue("/guacamole"),
                    custom_validate=(validators.LengthInRange(min_value=1),),
                ),
            ),
            "levels": DictElement(
                required=False,
                parameter_form=SimpleLevels(
                    title=Title("Levels on the number of active sessions"),
                    level_direction=LevelDirection.UPPER,
                    form_spec_template=Integer(label=Label("sessions")),
                    prefill_fixed_levels=DefaultValue((10, 20)),
                ),
            ),
            "timeout": DictElement(
                required=False,
                parameter_form=TimeSpan(
                    title=Title("Timeout"),
                    displayed_magnitudes=[TimeMagnitude.SECOND],
                    prefill=DefaultValue(10.0),
                ),
            ),
        },
    )


rule_spec_guacamole = ActiveCheck(
    title=Title("Apache Guacamole active sessions"),
    topic=Topic.NETWORKING,
    parameter_form=_parameter_form,
    name="guacamole",
    help_text=Help("Counts the active sessions of an Apache Guacamole server (check_guacamole)."),
)
