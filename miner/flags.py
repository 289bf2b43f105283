"""Command-line flags generated from the settings dataclasses, so defaults live in one place.

Every generated flag defaults to None: only flags the user gave override the config (which a
miner.toml may already have filled in).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from miner.config import ConfigError, MineConfig

# Which nested settings become flags, and the prefix their flags get.
SECTIONS = {"exclusions": "", "quality": "", "dedup": "dedup-"}
# Flag names that read better than the field names.
RENAMES = {
    "exclusions.tests": "exclude-tests",
    "exclusions.vendored": "exclude-vendored",
    "exclusions.generated": "exclude-generated",
    "dedup.near": "near-dedup",
    "dedup.threshold": "near-dedup-threshold",
}


def _flag(section: str, name: str) -> str:
    return "--" + RENAMES.get(f"{section}.{name}", SECTIONS[section] + name.replace("_", "-"))


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    defaults = MineConfig()
    for section in SECTIONS:
        group = parser.add_argument_group(f"{section} settings")
        instance = getattr(defaults, section)
        for f in dataclasses.fields(instance):
            default = getattr(instance, f.name)
            dest = f"{section}__{f.name}"
            flag = _flag(section, f.name)
            hint = f"(default: {default})"
            if isinstance(default, bool):
                group.add_argument(
                    flag, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=hint
                )
            elif isinstance(default, list):
                group.add_argument(
                    flag, dest=dest, action="append", default=None, metavar="GLOB", help=hint
                )
            else:
                metavar = "N" if isinstance(default, int) else "F"
                group.add_argument(
                    flag, dest=dest, type=type(default), default=None, metavar=metavar, help=hint
                )


def apply_settings_flags(config: MineConfig, args: argparse.Namespace) -> MineConfig:
    for key, value in vars(args).items():
        if "__" in key and value is not None:
            section, name = key.split("__", 1)
            setattr(getattr(config, section), name, value)
    return config


def checked_value(where: str, value: Any, default: Any) -> Any:
    """`value` when it has the type of `default` (an int is a fine float), else ConfigError."""
    if isinstance(default, bool):
        ok, expected = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(default, float):
        ok, expected = isinstance(value, int | float) and not isinstance(value, bool), "a number"
        value = float(value) if ok else value
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        expected = "a list of strings"
    else:
        ok, expected = isinstance(value, str), "a string"
    if not ok:
        raise ConfigError(f"{where}: must be {expected}, not {value!r}")
    return value


def settings_from_mapping(config: MineConfig, section: str, values: dict[str, Any]) -> None:
    """Fill one section from a TOML table; an unknown key or a wrong type is a ConfigError."""
    if not isinstance(values, dict):
        raise ConfigError(f"{section}: must be a table ([{section}])")
    target = getattr(config, section)
    known = {f.name for f in dataclasses.fields(target)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown key '{section}.{key}'")
        default = getattr(target, key)
        setattr(target, key, checked_value(f"{section}.{key}", value, default))
