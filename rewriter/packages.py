"""Alpine package name -> Debian package names, per Debian codename.

One pure function, `lookup`, answers what an `apk add NAME` becomes on a
python slim image of a Debian release. The answers live in
`data/packages.toml` (one reviewed table per Alpine name, checked against the
real Debian indexes by scripts/verify_package_map.py). Names the table does
not list are resolved by naming conventions that apk itself uses: `so:`,
`cmd:` and `pc:` virtual names, versioned package families
(`postgresql16-dev`) and `py3-*` system-python modules. Anything else is
"unknown", never guessed; at most a Debian package of an obvious name is
offered as a suggestion, taken from `data/debian-names.txt` (real Debian names
derived from the indexes, see scripts/verify_package_map.py --update-names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal, Mapping

from . import datafiles
from .datafiles import tomllib  # noqa: F401  (tests and scripts read TOML files with it)

CODENAMES = ("bullseye", "bookworm", "trixie")
# Older releases that only old python images use: answered like bullseye,
# which is the closest release the table is verified for.
UNVERIFIED_CODENAMES = ("jessie", "stretch", "buster")

Kind = Literal["map", "drop", "pypi", "unknown"]


@dataclass(frozen=True)
class PackageDecision:
    alpine: str
    kind: Kind
    debian: tuple[str, ...]  # for "map"
    reason: str  # human sentence; for unknown: why + suggestion if any
    pypi: str | None = None
    suggestion: str | None = None  # for unknown: a real Debian name of the obvious form
    review: bool = False  # a mapping whose difference a reviewer must look at (version, interpreter, path)


_NAME_RE = re.compile(r"[a-z0-9][a-z0-9+._-]*")
_VIRTUAL_PREFIXES = ("so:", "cmd:", "pc:")
_PY_PREFIXES = ("py3-", "py2-", "py-")
# postgresql16-dev -> postgresql-dev, llvm17 -> llvm (for entries marked versioned)
_VERSIONED_RE = re.compile(r"([a-z][a-z+-]*[a-z+])\d+(?:\.\d+)*(-[a-z][a-z0-9-]*)?")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, Any]]:
    return datafiles.toml("packages.toml")["packages"]


@lru_cache(maxsize=1)
def _commands() -> dict[str, str]:
    """Command name -> Alpine package that provides it under another name."""
    return {
        command: name
        for name, entry in _table().items()
        for command in entry.get("commands", ())
    }


@lru_cache(maxsize=1)
def _debian_names() -> dict[str, frozenset[str]]:
    """Debian package name -> codenames it exists in (suggestion candidates only)."""
    text = datafiles.text("debian-names.txt")
    names: dict[str, frozenset[str]] = {}
    codenames: frozenset[str] = frozenset()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            codenames = frozenset(line.strip("[]").split())
        else:
            names[line] = codenames
    return names


# Debian Policy 5.6.7: lower case letters, digits, + - and ., at least two characters, starting
# alphanumeric.  A user's override goes into a RUN line as it is, so nothing else may pass.
DEBIAN_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+")


def bad_debian_names(names: str) -> list[str]:
    """The words of a user's override (space separated) that are not Debian package names."""
    return [name for name in names.split() if not DEBIAN_NAME.fullmatch(name)]


def lookup(
    alpine_name: str, codename: str, overrides: Mapping[str, str] | None = None
) -> PackageDecision:
    """Decide what `apk add alpine_name` becomes on Debian `codename`.

    `overrides` maps Alpine names to space-separated Debian names ("" drops the
    package); it wins over everything else. Version pins must already be
    stripped; repository tags (`name@edge`) are refused as unknown.
    """
    release, note = _release(codename)
    if overrides is not None and alpine_name in overrides:
        decision = _override(alpine_name, overrides[alpine_name])
    else:
        decision = _decide(alpine_name, release)
    if note:
        decision = replace(decision, reason=f"{decision.reason} ({note})")
    return decision


def _release(codename: str) -> tuple[str, str]:
    if codename in CODENAMES:
        return codename, ""
    if codename in UNVERIFIED_CODENAMES:
        note = f"{codename} is not verified: this is the bullseye answer, names may differ there"
        return "bullseye", note
    raise ValueError(f"unknown Debian codename {codename!r}")


def _override(alpine: str, value: str) -> PackageDecision:
    names = tuple(value.split())
    if names:
        return PackageDecision(alpine, "map", names, "configured mapping")
    return PackageDecision(alpine, "drop", (), "dropped by configuration")


def _decide(name: str, codename: str) -> PackageDecision:
    if name in _table():
        return _from_entry(name, name, codename, "")
    if "@" in name:
        return _unknown(
            name,
            "a repository-tagged package (name@tag) comes from a non-default Alpine "
            "repository; translate it by hand",
        )
    if name.startswith(_VIRTUAL_PREFIXES):
        return _virtual(name, codename)
    if not _NAME_RE.fullmatch(name):
        return _unknown(name, "not an Alpine package name")
    if name.startswith(_PY_PREFIXES):
        return _pypi_by_convention(name)
    match = _VERSIONED_RE.fullmatch(name)
    if match:
        family = match.group(1) + (match.group(2) or "")
        if _table().get(family, {}).get("versioned"):
            via = f"{name} is a versioned build of Alpine's {family}"
            return _from_entry(name, family, codename, via)
    return _unknown_with_suggestion(name, codename)


