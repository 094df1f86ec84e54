"""process-helpers: ``su-exec`` becomes ``gosu`` and ``/sbin/tini`` becomes ``/usr/bin/tini``.

Why: the package map installs Debian's ``gosu`` for Alpine's ``su-exec`` (its C rewrite,
same ``su-exec user[:group] command [args...]`` usage: ``gosu user[:group] command``), so
the command name must follow; and Debian's ``tini`` package installs ``/usr/bin/tini``
and ``/usr/bin/tini-static`` where Alpine's ``tini``/``tini-static`` had ``/sbin/tini``
and ``/sbin/tini-static`` (checked in both packages' file lists, bullseye to trixie;
Alpine's ``su-exec`` is ``/sbin/su-exec``, Debian's ``gosu`` ``/usr/sbin/gosu``).
``dumb-init`` is ``/usr/bin/dumb-init`` on both: nothing to do.

Example::

    ENTRYPOINT ["/sbin/tini", "--", "su-exec", "app", "python", "-m", "app"]
    ENTRYPOINT ["/usr/bin/tini", "--", "gosu", "app", "python", "-m", "app"]

Only where the stage (or a stage it is built FROM) installs the helper with ``apk add``:
a ``/sbin/tini`` downloaded by ``ADD`` or a ``su-exec`` built from source stay as they
are.  Changed: RUN, CMD and ENTRYPOINT (shell and exec form) and shell scripts written by
a COPY/ADD heredoc; the bare name only where a program is named (first word, or after
``exec``, ``tini --``, ``env`` ...), the Alpine path anywhere.  Reported, not changed: a
helper installed but never called in the Dockerfile (scripts copied into the image
probably call it, and dockerfix does not edit them), and calls inside a shell string of
an exec-form array.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from .. import shell
from ..dockerfile import Instruction
from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
from ..stages import Stage
from .context import DockerfileContext
from .shellview import View, changed_instruction, command_positions, element_edit, exec_elements, run_views, shell_form_view

RULE_ID = "process-helpers"
SUMMARY = "Rename su-exec to gosu and /sbin/tini to /usr/bin/tini where the Alpine package provided them"


@dataclass(frozen=True)
class Helper:
    package: str  # the Alpine package
    names: dict[str, str]  # bare program name -> Debian name (rewritten where a program is named)
    paths: dict[str, str]  # Alpine absolute path -> Debian path (rewritten anywhere)
    advice: str  # for scripts dockerfix cannot see

    def called_as(self, program: str) -> bool:
        """``program`` (a command's first word, or an exec-form element) runs this helper."""
        names = {self.package, *self.names, *self.names.values(), *self.paths, *self.paths.values()}
        return program in names or posixpath.basename(program) in {posixpath.basename(n) for n in names}


HELPERS = (
    Helper("su-exec", {"su-exec": "gosu"}, {"/sbin/su-exec": "/usr/sbin/gosu"}, "call gosu instead of su-exec (same arguments)"),
    Helper("tini", {}, {"/sbin/tini": "/usr/bin/tini"}, "call /usr/bin/tini (or tini) instead of /sbin/tini"),
    Helper("tini-static", {}, {"/sbin/tini-static": "/usr/bin/tini-static"}, "call /usr/bin/tini-static instead of /sbin/tini-static"),
)
EXEC_KEYWORDS = ("RUN", "CMD", "ENTRYPOINT")
_APK = frozenset({"apk", "/sbin/apk", "/usr/sbin/apk"})
_INSTALLERS = _APK | {"apt-get", "apt"}
_PACKAGE = re.compile(r"^([a-z0-9][a-z0-9+._-]*)")
SHELL_SCRIPT = re.compile(r"#![ \t]*(?:/usr/bin/env[ \t]+)?(?:/bin/|/usr/bin/)?(?:sh|ash|bash)[ \t\r\n]")


@dataclass
class Install:
    """Where a helper package is installed: the stage and the line of the apk call."""

    stage: int
    line: int


@dataclass
class Found:
    edits: list[Edit] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # packages whose helper this text calls


def apk_packages(view: View) -> list[tuple[int, str]]:
    """(offset, package) for every static package an ``apk add`` in this shell text installs."""
    try:
        script = shell.parse(view.text)
    except shell.ShellSyntaxError:
        return []
    found = []
    for command in script.commands:
        values = [w.value for w in command.words]
        if not values or values[0] not in _APK or "add" not in values:
            continue
        for word in command.words[values.index("add") + 1 :]:
            match = _PACKAGE.match(word.value or "")
            if match and not word.value.startswith("-"):
                found.append((word.start, match.group(1)))
    return found


def rename(values: list[str | None], helpers: tuple[Helper, ...]) -> dict[int, tuple[str, str]]:
    """Index -> (new text, package) for the words of one command that name a helper."""
    out: dict[int, tuple[str, str]] = {}
    positions = set(command_positions(values))
    for index, value in enumerate(values):
        for helper in helpers:
            if value in helper.paths:
                out[index] = (helper.paths[value], helper.package)
            elif index in positions and value in helper.names:
                out[index] = (helper.names[value], helper.package)
    return out


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    installs = _installs(ctx)
    if not installs:
        return out
    used: set[str] = set()
    for stage in ctx.stages:
        if not stage.migrate:
            continue
        available = tuple(h for h in HELPERS if any(i.stage in _chain(ctx, stage) for i in installs.get(h.package, [])))
        if not available:
            continue
        for ins in stage.instructions:
            if ins.keyword in EXEC_KEYWORDS:
                found = _scan(ctx, ins, available, out)
            elif ins.keyword in ("COPY", "ADD") and ins.heredocs:
                found = Found()
                _scan_views(_scripts(ctx, ins), available, found)
            else:
                continue
            used |= found.used
            if found.edits:
                out.fixes.append(Fix(tuple(found.edits)))
                out.changes.append(Change(RULE_ID, ins.line, ctx.df.text[ins.start : ins.end], changed_instruction(ctx.df, ins, found.edits)))
    for helper in HELPERS:
        if helper.package in used:
            continue
        for install in installs.get(helper.package, []):
            out.findings.append(Finding(RULE_ID, install.line, f"{helper.package} is installed but never called in this Dockerfile: scripts copied into the image that use it must {helper.advice}", Severity.WARNING))
    return out


def _chain(ctx: DockerfileContext, stage: Stage) -> set[int]:
    """The stage and the stages it is built FROM."""
    chain = {stage.index}
    while stage.parent is not None:
        stage = ctx.stages[stage.parent]
        chain.add(stage.index)
    return chain


def _installs(ctx: DockerfileContext) -> dict[str, list[Install]]:
    wanted = {h.package for h in HELPERS}
    installs: dict[str, list[Install]] = {}
    for stage, ins in ctx.migrated_instructions("RUN"):
        views = run_views(ctx.df, ins)
        if not isinstance(views, list):
            continue
        for view in views:
            for offset, package in apk_packages(view):
                if package in wanted:
                    installs.setdefault(package, []).append(Install(stage.index, ctx.line_of(view.span(offset, offset)[0])))
    return installs


def _scan(ctx: DockerfileContext, ins: Instruction, helpers: tuple[Helper, ...], out: RuleOutput) -> Found:
    found = Found()
    elements = exec_elements(ctx.df, ins)
    if elements is not None:
        renames = rename([e.value for e in elements], helpers)
        for index, (new, package) in renames.items():
            edit = element_edit(ctx.df, elements[index], new)
            if edit is None:
                out.findings.append(Finding(RULE_ID, ins.line, f"`{elements[index].value}` is split by a line continuation: change it to `{new}` by hand"))
                continue
            found.edits.append(edit)
            found.used.add(package)
        for index, element in enumerate(elements):
            if index in renames:
                continue
            if elements[0].value not in _INSTALLERS:  # `RUN ["apk", "add", "tini"]` installs it, not calls it
                found.used.update(h.package for h in helpers if h.called_as(element.value))
            for helper in helpers:
                if any(re.search(rf"(?<![\w/-]){re.escape(n)}(?![\w-])", element.value) for n in (*helper.names, *helper.paths)):
                    found.used.add(helper.package)
                    out.findings.append(Finding(RULE_ID, ins.line, f"{helper.package} is called inside a shell string: {helper.advice} by hand"))
        return found
    views = run_views(ctx.df, ins) if ins.keyword == "RUN" else [shell_form_view(ctx.df, ins)]
    if isinstance(views, list):
        _scan_views([v for v in views if v is not None], helpers, found)
    return found


def _scripts(ctx: DockerfileContext, ins: Instruction) -> list[View]:
    """Shell scripts written by a COPY/ADD heredoc (``COPY <<EOF /entrypoint.sh`` with a ``#!`` shell line)."""
    views = []
    for body in ins.heredocs:
        text = ctx.df.text[body.body_start : body.body_end]
        if SHELL_SCRIPT.match(text):
            views.append(View(text, lambda i, start=body.body_start: start + i))
    return views


def _scan_views(views: list[View], helpers: tuple[Helper, ...], found: Found) -> None:
    for view in views:
        try:
            script = shell.parse(view.text)
        except shell.ShellSyntaxError:
            continue
        for command in script.commands:
            words = command.words
            if words and words[0].value not in _INSTALLERS:
                found.used.update(h.package for h in helpers for w in words if w.value and h.called_as(w.value))
            for index, (new, package) in rename([w.value for w in words], helpers).items():
                found.edits.append(view.edit(words[index].start, words[index].end, new))
                found.used.add(package)
