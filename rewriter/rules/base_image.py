"""base-image: ``FROM python:X-alpine*`` becomes a published ``python:X-slim-<codename>``.

Why: musl-based Alpine images cannot install PyPI's manylinux wheels, so compiled
projects build from source; the Debian slim image installs them as wheels.

Example::

    FROM --platform=$BUILDPLATFORM python:3.11-alpine3.19 AS build
    FROM --platform=$BUILDPLATFORM python:3.11-slim-trixie AS build

Only the image reference changes (flags, ``AS name``, keyword case and spacing stay).
``FROM ${BASE}`` is fixed at ``ARG BASE=...``.  The tag decision itself (codename,
patch pins, digests, registries) is :func:`rewriter.images.decide`.  Refuses, with a
report: references whose tag cannot be decided (an ARG without a default, a version
that was never published for Debian).
"""

from __future__ import annotations

import re

from .. import images, platforms
from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
from ..stages import Stage, global_args
from .context import DockerfileContext

RULE_ID = "base-image"
SUMMARY = "Rewrite python Alpine base images to a published python:X-slim-<codename> tag"


_UNUSED = re.compile(r"^(?P<vars>.*) is no longer used in this reference")


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    seen_targets: set[int] = set()
    for stage in ctx.stages:
        _check_musl_copies(ctx, stage, out)
        decision, target = stage.decision, stage.target
        if decision is None or target is None:
            continue
        line = ctx.line_of(target.start)
        for note in decision.notes:
            note = _explain_unused(ctx, stage, note)
            review = images.note_needs_review(decision, note)
            out.findings.append(Finding(RULE_ID, line, note, Severity.WARNING if review else Severity.INFO))
        if decision.new is None or target.start in seen_targets:
            continue
        _check_platform(ctx, stage, decision.codename, out)
        seen_targets.add(target.start)
        edits = tuple(Edit(target.start + s, target.start + e, text) for s, e, text in decision.edits)
        if edits:
            out.fixes.append(Fix(edits))
            out.changes.append(Change(RULE_ID, line, decision.old, decision.new))
    return out


def _explain_unused(ctx: DockerfileContext, stage: Stage, note: str) -> str:
    """Say for sure whether an ARG dropped from the tag (``alpine${ALPINE_VERSION}``) is still used."""
    match = _UNUSED.match(note)
    if not match:
        return note
    args = global_args(ctx.df)
    unused = []
    for name in re.findall(r"\$\{?(\w+)", match["vars"]):
        outside = ctx.df.text[: stage.target.start] + ctx.df.text[stage.target.end :]
        uses = [m for m in re.finditer(r"\$\{?" + re.escape(name) + r"\b", outside)]
        if name in args and not uses:
            unused.append(f"ARG {name} (line {args[name].instruction.line})")
    if not unused:
        return note
    return f"{', '.join(unused)} is no longer used after this change; remove it"


def _check_platform(ctx: DockerfileContext, stage: Stage, codename: str | None, out: RuleOutput) -> None:
    for flag in stage.from_instruction.flags:
        if flag.name == "platform" and flag.value and codename and platforms.unsupported(flag.value, codename):
            out.findings.append(
                Finding(RULE_ID, stage.from_instruction.line,
                        f"--platform={flag.value}: the python slim-{codename} image is not published for this platform")
            )


def _check_musl_copies(ctx: DockerfileContext, stage: Stage, out: RuleOutput) -> None:
    for ins, source in stage.copies_from_migrated:
        origin = ctx.stages[source]
        name = origin.alias or str(origin.index)
        out.findings.append(
            Finding(RULE_ID, ins.line,
                    f"{ins.keyword} --from={name} copies files built on glibc (Debian) into a stage on "
                    f"{stage.image.text} (musl): compiled wheels and virtualenvs built against glibc do not run on musl; "
                    "migrate this stage too (--migrate-copy-targets moves a plain alpine stage to the builder's image)")
        )
