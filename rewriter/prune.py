"""``--prune-build-deps``: leave out the compilers and headers nothing needs on Debian.

On Alpine a stage installs ``gcc``, ``musl-dev``, ``*-dev`` headers or ``cargo``
because pip compiles the requirements that have no musllinux wheel.  When every
requirement the stage installs (with their dependencies; in the stage and in the
stages built FROM it) has a wheel for the Debian image, those packages serve no
purpose there: :func:`stage_plan` names them, and the apk-to-apt rule does not
install them.  Runtime libraries are never left out (data/build-only.toml lists
only build tools and ``*-dev`` headers).

Nothing is left out when anything is unsure: a requirement without a wheel (or not
checked: offline and not cached, not on PyPI, a URL), a requirement file or
package list the tool cannot see, a local project pip builds from source, or a
RUN that calls a build tool itself (``make``, ``gcc``, ``cargo``, ``./configure``,
``python setup.py`` ...).  The report then says why.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from . import packages, shell, wheels
from .dockerfile import Dockerfile
from .findings import Finding
from .requirements import StageRequirements, find, run_scripts
from .stages import Stage, global_args

from .datafiles import toml

RULE_ID = "apk-to-apt"  # the rule that makes the change reports it
MEMO = "prune-build-deps"
_APK = frozenset({"apk", "/sbin/apk", "/usr/sbin/apk"})
_APK_VALUE_FLAGS = frozenset({"--virtual", "-t", "--repository", "-X", "--repositories-file", "--root", "-p"})


@dataclass(frozen=True)
class PrunePlan:
    """What a stage leaves out, or why it leaves out nothing."""

    left_out: Mapping[str, str] = field(default_factory=dict)  # Debian name -> why it is not installed
    findings: tuple[Finding, ...] = ()


@lru_cache(maxsize=1)
def _data() -> dict:
    return toml("build-only.toml")


def build_only_reason(debian: str) -> str | None:
    """What a build-only Debian package is for; None for anything else (runtime libraries, tools)."""
    data = _data()
    if debian in data["packages"]:
        return data["packages"][debian]
    return next((why for pattern, why in data["patterns"].items() if fnmatch.fnmatchcase(debian, pattern)), None)


def build_tool_call(argv: list[str | None]) -> str | None:
    """The build tool a command runs (``make``, ``./configure``, ``python setup.py``), or None."""
    head = argv[0] if argv else None
    if head is None:
        return None
    name = head.rsplit("/", 1)[-1]
    if name in _data()["commands"]["names"] or name == "configure":
        return name
    if re.fullmatch(r"python[0-9.]*", name) and len(argv) > 1 and argv[1] is not None and argv[1].endswith("setup.py"):
        return f"{name} setup.py"
    return None


def decide(candidates: Mapping[str, str], blockers: list[str], checked: int, image: str, line: int) -> PrunePlan:
    """Leave out every candidate (build-only name -> what it is), unless something blocks it."""
    if not candidates:
        return PrunePlan()
    if blockers:
        more = f" (and {len(blockers) - 1} more reason{'s' if len(blockers) > 2 else ''})" if len(blockers) > 1 else ""
        names = " ".join(sorted(candidates))
        return PrunePlan(findings=(Finding(RULE_ID, line, f"--prune-build-deps: {names} kept: {blockers[0]}{more}"),))
    if checked == 1:
        why = f"the only Python requirement of this stage installs from a wheel on {image}"
    else:
        why = f"all {checked} Python requirements of this stage install from wheels on {image}"
    return PrunePlan({name: f"{what}, not needed: {why}" for name, what in candidates.items()})


# --- gathering the facts for one stage ------------------------------------------------------------


def _family(stages: tuple[Stage, ...], stage: Stage) -> list[Stage]:
    """The stage and every stage built FROM it (they inherit what it installs)."""
    members = [stage]
    for other in stages[stage.index + 1 :]:
        if other.parent is not None and any(m.index == other.parent for m in members):
            members.append(other)
    return members


def _argv(command: shell.Command) -> list[str | None]:
    return [w.value for w in command.words]


def _commands(df: Dockerfile, stage: Stage) -> tuple[list[tuple[int, list[str | None]]], list[str]]:
    """(line, argv) of every simple command the stage's RUNs run, and the RUNs that cannot be read."""
    found, unread = [], []
    for ins in stage.instructions:
        if ins.keyword != "RUN":
            continue
        scripts = run_scripts(df, ins)
        if scripts is None:
            unread.append(f"line {ins.line}: the RUN's heredoc goes to a program dockerfix does not read")
            continue
        for script in scripts:
            try:
                parsed = shell.parse(script)
            except shell.ShellSyntaxError:
                unread.append(f"line {ins.line}: the RUN could not be read as shell")
                continue
            found += [(ins.line, _argv(c)) for c in parsed.commands if c.words]
    return found, unread


