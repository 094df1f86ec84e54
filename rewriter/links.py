"""compose-build: follow Compose services' ``build:`` to the Dockerfiles they build.

Why: a repository's Compose file often builds a Dockerfile under a name discovery does not
take (``docker/app.Dockerfile`` is taken, ``docker/Dockerfile-app`` is not), and its
``build.args`` may pick another base image than the Dockerfile's ARG default.  When a
Compose file is processed, the Dockerfiles its services build are processed too (each file
once), and the Compose file's report says which service builds which file and what its
build args do to the FROM lines.

Refuses, with a report: a service whose Dockerfile does not exist.  Remote contexts, paths
built by interpolation and ``dockerfile_inline`` are not followed.
"""

from __future__ import annotations

import os
from dataclasses import replace

from .files import COMPOSE, DOCKERFILE, Target
from .findings import Finding, Severity
from .source import SourceError, read_source

RULE_ID = "compose-build"
SUMMARY = "Process the Dockerfiles Compose services build; report build args that change their FROM"


def with_linked_dockerfiles(targets: list[Target]) -> list[Target]:
    """``targets`` plus the Dockerfiles their Compose files build, each right after its Compose file.

    Compose files are read here only to find their links (their migration is done as usual); the
    notes for the report travel with the Compose file's target.
    """
    if not any(t.kind == COMPOSE for t in targets):
        return targets
    from . import compose  # ruamel.yaml is imported only when there is a Compose file

    seen = {os.path.realpath(t.path) for t in targets}
    out: list[Target] = []
    for target in targets:
        if target.kind != COMPOSE:
            out.append(target)
            continue
        try:
            text = read_source(target.path).text
        except SourceError:
            out.append(target)  # processing the file reports why it cannot be read
            continue
        notes: list[Finding] = []
        added: list[Target] = []
        for link in compose.linked_dockerfiles(target.path, text):
            line = link.line
            shown = os.path.relpath(link.dockerfile_path, os.path.dirname(target.path) or ".")
            if not os.path.isfile(link.dockerfile_path):
                notes.append(Finding(RULE_ID, line, f"service {link.service} builds {shown}, which does not exist"))
                continue
            notes.append(Finding(RULE_ID, line, f"service {link.service} builds {shown}", Severity.INFO))
            try:
                dockerfile_text = read_source(link.dockerfile_path).text
            except SourceError:
                dockerfile_text = ""
            for message in compose.arg_overrides_report(dockerfile_text, link.build_args):
                notes.append(Finding(RULE_ID, line, f"service {link.service}: {message}"))
            key = os.path.realpath(link.dockerfile_path)
            if key not in seen:
                seen.add(key)
                added.append(Target(link.dockerfile_path, DOCKERFILE))
        out.append(replace(target, notes=target.notes + tuple(notes)))
        out.extend(added)
    return out

