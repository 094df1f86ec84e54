"""busybox-applets: commands that BusyBox provided on Alpine get their Debian package.

Why: on Alpine, ``wget``, ``nc``, ``ps``, ``ping``, ``ip``, ``unzip``, ``vi``, ``less``,
``xxd`` ... are BusyBox applets and simply there.  A python slim image has none of them,
so a RUN fails at build time, or worse, a HEALTHCHECK that calls ``wget`` marks the
container unhealthy forever.

What: every command called in a RUN, CMD, ENTRYPOINT or HEALTHCHECK of a migrated stage
(including ``$( )``, ``sh -c '...'`` and wrappers such as ``exec``/``env``) is looked up in
``data/busybox-applets.toml``; when the stage (or a stage it is built on) never installs the
Debian package that provides it, the package is added to the first ``apt-get install`` that
apk-to-apt writes in the stage before the first call, or else installed by a new RUN right
after the FROM.  Each addition is reported.

Example::

    FROM python:3.12-alpine
    RUN apk add --no-cache curl
    HEALTHCHECK CMD wget -qO- http://localhost:8000/ || exit 1

    FROM python:3.12-slim-trixie
    RUN apt-get update && apt-get install -y --no-install-recommends curl wget && rm -rf /var/lib/apt/lists/*
    HEALTHCHECK CMD wget -qO- http://localhost:8000/ || exit 1

Refuses, with a report: ``crond`` (Debian's daemon is ``cron`` with other flags and another
crontab directory), and a new RUN in a stage built on a stage that switched ``USER`` (it
would not run as root).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import packages, shell
from ..dockerfile import Instruction
from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
from ..stages import Stage
from . import apk_to_apt
from .commands import calls
from .context import DockerfileContext
from .shellview import run_views

from ..datafiles import toml

RULE_ID = "busybox-applets"
SUMMARY = "Install the Debian package of BusyBox applets (wget, nc, ps, ping ...) a migrated stage calls"

_PIN = re.compile(r"^[a-z0-9][a-z0-9+._-]*", re.IGNORECASE)
_APT = frozenset({"apt-get", "apt", "/usr/bin/apt-get", "/usr/bin/apt"})


@dataclass(frozen=True)
class Use:
    command: str
    package: str  # the Debian package that provides it
    line: int


@dataclass(frozen=True)
class Needs:
    """What a stage calls but never installs."""

    packages: tuple[str, ...]  # Debian packages to add, in the order of their first call
    uses: tuple[Use, ...]  # the first call of each command
    before: int  # file offset of the first call: an install after it comes too late
    crond: tuple[int, ...]  # lines calling BusyBox's crond


@lru_cache(maxsize=1)
def applets() -> dict[str, tuple[str, frozenset[str]]]:
    """Command -> (Debian package, every package that provides it)."""
    table = toml("busybox-applets.toml")["packages"]
    return {
        command: (name, frozenset([name, *entry.get("also", ())]))
        for name, entry in table.items()
        for command in entry["commands"]
    }


def stage_needs(ctx: DockerfileContext, stage: Stage) -> Needs:
    """The applet packages ``stage`` calls without installing them (computed once per file)."""
    memo = ctx.memo.setdefault(RULE_ID, {})
    if stage.index not in memo:
        memo[stage.index] = _needs(ctx, stage)
    return memo[stage.index]


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    placed: dict[int, int] = {}
    if ctx.settings.rule_enabled(apk_to_apt.RULE_ID):  # apk-to-apt's fixes carry the packages it placed
        translation = apk_to_apt.translation(ctx)
        placed = translation.placed
        out.changes.extend(translation.outputs.get(RULE_ID, RuleOutput()).changes)
    for stage in ctx.stages:
        if apk_to_apt.target_codename(ctx, stage) is None:
            continue
        needs = stage_needs(ctx, stage)
        for line in needs.crond:
            out.findings.append(Finding(RULE_ID, line, "crond is BusyBox's cron daemon: on Debian install `cron` and run `cron -f` (crontabs live in /var/spool/cron/crontabs, not /etc/crontabs); translate it by hand"))
        if not needs.packages:
            continue
        if stage.index in placed:
            where = f"added to the install at line {placed[stage.index]}"
        elif _user_switched(ctx, stage):
            for package, commands, line in _by_package(needs):
                out.findings.append(Finding(RULE_ID, line, f"{commands}: {_what(commands)} on Alpine, not in Debian slim: install `{package}` in this stage by hand (a stage it is built on switches USER, so dockerfix adds no RUN)"))
            continue
        else:
            fix, text = _new_run(ctx, stage.from_instruction, needs.packages)
            out.fixes.append(fix)
            out.changes.append(Change(RULE_ID, stage.from_instruction.line, "", text))
            where = f"installed by a new RUN after the FROM at line {stage.from_instruction.line}"
        for package, commands, line in _by_package(needs):
            out.findings.append(Finding(RULE_ID, line, f"{commands}: {_what(commands)} on Alpine, not in Debian slim: `{package}` {where}", Severity.INFO))
    return out


def _what(commands: str) -> str:
    return "BusyBox applets" if ", " in commands else "a BusyBox applet"


def _by_package(needs: Needs) -> list[tuple[str, str, int]]:
    """(package, its commands joined, line of the first call) per package."""
    return [
        (package, ", ".join(u.command for u in needs.uses if u.package == package), next(u.line for u in needs.uses if u.package == package))
        for package in needs.packages
    ]


def _needs(ctx: DockerfileContext, stage: Stage) -> Needs:
    codename = apk_to_apt.target_codename(ctx, stage)
    if codename is None:
        return Needs((), (), 0, ())
    table = applets()
    provided: set[str] | None = None  # what the stage and its ancestors install: read at the first applet call
    uses: list[Use] = []
    seen: set[str] = set()
    wanted: list[str] = []
    before = None
    crond: list[int] = []
    for ins in stage.instructions:
        if ctx.ignores(ins, RULE_ID):
            continue
        for call in calls(ctx.df, ins):
            if call.name == "crond":
                crond.append(ctx.line_of(call.offset))
            if call.name not in table or call.name in seen:
                continue
            package, providers = table[call.name]
            if provided is None:
                provided = _provided(ctx, stage, codename)
            if providers & provided:
                continue
            seen.add(call.name)
            uses.append(Use(call.name, package, ctx.line_of(call.offset)))
            before = call.offset if before is None else before
            if package not in wanted:
                wanted.append(package)
    return Needs(tuple(wanted), tuple(uses), before or 0, tuple(dict.fromkeys(crond)))


def _provided(ctx: DockerfileContext, stage: Stage, codename: str) -> set[str]:
    """The Debian packages ``stage`` and the stages it is built on install, and those added for their applets."""
    provided = set(_installed(ctx, stage, codename))
    ancestor = stage
    while ancestor.parent is not None:
        ancestor = ctx.stages[ancestor.parent]
        provided.update(_installed(ctx, ancestor, codename))
        provided.update(stage_needs(ctx, ancestor).packages)
    return provided


def _installed(ctx: DockerfileContext, stage: Stage, codename: str) -> list[str]:
    """Debian packages the stage's RUNs install: ``apk add`` names translated, ``apt-get install`` names."""
    found: list[str] = []
    for ins in stage.instructions:
        if ins.keyword != "RUN":
            continue
        views = run_views(ctx.df, ins)
        if not isinstance(views, list):
            continue
        for view in views:
            try:
                script = shell.parse(view.text)
            except shell.ShellSyntaxError:
                continue
            for command in script.commands:
                found.extend(_command_installs(command, codename, ctx.settings.package_overrides))
    return found