def _candidates(
    commands: list[tuple[int, list[str | None]]], codename: str, overrides: Mapping[str, str]
) -> tuple[dict[str, str], list[str], int]:
    """Build-only Debian names the stage's ``apk add`` calls translate to; blockers; the first such line."""
    found: dict[str, str] = {}
    blockers: list[str] = []
    first = 0
    for line, argv in commands:
        if not argv or argv[0] not in _APK or "add" not in argv:
            continue
        args = argv[argv.index("add") + 1 :]
        skip = False
        for arg in args:
            if skip:
                skip = False
                continue
            if arg is None:
                blockers.append(f"line {line}: apk add with a package list built at run time")
                continue
            if arg.startswith("-"):
                skip = arg in _APK_VALUE_FLAGS
                continue
            name = re.split(r"[<>=~]", arg, maxsplit=1)[0]
            try:
                decision = packages.lookup(name, codename, overrides)
            except ValueError:
                continue
            for debian in decision.debian if decision.kind == "map" else ():
                reason = build_only_reason(debian)
                if reason:
                    found.setdefault(debian, reason)
                    first = first or line
    return found, blockers, first


def _requirement_blockers(found: StageRequirements) -> list[str]:
    notes = [*found.unseen, *found.source_builds]
    return [f"line {n.line}: {n.message}" for n in notes]


def _wheel_blockers(rows: list[wheels.Resolved], target: wheels.Target) -> list[str]:
    blockers = []
    for row in rows:
        if row.problem is not None or row.version is None:
            blockers.append(f"{row.display}: {row.problem or 'not checked'}")
            continue
        found = wheels.availability(row.files, target)
        if not found.installs_from_wheel:
            how = "a source build" if found.status == "source" else "no file that installs"
            blockers.append(f"{row.display} {row.version} has no wheel for {target.image} ({how})")
        elif not row.dependencies_known:
            blockers.append(f"{row.display} {row.version}: its dependencies could not be read")
    return blockers


def stage_plan(ctx, stage: Stage) -> PrunePlan:
    """The plan for one migrated stage (``ctx`` is the rules' DockerfileContext); computed once."""
    memo = ctx.memo.setdefault(MEMO, {})
    if stage.index not in memo:
        codename = ctx.codename(stage)
        own, unread = _commands(ctx.df, stage)
        candidates, blockers, line = _candidates(own, codename, ctx.settings.package_overrides) if codename else ({}, [], 0)
        plan = PrunePlan()
        if candidates:
            facts = _facts(ctx, stage, memo)
            plan = decide(candidates, blockers + unread + facts.blockers, facts.checked, facts.image, line)
        memo[stage.index] = plan
    return memo[stage.index]


@dataclass(frozen=True)
class _Facts:
    blockers: list[str]
    checked: int  # requirements checked (with their dependencies)
    image: str  # the Debian image they were checked for


def _facts(ctx, stage: Stage, memo: dict) -> _Facts:
    """Everything beyond the stage's own apk calls: requirements, wheels, build tools in the family."""
    if "requirements" not in memo:
        context = Path(ctx.settings.build_context) if ctx.settings.build_context else None
        memo["requirements"] = find(ctx.df, ctx.stages, context)
    installed: dict[int, StageRequirements] = memo["requirements"]
    blockers: list[str] = []
    requirements, constraints = [], []
    for member in _family(ctx.stages, stage):
        found = installed[member.index]
        requirements += found.requirements
        constraints += found.constraints
        blockers += _requirement_blockers(found)
        commands, unread = _commands(ctx.df, member)
        if member is not stage:
            blockers += unread
        blockers += [f"line {line}: `{tool}` still needs the build tools" for line, argv in commands if (tool := build_tool_call(argv))]
    if not requirements:
        return _Facts(blockers or ["no Python requirement found in this stage: the build tools may serve something else"], 0, "")
    variables = {name: arg.value.text for name, arg in global_args(ctx.df).items() if arg.value}
    targets = wheels.stage_targets(ctx.stages, stage, variables)
    if targets is None:
        return _Facts([*blockers, "the Debian image of this stage is not known"], 0, "")
    if "index" not in memo:
        memo["index"] = wheels.PyPI(offline=ctx.settings.offline)
    rows = wheels.resolve(requirements, constraints, targets.debian, memo["index"])
    return _Facts(blockers + _wheel_blockers(rows, targets.debian), len(rows), targets.debian.image)
