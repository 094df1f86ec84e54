"""compose-image: python Alpine images named in a Compose file become the same slim tag as in a Dockerfile.

Where: ``services.*.image``, ``services.*.build.args`` values (``KEY: value`` and
``- KEY=value``), and every string under a top-level ``x-*`` extension field (which
is where shared anchors live: ``x-base: &base {image: python:3.11-alpine}`` is
edited once, at the anchor).  In an interpolation with a default,
``${PYTHON_IMAGE:-python:3.11-alpine}``, only the default is edited.  The decision
is :func:`rewriter.images.decide`, so ``postgres:16-alpine`` and ``redis:alpine``
never change.

The Dockerfiles a service builds are found by :func:`linked_dockerfiles`;
:func:`arg_overrides_report` tells when its ``build.args`` pick a python Alpine
image through an ARG used in FROM.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field

from . import dockerfile, images, platforms, stages
from .findings import FileResult, Finding, Severity
from .settings import Settings
from .yamlspans import Mapping, Planned, Scalar, ScalarChange, Sequence, YamlError, finish, get, is_str, pairs, parse, walk

RULE_ID = "compose-image"
SUMMARY = "Rewrite python Alpine images in Compose files to a published python:X-slim-<codename> tag"

_HINT = re.compile(r"python\S*alpine")
_INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-(?P<default>[^${}]*)\}")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_REMOTE_CONTEXT = re.compile(r"(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)
_FROM_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")


def may_name_python_alpine(text: str) -> bool:
    """A cheap pre-check: a python Alpine reference says ``python`` and later ``alpine`` with no blank
    between; a file without that has nothing to migrate and is not even parsed."""
    return _HINT.search(text) is not None


@dataclass(frozen=True)
class Link:
    """A service that builds a Dockerfile: where the file is, and the build args it passes."""

    service: str
    dockerfile_path: str
    build_args: dict[str, str | None] = field(default_factory=dict)  # None: taken from the environment
    line: int = 1  # the line of the service's key


def image_decisions(value: str, codename: str | None) -> list[tuple[int, images.TagDecision]]:
    """(offset in ``value``, decision) for each python Alpine image the value names.

    ``KEY=`` in front (a list-form build arg) is skipped; interpolation defaults are
    decided on their own, else the whole value is one reference.
    """
    offset = m.end() if (m := _ASSIGNMENT.match(value)) else 0
    value = value[offset:]
    found = []
    for match in _INTERPOLATION.finditer(value):
        decision = images.decide(match["default"], codename)
        if decision is not None:
            found.append((offset + match.start("default"), decision))
    if not found and (decision := images.decide(value, codename)) is not None:
        found.append((offset, decision))
    return found


def plan_image(scalar: Scalar, decisions: list[tuple[int, images.TagDecision]], rule: str, findings: list[Finding]) -> Planned | None:
    """The planned edit of one image-naming scalar; the decisions' notes go with it (or to ``findings``)."""
    notes = [
        Finding(rule, scalar.line, note, Severity.WARNING if images.note_needs_review(d, note) else Severity.INFO)
        for _, d in decisions
        for note in d.notes
    ]
    made = [(offset, d) for offset, d in decisions if d.new is not None]
    if not made:
        findings.extend(notes)
        return None
    edits = tuple((offset + s, offset + e, text) for offset, d in made for s, e, text in d.edits)
    before = ", ".join(d.old for _, d in made)
    after = ", ".join(d.new for _, d in made)
    return Planned(ScalarChange(scalar, edits), rule, before, after, notes, f"{before} not changed")


def _image_sites(root) -> list[Scalar]:
    """The scalars that name images, each once (an alias is its anchor's node)."""
    sites: dict[int, Scalar] = {}
    for _name, service in pairs(get(root, "services")):
        image = get(service, "image")
        if is_str(image):
            sites.setdefault(id(image), image)
        build = get(service, "build")
        args = get(build, "args") if isinstance(build, Mapping) else None
        values = [v for _, v in pairs(args)] if isinstance(args, Mapping) else args.items if isinstance(args, Sequence) else []
        for value in values:
            if is_str(value):
                sites.setdefault(id(value), value)
    for name, value in pairs(root):
        if name.startswith("x-"):
            for node in walk(value):
                if is_str(node):
                    sites.setdefault(id(node), node)
    return sorted(sites.values(), key=lambda s: s.start)


def _inline_dockerfiles(root) -> list[Finding]:
    found = []
    for name, service in pairs(get(root, "services")):
        inline = get(get(service, "build"), "dockerfile_inline")
        if is_str(inline) and may_name_python_alpine(inline.value):
            found.append(Finding(RULE_ID, inline.line, f"service {name}: build.dockerfile_inline is not migrated; edit it by hand or move it to a Dockerfile"))
    return found


def fix(text: str, settings: Settings) -> FileResult:
    """Migrate the python Alpine images of one Compose file (see :func:`may_name_python_alpine`)."""
    if not may_name_python_alpine(text) or not settings.rule_enabled(RULE_ID):
        return FileResult(text, text)
    try:
        roots = parse(text)
    except YamlError as exc:
        return FileResult(text, text, error=str(exc))
    findings: list[Finding] = []
    planned: list[Planned] = []
    for root in roots:
        findings.extend(_inline_dockerfiles(root))
        findings.extend(_unsupported_platforms(root, settings.codename))
        for scalar in _image_sites(root):
            plan = plan_image(scalar, image_decisions(scalar.value, settings.codename), RULE_ID, findings)
            if plan is not None:
                planned.append(plan)
    return finish(text, roots, planned, findings)