def _from_entry(alpine: str, key: str, codename: str, via: str) -> PackageDecision:
    """Decision for table entry `key`, reported under the name the user wrote."""
    entry = _table()[key]
    note = entry.get("reason", "")
    if "debian" in entry:
        value = entry["debian"]
        if isinstance(value, dict):
            value = value[codename]
        names = (value,) if isinstance(value, str) else tuple(value)
        names = tuple(n for n in names if n)
        if not names:
            return _unknown(alpine, _join(via, f"nothing in Debian {codename}", note))
        if not note:
            note = (
                "same name in Debian"
                if names == (key,)
                else f"Debian's name for Alpine's {key}"
            )
        review = entry.get("review", False)  # true, or the codenames where the difference matters
        review = review if isinstance(review, bool) else codename in review
        return PackageDecision(alpine, "map", names, _join(via, note), review=review)
    if "drop" in entry:
        return PackageDecision(alpine, "drop", (), _join(via, entry["drop"]))
    if "pypi" in entry:
        return _pypi(alpine, entry["pypi"], _join(via, note))
    return _unknown(alpine, _join(via, entry["unavailable"]))


def _pypi(alpine: str, project: str, note: str) -> PackageDecision:
    """An entry's own reason replaces the default one (``uv`` is a tool on PyPI, not a module)."""
    if note and not note.startswith("assumed"):
        return PackageDecision(alpine, "pypi", (), note, pypi=project)
    reason = (
        f"{alpine} is a module of Alpine's system python, which the image's own "
        f"python in /usr/local cannot import; `pip install {project}` instead"
    )
    return PackageDecision(alpine, "pypi", (), _join(reason, note), pypi=project)


def _pypi_by_convention(name: str) -> PackageDecision:
    project = name.split("-", 1)[1].removesuffix("-pyc")
    note = f"assumed PyPI name {project!r} (Alpine's name without the prefix); check it"
    return _pypi(name, project, note)


def _virtual(name: str, codename: str) -> PackageDecision:
    """so:/cmd:/pc: names: find the Alpine package by apk's naming conventions."""
    prefix, _, value = name.partition(":")
    table = _table()
    if prefix == "cmd":
        candidates = [_commands().get(value, ""), value]
    elif prefix == "so":
        candidates = _so_candidates(value)
    else:
        candidates = _pc_candidates(value)
    key = next((c for c in candidates if c in table), None)
    if key is None:
        return _unknown(
            name,
            f"could not tell which Alpine package provides {name}; "
            "name the package instead",
        )
    return _from_entry(name, key, codename, f"{name} is provided by Alpine's {key}")


def _so_candidates(soname: str) -> list[str]:
    """so:libz.so.1 -> libz, libz1, zlib, ...; so:libc.musl-x86_64.so.1 -> musl."""
    stem, _, rest = soname.partition(".so")
    if stem.startswith("libc.musl-"):
        return ["musl"]
    version = rest.lstrip(".").split(".")[0]
    base = re.sub(r"[\d.]+$", "", stem.split("_")[0])
    core = stem.removeprefix("lib")
    core_base = base.removeprefix("lib")
    return [
        stem, stem + version, base,
        core + "-libs", core_base + "-libs", core + "lib", core, core_base,
    ]


def _pc_candidates(module: str) -> list[str]:
    """pc:libxml-2.0 -> libxml-dev, xml-dev, libxml2-dev, ...; pc:zlib -> zlib-dev."""
    match = re.fullmatch(r"(.+?)(?:-(\d+)(?:\.\d+)*)?", module)
    if match is None:  # empty module name
        return []
    base, major = match.group(1), match.group(2) or ""
    bare = base.removeprefix("lib")
    stripped = re.sub(r"\d+$", "", base)
    stems = [base, bare, base + major, bare + major, stripped, stripped.removeprefix("lib")]
    return [stem + "-dev" for stem in stems]


def _unknown_with_suggestion(name: str, codename: str) -> PackageDecision:
    reason = f"no known Debian equivalent of Alpine's {name}"
    known = _debian_names()
    for candidate in suggestion_candidates(name):
        if codename in known.get(candidate, ()):
            reason += (
                f"; Debian {codename} has a package named {candidate}: check it is the "
                f"same software and map it explicitly (--map {name}={candidate})"
            )
            return PackageDecision(name, "unknown", (), reason, suggestion=candidate)
    return _unknown(name, reason + f"; map it explicitly (--map {name}=<debian-name>)")


def suggestion_candidates(name: str) -> list[str]:
    """Debian names of the obvious form for an Alpine name (never python3-*).

    scripts/verify_package_map.py --update-names keeps the real ones of these.
    """
    candidates = [name]
    if name.endswith("-dev"):
        base = name.removesuffix("-dev")
        if not base.startswith("lib"):
            candidates.append(f"lib{base}-dev")
    return [c for c in candidates if not c.startswith(("python3-", "python-"))]


def _unknown(alpine: str, reason: str) -> PackageDecision:
    return PackageDecision(alpine, "unknown", (), reason)


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
