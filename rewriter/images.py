"""Which ``python:*-slim-<codename>`` tag replaces a ``python:*-alpine*`` reference.

A pure decision over the list of tags the official image has ever published
(``rewriter/data/python-tags.txt``).  The rules, in the order they apply:

Which references are ours (:func:`is_python_alpine`)
    The repository must be the official ``python`` image: ``python`` or
    ``library/python`` on Docker Hub (also behind the hosts ``docker.io``,
    ``index.docker.io``, ``registry-1.docker.io``, ``registry.hub.docker.com``),
    or ``python`` on any other registry host when the path before it is empty,
    ends in ``library`` (``mirror.gcr.io/library/python``,
    ``public.ecr.aws/docker/library/python``, ``host:5000/mirror/library/python``)
    or ends in ``dependency_proxy/containers`` (GitLab's Docker Hub proxy).  A
    first path component is a registry host when it contains ``.`` or ``:``, is
    ``localhost``, or is a single variable such as ``${REGISTRY}`` whose value is
    unknown.  ``myorg/python`` or ``ghcr.io/org/python`` are someone's own images
    and are left alone, as are ``pypy``, ``python-foo`` and every other name.
    Mirrors are assumed to carry the official tags.  The tag, as written and not
    counting variable names, must contain ``alpine``.

Version forms
    ``3``, ``3.11``, ``3.11.4``, pre-releases ``3.12.0a3``/``3.12.0rc1``, the
    moving ``3.15-rc`` and ``rc``, or none (``alpine``, ``alpine3.19``), followed
    by ``alpine`` or ``alpineX.Y``.  The precision is kept: ``3.11-alpine`` ->
    ``3.11-slim-<codename>``, ``3.11.4-alpine3.18`` -> ``3.11.4-slim-<codename>``,
    ``alpine`` -> ``slim-<codename>``.  The codename is always written: an
    unpinned ``-slim`` moved from bookworm to trixie in August 2025 and broke builds.

Codename
    Without a requested codename: the newest Debian release that tag was
    published for (3.13 -> trixie, 3.8 -> bookworm, 3.6 -> bullseye, 2.7 -> buster).
    With one that was never published for that version: the closest release that
    was (see :func:`rewriter.codenames.closest`), with a note.  The same applies to
    a pinned patch or pre-release: ``3.13.5`` was never published for trixie, so it
    becomes ``3.13.5-slim-bookworm``; the pin is kept because it usually means a
    reproducible build, and the note names the minor tag as the alternative.  A
    version never published as any ``slim-<codename>`` tag (3.3, 3.6.1, 3.9.0a1)
    is not rewritten; the note names the nearest tag of the same minor, if any.
    Only published ``-slim-<codename>`` tags are emitted, never Windows or onbuild.

Digests
    ``python:3.11-alpine@sha256:...`` loses the digest, which named the Alpine
    image, with a note to pin the new tag again.  ``python@sha256:...`` has no tag
    to tell it is Alpine and is left alone.

Variables
    ``$VAR``, ``${VAR}``, ``${VAR:-word}`` and ``${VAR:+word}`` are evaluated with
    the values the caller knows (ARG defaults) only to make the decision; the
    rewrite touches only the literal Alpine suffix, so ``python:${PY}-alpine``
    becomes ``python:${PY}-slim-<codename>`` with a note that a ``--build-arg`` may
    select another version.  A variable with no known value in the version leaves
    the reference alone.  A variable in the Alpine suffix
    (``alpine${ALPINE_VERSION}``) is replaced with the rest of the suffix.  A tag
    whose ``alpine`` comes only from a variable gets a note and no rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from . import codenames

VERSION_PATTERN = r"rc|\d+(?:\.\d+(?:\.\d+(?:(?:a|b|rc)\d+)?)?)?(?:-rc)?"
_VERSION = re.compile(VERSION_PATTERN)
_MINOR = re.compile(r"\d+\.\d+")
_ALPINE = re.compile(r"alpine(?:\d+\.\d+)?")
_ALPINE_TAG = re.compile(rf"(?:({VERSION_PATTERN})-)?alpine(?:\d+\.\d+)?")
_SLIM_TAG = re.compile(rf"(?:({VERSION_PATTERN})-)?slim-([a-z]+)")

_VAR = re.compile(r"\$(?:\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:[-+])(?P<word>[^$]*))?")
_MAX_DEPTH = 8  # ARG defaults that refer to other ARGs; deeper means a cycle

# The reference grammar of distribution/reference, checked on text whose variables are masked.
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::\d+)?")
_TAG = re.compile(r"\w[\w.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
# distribution/reference allows 255 characters of name and 128 of tag; anything much longer is not a
# reference, and refusing it keeps _VAR's scan for a closing brace from going quadratic.
MAX_REF_LENGTH = 1024
_DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})


@dataclass(frozen=True)
class ImageRef:
    """A reference split into parts; the parts concatenate back to the original text."""

    registry_prefix: str  # everything before the name, with the trailing "/"
    name: str  # the last path component, e.g. "python"
    tag: str | None
    digest: str | None  # "sha256:..."


@dataclass(frozen=True)
class TagDecision:
    """What to write instead of a python Alpine reference; ``new`` is None when nothing fits."""

    old: str
    new: str | None
    notes: tuple[str, ...]
    codename: str | None
    edits: tuple[tuple[int, int, str], ...] = ()  # (start, end, replacement) within ``old``


# Phrases of the notes above that a reviewer must act on; the other notes explain a choice.
_REVIEW_PHRASES = ("digest", "--build-arg", "never an official tag", "no default")


def note_needs_review(decision: TagDecision, note: str) -> bool:
    """Is this note of ``decision`` a warning (act on it) rather than information?"""
    return decision.new is None or any(phrase in note for phrase in _REVIEW_PHRASES)


@dataclass(frozen=True)
class _Expansion:
    text: str | None  # None when some variable could not be evaluated
    used: tuple[str, ...]  # "NAME=value" for each variable that was evaluated
    unknown: tuple[str, ...]  # the references that could not be evaluated, as written


@lru_cache(maxsize=None)
def published_tags() -> frozenset[str]:
    """Every non-Windows tag the official ``python`` image ever listed."""
    text = files("rewriter").joinpath("data/python-tags.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@lru_cache(maxsize=None)
def _slim_codenames() -> dict[str, frozenset[str]]:
    """Version spec ("" for the unversioned tags) -> codenames with a ``slim-<codename>`` tag."""
    found: dict[str, set[str]] = {}
    for tag in published_tags():
        match = _SLIM_TAG.fullmatch(tag)
        if match and match[2] in codenames.CODENAMES:
            found.setdefault(match[1] or "", set()).add(match[2])
    return {version: frozenset(names) for version, names in found.items()}


@lru_cache(maxsize=None)
def _newest_published() -> str | None:
    """The newest codename any ``slim-<codename>`` tag was published for (asked for every reference)."""
    return codenames.newest(c for names in _slim_codenames().values() for c in names)


def newest_codename(version: str) -> str | None:
    """Newest codename with a published ``<version>-slim-<codename>`` tag ("" = unversioned)."""
    return codenames.newest(_slim_codenames().get(version, ()))


def _mask(text: str) -> str:
    """Variables replaced by zeros of the same length: valid in every part of a reference."""
    return _VAR.sub(lambda m: "0" * len(m[0]), text)


def _is_host(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost" or component != component.lower()


def parse_ref(ref: str) -> ImageRef | None:
    """Split ``[host[:port]/][path/]name[:tag][@digest]``; None if it is not a valid reference."""
    if len(ref) > MAX_REF_LENGTH:
        return None
    masked = _mask(ref)
    rest, at, digest = masked.partition("@")
    if at and not _DIGEST.fullmatch(digest):
        return None
    colon = rest.rfind(":")
    tag = None
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.fullmatch(tag):
            return None
    parts = rest.split("/")
    path = parts[1:] if len(parts) > 1 and _is_host(parts[0]) else parts
    if len(path) < len(parts) and not _DOMAIN.fullmatch(parts[0]):
        return None
    if not all(_COMPONENT.fullmatch(p) for p in path):
        return None
    name_start = len(rest) - len(parts[-1])
    tag_end = len(rest) + 1 + len(tag) if tag is not None else len(rest)
    return ImageRef(
        registry_prefix=ref[:name_start],
        name=ref[name_start : len(rest)],
        tag=ref[len(rest) + 1 : tag_end] if tag is not None else None,
        digest=ref[tag_end + 1 :] if at else None,
    )


def _expand(text: str, variables: Mapping[str, str], depth: int = 0) -> _Expansion:
    used: list[str] = []
    unknown: list[str] = []

    def value_of(name: str) -> str | None:
        raw = variables.get(name)
        if raw is None or depth >= _MAX_DEPTH or len(raw) > MAX_REF_LENGTH:
            return None
        return _expand(raw, variables, depth + 1).text

    def substitute(match: re.Match[str]) -> str:
        braced = _BRACED.fullmatch(match["braced"]) if match["braced"] is not None else None
        if match["bare"] is None and braced is None:
            unknown.append(match[0])  # ${VAR#pattern} and the like: not evaluated
            return match[0]
        name = match["bare"] or braced["name"]
        op, word = (braced["op"], braced["word"]) if braced else (None, "")
        value = value_of(name)
        if op == ":-" and not value:
            used.append(f"{name}={word}")
            return word
        if value is None:
            unknown.append(match[0])
            return match[0]
        if op == ":+":
            return word if value else ""
        used.append(f"{name}={value}")
        return value

    expanded = _VAR.sub(substitute, text)
    return _Expansion(None if unknown else expanded, tuple(used), tuple(unknown))


def _official_python(ref: ImageRef, variables: Mapping[str, str]) -> bool:
    """The rule in the module docstring: the official image, directly or through a mirror."""
    if ref.name != "python":
        return False
    prefix = _expand(ref.registry_prefix, variables).text or ref.registry_prefix
    parts = prefix.split("/")[:-1]
    if not parts:
        return True
    if _is_host(parts[0]) or _VAR.fullmatch(parts[0]):
        host, path = parts[0].lower(), parts[1:]
        if host in _DOCKER_HUB:
            return path in ([], ["library"])
        return not path or path[-1] == "library" or path[-2:] == ["dependency_proxy", "containers"]
    return parts == ["library"]


def is_python_alpine(ref: str) -> bool:
    """An official python reference whose literal tag contains ``alpine`` (see the module docstring)."""
    parsed = parse_ref(ref)
    return (
        parsed is not None
        and parsed.tag is not None
        and _official_python(parsed, {})
        and "alpine" in _mask(parsed.tag)
    )


def _slim_tag(version: str, codename: str) -> str:
    return f"{version}-slim-{codename}" if version else f"slim-{codename}"


def _subject(version: str) -> str:
    return f"python {version}" if version else "the unversioned python tags"


def _resolve(version: str, codename: str | None) -> tuple[str | None, str | None, tuple[str, ...]]:
    """(new tag, its codename, notes) for a version spec and an optional requested codename."""
    table = _slim_codenames()
    available = table.get(version, frozenset())
    minor_match = _MINOR.match(version)
    minor = minor_match[0] if minor_match else None
    if not available:
        note = (
            f"python:{_slim_tag(version, '<codename>')} was never published, "
            "so there is no Debian slim tag to switch to"
        )
        nearest = newest_codename(minor) if minor and minor != version else None
        if nearest:
            note += f"; python:{_slim_tag(minor, nearest)} exists if another {minor} release is acceptable"
        return None, None, (note,)
    wanted = codename or _newest_published()
    if wanted in available:
        return _slim_tag(version, wanted), wanted, ()
    chosen = codenames.closest(wanted, available)
    pinned_older = bool(minor and minor != version and wanted in table.get(minor, ()))
    if codename:  # asked for: say it could not be had
        note = (
            f"python:{_slim_tag(version, wanted)} was never published; using {codenames.describe(chosen)}, "
            f"the closest Debian release published for {_subject(version)}"
        )
    else:  # the default: the newest release this version has, which is not the newest Debian
        note = f"using {codenames.describe(chosen)}, the newest Debian release published for {_subject(version)} (none on {wanted})"
    if pinned_older:
        note += (
            f"; the pin to {version} is kept, python:{_slim_tag(minor, wanted)} exists"
            f" if another {minor} release is acceptable"
        )
    return _slim_tag(version, chosen), chosen, (note,)


def _refuse(ref: str, note: str) -> TagDecision:
    return TagDecision(old=ref, new=None, notes=(note,), codename=None)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, replacement in sorted(edits):
        out += [text[pos:start], replacement]
        pos = end
    return "".join(out) + text[pos:]


def decide(
    ref: str, codename: str | None = None, variables: Mapping[str, str] | None = None
) -> TagDecision | None:
    """The slim tag for a python Alpine reference; None when ``ref`` is not one (leave it alone).

    ``codename`` requests a Debian release (ValueError if unknown); ``variables``
    are the known values (ARG defaults) of variables used in ``ref``.
    """
    if codename is not None:
        codenames.rank(codename)
    variables = variables or {}
    parsed = parse_ref(ref)
    if parsed is None or parsed.tag is None or not _official_python(parsed, variables):
        return None
    tag = parsed.tag
    tag_start = len(parsed.registry_prefix) + len(parsed.name) + 1
    at = _mask(tag).find("alpine")
    if at < 0:
        whole = _expand(tag, variables)
        if whole.text is None or "alpine" not in whole.text:
            return None
        source = ", ".join(whole.used)
        return _refuse(ref, f"the Alpine tag python:{whole.text} comes from {source}; change it where it is set")
    if at and tag[at - 1] != "-":
        return _refuse(ref, f"python:{tag} is not a tag form dockerfix knows (VERSION-alpine or VERSION-alpineX.Y)")
    version_part, alpine_part = tag[: max(at - 1, 0)], tag[at:]
    version = _expand(version_part, variables)
    if version.text is None:
        return _refuse(
            ref,
            f"{', '.join(version.unknown)} has no default (or uses an expansion dockerfix does not evaluate);"
            " cannot check that the tag exists",
        )
    alpine = _expand(alpine_part, variables)
    bad_version = version_part != "" and not _VERSION.fullmatch(version.text)
    if bad_version or (alpine.text is not None and not _ALPINE.fullmatch(alpine.text)):
        return _refuse(ref, f"python:{tag} is not a tag form dockerfix knows (VERSION-alpine or VERSION-alpineX.Y)")

    new_tag, chosen, notes_list = _resolve(version.text, codename)
    notes = list(notes_list)
    if new_tag is None:
        return TagDecision(old=ref, new=None, notes=tuple(notes), codename=None)
    if alpine.text is not None:
        original = f"{version.text}-{alpine.text}" if version.text else alpine.text
        if original not in published_tags():
            notes.append(f"python:{original} was never an official tag; the new tag was chosen by its version alone")
    if version.used:
        notes.append(
            f"checked with {', '.join(version.used)}; a --build-arg may select a version "
            f"that was never published as slim-{chosen}"
        )
    edits = [(tag_start + at, tag_start + len(tag), f"slim-{chosen}")]
    dropped = [m[0] for m in _VAR.finditer(alpine_part)]
    if dropped:
        notes.append(f"{', '.join(dropped)} is no longer used in this reference; its ARG may now be unused")
    if parsed.digest is not None:
        edits.append((tag_start + len(tag), len(ref), ""))
        notes.append(
            "the digest belonged to the Alpine image and was dropped; the new tag is unpinned"
            " — pin it again with the new digest"
        )
    return TagDecision(old=ref, new=_apply(ref, edits), notes=tuple(notes), codename=chosen, edits=tuple(edits))


def emittable_tags() -> dict[tuple[str, str | None], str | None]:
    """(version spec, requested codename or None) -> the tag decide() emits, for every published Alpine version."""
    versions = {m[1] or "" for m in map(_ALPINE_TAG.fullmatch, published_tags()) if m}
    return {(v, c): _resolve(v, c)[0] for v in versions for c in (None, *codenames.CODENAMES)}