def _unsupported_platforms(root, codename: str | None) -> list[Finding]:
    """``platform:`` / ``build.platforms`` a service's new Debian slim image is not published for."""
    found = []
    for _name, service in pairs(get(root, "services")):
        image = get(service, "image")
        if not is_str(image):
            continue
        releases = {d.codename for _, d in image_decisions(image.value, codename) if d.new and d.codename}
        build = get(service, "build")
        listed = get(build, "platforms") if isinstance(build, Mapping) else None
        candidates = [get(service, "platform"), *(listed.items if isinstance(listed, Sequence) else [])]
        for node in candidates:
            if not is_str(node):
                continue
            for release in sorted(releases):
                if platforms.unsupported(node.value, release):
                    found.append(Finding(RULE_ID, node.line, f"platform {node.value}: the python slim-{release} image is not published for this platform"))
    return found


# --- Compose -> Dockerfile links --------------------------------------------------------------


def _build_args(node) -> dict[str, str | None]:
    args: dict[str, str | None] = {}
    if isinstance(node, Mapping):
        for key, value in pairs(node):
            written = isinstance(value, Scalar) and not (value.style is None and value.value in ("", "~", "null", "Null", "NULL"))
            args[key] = value.value if written else None
    elif isinstance(node, Sequence):
        for item in node.items:
            if isinstance(item, Scalar) and item.value:
                key, eq, value = item.value.partition("=")
                args[key] = value if eq else None
    return args


def linked_dockerfiles(path: str, text: str) -> list[Link]:
    """The Dockerfiles the services of the Compose file at ``path`` build (relative to its folder).

    Skipped: remote (git URL) contexts, paths that use ``${...}`` interpolation, and
    ``dockerfile_inline`` (reported by :func:`fix`).  A file that does not parse has no links.
    """
    if "build" not in text:  # no service builds anything: spare the YAML parse
        return []
    try:
        roots = parse(text)
    except YamlError:
        return []
    folder = os.path.dirname(path)
    links = []
    for root in roots:
        services = get(root, "services")
        key_lines = {k.value: k.line for k, _ in services.pairs if isinstance(k, Scalar)} if isinstance(services, Mapping) else {}
        for name, service in pairs(services):
            build = get(service, "build")
            args: dict[str, str | None] = {}
            if is_str(build):
                context, file = build.value, "Dockerfile"
            elif isinstance(build, Mapping):
                if get(build, "dockerfile_inline") is not None and get(build, "dockerfile") is None:
                    continue
                context_node, file_node = get(build, "context"), get(build, "dockerfile")
                context = context_node.value if is_str(context_node) else "."
                file = file_node.value if is_str(file_node) else "Dockerfile"
                args = _build_args(get(build, "args"))
            else:
                continue
            if _REMOTE_CONTEXT.match(context) or "$" in context + file:
                continue
            links.append(Link(name, os.path.normpath(os.path.join(folder, context, file)), args, key_lines.get(name, 1)))
    return links


def arg_overrides_report(dockerfile_text: str, build_args: MappingABC[str, str | None]) -> list[str]:
    """What build args do to the FROM lines of a Dockerfile: one message per FROM whose
    image, with the build args, is a python Alpine image other than the one the ARG defaults give.
    A Dockerfile that does not parse gives no messages (its own run reports it)."""
    try:
        df = dockerfile.parse(dockerfile_text)
    except dockerfile.DockerfileSyntaxError:
        return []
    defaults = stages.global_args(df)
    messages = []
    for ins in df.instructions:
        if ins.keyword != "FROM":
            continue
        words = stages.words_with_spans(df, ins)
        if not words:
            continue
        image = words[0].text
        names = [m[1] or m[2] for m in _FROM_VARIABLE.finditer(image)]
        used = [n for n in dict.fromkeys(names) if n in build_args and n in defaults]
        if not used:
            continue
        before = stages.substitute(image, defaults)
        unset = [n for n in used if build_args[n] is None]
        if unset:
            if "python" in (before or image):
                messages.append(
                    f"FROM on line {ins.line}: build arg {', '.join(unset)} takes its value from the environment;"
                    " dockerfix cannot tell which image it selects"
                )
            continue
        overridden = dict(defaults)
        for name in used:
            overridden[name] = stages.ArgDefault(name, stages.Span(build_args[name] or "", 0, 0), defaults[name].instruction)
        after = stages.substitute(image, overridden)
        if after is None or after == before or not images.is_python_alpine(after):
            continue
        given = ", ".join(f"{n}={build_args[n]}" for n in used)
        if before is not None and images.is_python_alpine(before):
            messages.append(f"FROM on line {ins.line}: build arg {given} selects {after} instead of the default {before}")
        else:
            messages.append(
                f"FROM on line {ins.line}: build arg {given} selects {after}, a python Alpine image; the Dockerfile's"
                f" default ({before or 'unknown: an ARG has no default'}) is not one, so this FROM is not migrated:"
                " change the build arg"
            )
    return messages