def _command_installs(command: shell.Command, codename: str, overrides) -> list[str]:
    values = [w.value for w in command.words]
    if not values or values[0] is None:
        return []
    if values[0] in apk_to_apt.APK and "add" in values:
        names: list[str] = []
        after = values[values.index("add") + 1 :]
        skip = False
        for value in after:
            if skip or value is None:
                skip = False
                continue
            if value in apk_to_apt.VIRTUAL_FLAGS:
                skip = True
                continue
            match = _PIN.match(value)
            if value.startswith("-") or not match:
                continue
            decision = packages.lookup(match.group(), codename, overrides)
            names.extend(decision.debian if decision.kind == "map" else ())
        return names
    if values[0] in _APT and "install" in values:
        return [_PIN.match(v).group() for v in values[values.index("install") + 1 :] if v and not v.startswith("-") and _PIN.match(v)]
    return []


def _user_switched(ctx: DockerfileContext, stage: Stage) -> bool:
    while stage.parent is not None:
        stage = ctx.stages[stage.parent]
        if any(ins.keyword == "USER" for ins in stage.instructions):
            return True
    return False


def _new_run(ctx: DockerfileContext, from_ins: Instruction, debs: tuple[str, ...]) -> tuple[Fix, str]:
    """A RUN installing ``debs``, inserted on its own line after the FROM."""
    text = ctx.df.text
    keyword = "run" if text[from_ins.start : from_ins.keyword_end].islower() else "RUN"
    line = f"{keyword} apt-get update && apt-get {apk_to_apt.INSTALL} {' '.join(debs)} && {apk_to_apt.CLEANUP}"
    end = from_ins.end
    if text.startswith("\r\n", end):
        edit = Edit(end + 2, end + 2, line + "\r\n")
    elif text.startswith("\n", end):
        edit = Edit(end + 1, end + 1, line + "\n")
    else:  # the FROM ends a file without a final newline
        edit = Edit(end, end, ("\r\n" if "\r\n" in text else "\n") + line)
    return Fix((edit,), adds_instructions=1), line
