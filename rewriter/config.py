"""Project configuration: ``[tool.dockerfix]`` in pyproject.toml, or a .dockerfix.toml.

The file is found by walking up from the paths given on the command line, stopping at the
repository root (the folder holding ``.git``); in one folder .dockerfix.toml wins over
pyproject.toml, and a pyproject.toml without a ``[tool.dockerfix]`` table does not count.
Command-line options override it (see the README).  Any unknown key or wrong value is an error
that names the key: a typo must not silently change what a bulk migration does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Sequence

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .files import KINDS
from .packages import bad_debian_names
from .rules import RULE_IDS
from .settings import CODENAMES

DOCKERFIX_TOML = ".dockerfix.toml"
PYPROJECT = "pyproject.toml"
FORMATS = ("text", "json", "sarif", "markdown")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """The settings a configuration file gives; None (or empty) where it says nothing."""

    path: str | None = None  # the file read
    root: str = "."  # the folder exclude and include patterns are relative to
    codename: str | None = None
    packages: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # apk -> "deb deb" ("" drops)
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    select: frozenset[str] | None = None
    ignore: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    format: str | None = None
    migrate_copy_targets: bool | None = None


def find(paths: Sequence[str]) -> str | None:
    """The configuration file for a run over ``paths``: found from the folder they share."""
    folders = [os.path.abspath(p if os.path.isdir(p) else os.path.dirname(p) or ".") for p in paths]
    folder = os.path.commonpath(folders) if folders else os.path.abspath(".")
    while True:
        candidate = os.path.join(folder, DOCKERFIX_TOML)
        if os.path.isfile(candidate):
            return candidate
        candidate = os.path.join(folder, PYPROJECT)
        if os.path.isfile(candidate) and _has_tool_table(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if os.path.exists(os.path.join(folder, ".git")) or parent == folder:
            return None
        folder = parent


def load(path: str) -> Config:
    """Read and check one configuration file."""
    data = _read(path)
    if os.path.basename(path) == PYPROJECT:
        data = data.get("tool", {}).get("dockerfix", {})
    where = f"{path}: [tool.dockerfix]" if os.path.basename(path) == PYPROJECT else path
    return parse(data, where, path, os.path.dirname(os.path.abspath(path)))


def parse(data: Mapping[str, Any], where: str, path: str | None = None, root: str = ".") -> Config:
    """Check a configuration table; ``where`` names it in error messages."""
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(sorted(_KEYS))})")
    values: dict[str, Any] = {}
    for key, value in data.items():
        values[_KEYS[key]] = _CHECKS[key](value, f"{where}: {key}")
    return Config(path=path, root=root, **values)


def _has_tool_table(path: str) -> bool:
    try:
        data = _read(path)
    except ConfigError:
        with open(path, "rb") as handle:
            if b"dockerfix" not in handle.read():
                return False  # somebody else's broken pyproject.toml is not our business
        raise
    tool = data.get("tool")
    return isinstance(tool, dict) and "dockerfix" in tool


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {_type(value)}")
    return value


def _choice(choices: Sequence[str]):
    def check(value: Any, where: str) -> str:
        if _string(value, where) not in choices:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(choices)}")
        return value

    return check


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {_type(value)}")
    return tuple(value)


def _ids(known: Sequence[str], what: str):
    def check(value: Any, where: str) -> frozenset[str]:
        ids = frozenset(_strings(value, where))
        unknown = sorted(ids - set(known))
        if unknown:
            raise ConfigError(f"{where}: unknown {what} {unknown[0]!r} (known: {', '.join(known)})")
        return ids

    return check


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {_type(value)}")
    return value


def _packages(value: Any, where: str) -> Mapping[str, str]:
    """apk name -> Debian name, list of names, or "" (or []) to drop the package."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of Alpine name = Debian name(s), got {_type(value)}")
    packages: dict[str, str] = {}
    for apk, debian in value.items():
        if isinstance(debian, str):
            names = debian.replace(",", " ").split()
        elif isinstance(debian, list) and all(isinstance(d, str) for d in debian):
            names = [n for d in debian for n in d.split()]
        else:
            raise ConfigError(f"{where}.{apk}: expected a Debian name or a list of names, got {_type(debian)}")
        packages[apk] = " ".join(names)
        bad = bad_debian_names(packages[apk])
        if bad:
            raise ConfigError(f"{where}.{apk}: {bad[0]!r} is not a Debian package name (lower case letters, digits, '+', '-', '.')")
    return MappingProxyType(packages)


def _type(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )


# key in the file -> Config field, and the check that turns the value into the field's value
_KEYS = {
    "codename": "codename",
    "packages": "packages",
    "exclude": "exclude",
    "include": "include",
    "select": "select",
    "ignore": "ignore",
    "kinds": "kinds",
    "format": "format",
    "migrate-copy-targets": "migrate_copy_targets",
}
_CHECKS = {
    "codename": _choice(CODENAMES),
    "packages": _packages,
    "exclude": _strings,
    "include": _strings,
    "select": _ids(RULE_IDS, "rule id"),
    "ignore": _ids(RULE_IDS, "rule id"),
    "kinds": _ids(KINDS, "file kind"),
    "format": _choice(FORMATS),
    "migrate-copy-targets": _boolean,
}
