"""compose-build: follow Compose services' ``build:`` to the Dockerfiles they build.

Why: a repository's Compose file often builds a Dockerfile under a name discovery does not
take (``docker/app.Dockerfile`` is taken, ``docker/Dockerfile-app`` is not), and its
``build.args`` may pick another base image than the Dockerfile's ARG default.  When a
Compose file is processed, the Dockerfiles its services build are processed too (each file
once), and the Compose file's report says which service builds which file and what its
build args do to the FROM lines.

Refuses, with a report: a service whose Dockerfile does not exist, lies outside the paths
given (a Compose file may point anywhere: ``build: ../../elsewhere``) or is excluded.  Remote
contexts, paths built by interpolation and ``dockerfile_inline`` are not followed.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import partial
from typing import Callable, Iterable, Sequence

from .files import COMPOSE, DOCKERFILE, Scope, Target
from .findings import Finding, Severity
from .source import SourceError, read_source

RULE_ID = "compose-build"
SUMMARY = "Process the Dockerfiles Compose services build; report build args that change their FROM"

Links = tuple[tuple[Finding, ...], tuple[Target, ...]]  # a Compose file's notes, and the Dockerfiles it builds


def with_linked_dockerfiles(
    targets: list[Target], scope: Scope, each: Callable[[Callable[[Target], Links | None], list[Target]], Iterable[Links | None]] = map
) -> list[Target]:
    """``targets`` plus the Dockerfiles their Compose files build, each right after its Compose file.

    Compose files are read here only to find their links (their migration is done as usual); the
    notes for the report travel with the Compose file's target.  ``each`` maps :func:`links_of`
    over the Compose files (in worker processes, for a big run).
    """
    composes = [t for t in targets if t.kind == COMPOSE]
    if not composes:
        return targets
    found = iter(each(partial(links_of, scope=scope), composes))
    seen = Seen(targets)
    out: list[Target] = []
    for target in targets:
        if target.kind != COMPOSE:
            out.append(target)
            continue
        links = next(found)
        if links is None:
            out.append(target)  # processing the file reports why it cannot be read
            continue
        notes, linked = links
        out.append(replace(target, notes=target.notes + notes))
        out.extend(seen.new(linked))
    return out


class Seen:
    """The files a run takes, so that a Dockerfile reached again through a Compose file is processed once.

    The run's files are resolved at the first question (with worker processes, while they work)."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self.targets: Sequence[Target] | None = targets
        self.paths: set[str] = set()

    def new(self, linked: Iterable[Target]) -> list[Target]:
        """The Dockerfiles of ``linked`` not taken yet, which are taken now."""
        fresh = []
        for dockerfile in linked:
            if self.targets is not None:
                self.paths.update(os.path.realpath(t.path) for t in self.targets)
                self.targets = None
            key = os.path.realpath(dockerfile.path)
            if key not in self.paths:
                self.paths.add(key)
                fresh.append(dockerfile)
        return fresh


def links_of(target: Target, scope: Scope) -> Links | None:
    """The notes for a Compose file's report, and the existing Dockerfiles its services build
    within ``scope``; None when the file cannot be read."""
    from . import compose  # ruamel.yaml is imported only when there is a Compose file

    try:
        text = read_source(target.path).text
    except SourceError:
        return None
    notes: list[Finding] = []
    linked: list[Target] = []
    for link in compose.linked_dockerfiles(target.path, text):
        line = link.line
        shown = os.path.relpath(link.dockerfile_path, os.path.dirname(target.path) or ".")
        if not os.path.isfile(link.dockerfile_path):
            notes.append(Finding(RULE_ID, line, f"service {link.service} builds {shown}, which does not exist"))
            continue
        refused = scope.refuses(link.dockerfile_path)
        if refused is not None:
            notes.append(Finding(RULE_ID, line, f"service {link.service} builds {shown}, {refused}: not migrated in this run"))
            continue
        notes.append(Finding(RULE_ID, line, f"service {link.service} builds {shown}", Severity.INFO))
        if link.build_args:  # without build args, nothing to say about its FROM lines
            try:
                dockerfile_text = read_source(link.dockerfile_path).text
            except SourceError:
                dockerfile_text = ""
            for message in compose.arg_overrides_report(dockerfile_text, link.build_args):
                notes.append(Finding(RULE_ID, line, f"service {link.service}: {message}"))
        linked.append(Target(link.dockerfile_path, DOCKERFILE))
    return tuple(notes), tuple(linked)
