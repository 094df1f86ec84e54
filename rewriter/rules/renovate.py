"""renovate: Renovate's repology annotations follow the package to Debian.

Why: a pinned Alpine package is often kept current by Renovate through a comment::

    # renovate: datasource=repology depName=alpine_3_18/curl versioning=loose
    ENV CURL_VERSION="8.4.0-r0"

After the migration the package comes from Debian, so the annotation must name Debian's
repology repository (``debian_11`` bullseye, ``debian_12`` bookworm, ``debian_13`` trixie)
and Debian's package name, or Renovate keeps proposing Alpine versions::

    # renovate: datasource=repology depName=debian_12/curl versioning=loose

The Alpine name is translated like apk-to-apt translates it, for the codename of the stage
the annotated line belongs to (an ARG before the first FROM belongs to the stages that
declare it).  The version value itself is Alpine's and apk-to-apt drops the pins that used
it, so the change is reported with that caveat.  Refuses, with a report: names with no
single Debian package (unknown, dropped, or more than one), and annotations whose stages
are not all migrated to one codename.
"""

from __future__ import annotations

import re

from .. import packages
from ..dockerfile import Instruction, logical_args
from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
from . import apk_to_apt
from .context import DockerfileContext

RULE_ID = "renovate"
SUMMARY = "Point Renovate repology annotations (depName=alpine_3_18/pkg) at Debian (debian_12/pkg)"

REPOLOGY = {"stretch": "debian_9", "buster": "debian_10", "bullseye": "debian_11", "bookworm": "debian_12", "trixie": "debian_13"}
_ANNOTATION = re.compile(r"#\s*renovate:(?=[^\n]*\bdatasource=repology\b)[^\n]*?\bdepName=(?P<repo>alpine_(?:\d+_\d+|edge))/(?P<name>[^\s/]+)", re.IGNORECASE)
_ALPINE_VERSION = re.compile(r"-r\d+$")


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    text = ctx.df.text
    for match in _ANNOTATION.finditer(text):
        line = ctx.line_of(match.start())
        target = _annotated(ctx, match.start())
        if target is None or ctx.ignores(target, RULE_ID):
            continue
        codename = _codename(ctx, target)
        if codename is None:
            continue
        if codename not in REPOLOGY:
            why = "the stages it serves end on different Debian releases" if codename == "" else f"no repology repository is known for {codename}"
            out.findings.append(Finding(RULE_ID, line, f"{match.group('repo')}/{match.group('name')}: {why}: update the annotation by hand"))
            continue
        alpine = match.group("name")
        decision = packages.lookup(alpine, codename, ctx.settings.package_overrides)
        if decision.kind != "map" or len(decision.debian) != 1:
            why = {"map": f"it becomes several Debian packages ({' '.join(decision.debian)})", "drop": f"it is dropped on Debian ({decision.reason})", "pypi": f"it is removed on Debian ({decision.reason})"}.get(decision.kind, f"no known Debian package for {codename}")
            out.findings.append(Finding(RULE_ID, line, f"{match.group('repo')}/{alpine}: {why}: update or remove the annotation by hand"))
            continue
        new = f"{REPOLOGY[codename]}/{decision.debian[0]}"
        out.fixes.append(Fix((Edit(match.start("repo"), match.end("name"), new),)))
        out.changes.append(Change(RULE_ID, line, f"{match.group('repo')}/{alpine}", new))
        out.findings.append(Finding(RULE_ID, line, f"{match.group('repo')}/{alpine} -> {new}{_version_caveat(ctx, target)}", Severity.WARNING))
    return out


def _annotated(ctx: DockerfileContext, offset: int) -> Instruction | None:
    """The instruction an annotation belongs to: the one it sits in, or the first one after it."""
    return next((ins for ins in ctx.df.instructions if ins.end >= offset), None)


def _codename(ctx: DockerfileContext, ins: Instruction) -> str | None:
    """The codename of the migrated stage(s) ``ins`` serves; "" when they disagree; None when one is not migrated."""
    stage = next((s for s in ctx.stages if ins is s.from_instruction or ins in s.instructions), None)
    if stage is not None:
        return apk_to_apt.target_codename(ctx, stage)
    if ins.keyword != "ARG":  # before the first FROM only ARGs are allowed
        return None
    names = {a.name for a in apk_to_apt.read_assignments(logical_args(ctx.df, ins).text, "ARG")}
    users = [s for s in ctx.stages if any(i.keyword == "ARG" and names & {a.name for a in apk_to_apt.read_assignments(logical_args(ctx.df, i).text, "ARG")} for i in s.instructions)]
    codenames = {apk_to_apt.target_codename(ctx, s) for s in users}
    if not users or None in codenames:
        return None
    return codenames.pop() if len(codenames) == 1 else ""


def _version_caveat(ctx: DockerfileContext, ins: Instruction) -> str:
    """What to do about the Alpine version the annotated ARG/ENV holds."""
    if ins.keyword not in ("ARG", "ENV"):
        return ""
    logical = logical_args(ctx.df, ins)
    for assignment in apk_to_apt.read_assignments(logical.text, ins.keyword):
        value = logical.text[slice(*assignment.value)] if assignment.value else ""
        if _ALPINE_VERSION.search(value):
            return f"; {assignment.name}={value} is still an Alpine version and apk-to-apt dropped the pins that used it: set a Debian version there if you pin again"
    return ""
