"""copied-scripts: shell scripts a migrated stage COPYs from the build context, read for Alpine-isms.

Why: ``docker-entrypoint.sh`` scripts written for Alpine call ``su-exec``, ``/sbin/tini`` or
``apk``, or start with ``#!/bin/ash``; the Dockerfile migrates, the script does not, and the
container fails when it starts.  dockerfix rewrites only the files it reads, so each such line is
reported at the COPY that brings the script in, as ``script:line``, with what it is on Debian.

Read: COPY/ADD sources of migrated stages that are plain files of the build context (the
Dockerfile's folder; not ``--from``, URLs, variables or wildcards) and are shell scripts (a ``#!``
line naming sh, ash or bash, or a ``.sh`` name), up to 1 MiB each.
"""

from __future__ import annotations

import json
import os
import re
import stat

from ..dockerfile import Instruction, logical_args
from ..files import within
from ..findings import Finding, RuleOutput, Severity
from .context import DockerfileContext

RULE_ID = "copied-scripts"
SUMMARY = "Report Alpine-isms (su-exec, /sbin/tini, apk, ash) in shell scripts a migrated stage copies in"

MAX_BYTES = 1 << 20
_SHEBANG = re.compile(r"#![ \t]*(?:/usr)?/bin/(?:env[ \t]+)?(sh|ash|bash|dash)\b")
# where a command starts: a line, an operator, `$(`, or after a wrapper (`exec`, `set --` ...)
_CALL = r"(?:^|[;&|({]|\$\(|`)[ \t]*(?:(?:exec|then|do|else|sudo|command|nohup|set[ \t]+--)[ \t]+)*"
# what a line of an Alpine script does that Debian slim cannot, and what to do instead
_FINDINGS = (
    (re.compile(_CALL + r"(?:/sbin/)?su-exec(?![\w-])"), "calls su-exec: Debian has gosu instead (same arguments; dockerfix installs it for su-exec)"),
    (re.compile(_CALL + r"/sbin/tini\b"), "calls /sbin/tini: Debian's tini is /usr/bin/tini"),
    (re.compile(_CALL + r"(?:/sbin/)?apk[ \t]+(?:-\S+[ \t]+)*(?:add|del|update|upgrade|info|cache|fix)\b"), "calls apk: Debian has apt-get; translate it as dockerfix translates the RUN lines"),
)
_COMMENT = re.compile(r"(^|[ \t])#.*")  # `#` starts a comment only at the start of a word (not `$#`, `${1#-}`)


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    context = ctx.settings.build_context
    if context is None:
        return out
    for stage in ctx.stages:
        if not stage.migrate:
            continue
        for ins in stage.instructions:
            if ins.keyword not in ("COPY", "ADD") or ins.heredocs or any(f.name == "from" for f in ins.flags):
                continue
            for source in _sources(ctx, ins):
                path = os.path.join(context, source)
                if not within(os.path.realpath(path), os.path.realpath(context)):
                    continue  # a link out of the build context: BuildKit does not follow it there either
                for line, message in _alpine_isms(path):
                    out.findings.append(Finding(RULE_ID, ins.line, f"{source}:{line} {message}", Severity.WARNING))
    return out


def _sources(ctx: DockerfileContext, ins: Instruction) -> list[str]:
    """The plain context paths a COPY/ADD names (its last word is the destination)."""
    text = logical_args(ctx.df, ins).text
    try:
        words = json.loads(text) if ins.is_json else text.split()
    except ValueError:
        return []
    if not isinstance(words, list) or len(words) < 2:
        return []
    plain = [w for w in words[:-1] if isinstance(w, str) and not re.search(r"[$*?\[]|://|^git@", w)]
    return [os.path.normpath(w.lstrip("/")) for w in plain if not os.path.normpath(w.lstrip("/")).startswith("..")]


def _alpine_isms(path: str) -> list[tuple[int, str]]:
    """(line, message) for each Alpine-ism in the shell script at ``path``; [] for anything else."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a folder, or a FIFO that would block the read
            return []
        with open(path, "rb") as handle:
            head = handle.read(2)
            if head != b"#!" and not path.endswith(".sh"):  # most COPY sources: read no further
                return []
            raw = head + handle.read(MAX_BYTES)
    except OSError:  # missing, unreadable
        return []
    if len(raw) > MAX_BYTES:
        return []
    text = raw.decode("utf-8", errors="replace")
    shebang = _SHEBANG.match(text)
    if shebang is None and not path.endswith(".sh"):
        return []
    found = []
    if shebang is not None and shebang[1] == "ash":
        found.append((1, "starts with #!/bin/ash: Debian has no ash; use #!/bin/sh (dash) or #!/bin/bash"))
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines: \f or U+2028 end no shell line
        code = _COMMENT.sub(r"\1", line)
        found.extend((number, message) for pattern, message in _FINDINGS if pattern.search(code))
    return found
