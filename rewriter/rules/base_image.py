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

from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
from .context import DockerfileContext

RULE_ID = "base-image"
SUMMARY = "Rewrite python Alpine base images to a published python:X-slim-<codename> tag"


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    seen_targets: set[int] = set()
    for stage in ctx.stages:
        decision, target = stage.decision, stage.target
        if decision is None or target is None:
            continue
        line = ctx.line_of(target.start)
        for note in decision.notes:
            out.findings.append(Finding(RULE_ID, line, note, Severity.WARNING if decision.new is None else Severity.INFO))
        if decision.new is None or target.start in seen_targets:
            continue
        seen_targets.add(target.start)
        edits = tuple(Edit(target.start + s, target.start + e, text) for s, e, text in decision.edits)
        if edits:
            out.fixes.append(Fix(edits))
            out.changes.append(Change(RULE_ID, line, decision.old, decision.new))
    return out
