"""apk-to-apt: ``apk add/del/update/upgrade`` in a migrated stage becomes idiomatic ``apt-get``.

Why: Debian slim has no ``apk``; and the apt idiom (hadolint DL3008/DL3009/DL3015)
is one ``apt-get update`` before the first install of a RUN,
``apt-get install -y --no-install-recommends``, and ``rm -rf /var/lib/apt/lists/*``
after the last apt-get of the RUN.

Example::

    RUN apk add --no-cache --virtual .build-deps gcc musl-dev \\
        && pip install -r requirements.txt \\
        && apk del .build-deps
    RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \\
        && pip install -r requirements.txt \\
        && apt-get purge -y --auto-remove gcc libc6-dev && rm -rf /var/lib/apt/lists/*

Edits are made word by word, so the RUN's layout, comments and every other command
stay as written.  Package names come from :mod:`rewriter.packages`.  A package list in
a variable whose value the stage shows (``ARG BUILD_DEPS="gcc musl-dev"`` or ``ENV``) is
translated at that definition, and ``apk add $BUILD_DEPS`` becomes
``apt-get install ... $BUILD_DEPS``.  Alpine version pins (``gcc=12.2.1-r4``,
``curl=${CURL_VERSION}``) are dropped and listed.

A RUN is translated whole or not at all: when any apk call in it cannot be translated
safely, the RUN is left unchanged and each reason is reported -- an unknown package, a
package list built at run time (``$(cat ...)``, ``xargs apk add``, a variable without a
visible value), apk inside ``if``/``for`` or a pipeline, ``--repository``/``-X`` and
``@edge``/``@testing`` tags, ``--allow-untrusted``, local ``.apk`` files, ``apk --arch``,
edits of ``/etc/apk/repositories``, and OpenRC (``rc-update``, ``rc-service``).

The same pass carries three rules that change the RUNs it translates, so that each RUN
gets one atomic fix: ``scanelf`` (the run-time dependency idiom), ``cache-mounts`` (apk
cache mounts) and the packages ``busybox-applets`` adds to a stage's first install.  Their
findings are reported under their own ids (see :func:`translation`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Mapping, Sequence

from .. import datafiles, packages, shell
from ..dockerfile import Instruction, logical_args
from ..edits import Edit, Fix, apply_fixes
from ..findings import Change, Finding, PackageChange, RuleOutput, Severity
from ..stages import Stage
from . import busybox_applets, cache_mounts, scanelf
from .commands import Call, base, calls, script_calls
from .context import DockerfileContext
from .shellview import View, run_views

RULE_ID = "apk-to-apt"
SUMMARY = "Translate apk add/del/update/upgrade into idiomatic apt-get with Debian package names"

APK = frozenset({"apk", "/sbin/apk", "/usr/sbin/apk"})
CLEANUP = "rm -rf /var/lib/apt/lists/*"
INSTALL = "install -y --no-install-recommends"
PURGE = "purge -y --auto-remove"
UPGRADE = "upgrade -y"
# Flags whose job apt-get's update + cleanup idiom already does, or that change nothing on Debian.
DROPPED_FLAGS = {
    "--no-cache", "--update-cache", "--update", "-U", "--no-progress", "--progress", "-q",
    "--quiet", "-v", "--verbose", "--upgrade", "-u", "--latest", "-l", "--purge", "--clean-protected",
    "--no-interactive", "--force-non-repository", "--no-network",
}
SHORT_LETTERS = set("Uuqvl")  # combinable single-letter flags from DROPPED_FLAGS
VIRTUAL_FLAGS = ("--virtual", "-t")
OPENRC = frozenset({"rc-update", "rc-service", "rc-status", "openrc", "openrc-run"})
PIN = re.compile(r"^(?P<name>[a-z0-9][a-z0-9+._-]*)(?P<pin>(?:[<>]?=|~|=~|[<>]).+)?$", re.IGNORECASE)
APK_CACHE = re.compile(r"^/var/cache/apk(/\*?)?$")
_VARIABLE = re.compile(r"\$(?:(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\})")
# A pin whose version is a variable: curl=${CURL_VERSION}, "git=$GIT_VERSION"
_VARIABLE_PIN = re.compile(r'"?([A-Za-z0-9][A-Za-z0-9+._-]*(?:[<>]?=|~|=~|[<>])\$(?:\{\w+\}|\w+))"?')
_LIST_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._:~=<>-]*")
_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(=?)")
_TOUCHES_APK = re.compile(r"\bapk\b|/var/cache/apk|\brc-(?:update|service|status)\b|\bopenrc\b")


class Decline(Exception):
    """This RUN cannot be translated safely; the message says why."""

    def __init__(self, offset: int, message: str, package: PackageChange | None = None, rule: str = RULE_ID) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message
        self.package = package  # the untranslatable package, for the reports' package table
        self.rule = rule  # the rule the reason belongs to


@dataclass
class Plan:
    """What one command becomes."""

    command: shell.Command
    kind: str  # install, update, upgrade, purge, cleanup, remove
    words: dict[int, str | None] = field(default_factory=dict)  # word index -> replacement (None = delete)
    debs: tuple[str, ...] = ()
    cleanup_after: bool = False
    operands: tuple[int, ...] = ()  # word indexes of the package operands
    update_before: shell.Command | None = None  # the command the apt-get update goes before, when not this one
    cleanup_at: shell.Command | None = None  # the command the list cleanup goes after, when not this one
    update_before_text: str = ""

    @property
    def needs_lists(self) -> bool:
        return self.kind in ("install", "upgrade")


@dataclass
class StageState:
    """What earlier RUNs of a stage did, and what is still to do in it."""

    virtuals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    explicit: set[str] = field(default_factory=set)
    extras: tuple[str, ...] = ()  # BusyBox applet packages for the first install before ``extras_before``
    extras_before: int = 0  # file offset
    hook_off: bool = False  # a cache-mounted RUN of this stage chain already turned docker-clean off
    left_out: Mapping[str, str] = field(default_factory=dict)  # --prune-build-deps: Debian name -> why

    def copy(self) -> StageState:
        return replace(self, virtuals=dict(self.virtuals), explicit=set(self.explicit))


@dataclass(frozen=True)
class ListVariable:
    """``ARG``/``ENV NAME="pkg pkg"`` whose value a RUN's ``$NAME`` uses."""

    name: str
    keyword: str  # ARG or ENV
    line: int
    start: int  # the defining instruction's start offset
    words: tuple[tuple[str, int, int], ...]  # each value word and its span in the file

    @property
    def key(self) -> tuple[int, str]:
        """One ARG or ENV may define several lists (``ENV A="..." B="..."``)."""
        return self.start, self.name


@dataclass
class Options:
    """How one shell text is translated, beyond its apk calls."""

    codename: str
    overrides: Mapping[str, str]
    variables: Callable[[str], ListVariable | str | None] = lambda _name: None  # $NAME -> its list, or why not
    scanelf: bool = True  # translate the scanelf run-time dependency idiom
    cached: bool = False  # apk's cache is a cache mount: apt's lists stay, no list cleanup
    extras: tuple[str, ...] = ()  # packages for the first install that starts before ``extras_before``
    extras_before: int = 0
    translated: Mapping[tuple[int, str], tuple[str, ...]] = field(default_factory=dict)  # definitions an earlier fix rewrote


@dataclass
class Result:
    """One shell text's translation."""

    edits: list[Edit]
    removes_all: str  # non-empty: every command goes away, and why
    notes: list[Finding | PackageChange]
    extras_placed: bool = False
    definitions: dict[tuple[int, str], tuple[str, ...]] = field(default_factory=dict)  # definitions rewritten -> their Debian names
    rules: set[str] = field(default_factory=set)  # the other rules whose edits are in ``edits``


@dataclass
class _Run:
    """Working state of one translation."""

    text: str
    view: View
    options: Options
    line: Callable[[int], int]  # view offset -> file line
    line_of: Callable[[int], int]  # file offset -> file line
    notes: list[Finding | PackageChange] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)  # edits outside the apk commands (definitions, scanelf)
    runtime: set[str] = field(default_factory=set)  # shell variables holding scanelf's package list
    runtime_words: set[int] = field(default_factory=set)  # starts of inline $(scanelf ...) operands
    handled: set[int] = field(default_factory=set)  # starts of commands another rule's edit replaces
    definitions: dict[tuple[int, str], tuple[str, ...]] = field(default_factory=dict)
    rules: set[str] = field(default_factory=set)


@dataclass
class Translation:
    """Every migrated RUN of a file, translated once; the rules it carries read it from here."""

    outputs: dict[str, RuleOutput]  # rule id -> what that rule reports (all fixes are apk-to-apt's)
    placed: dict[int, int] = field(default_factory=dict)  # stage index -> line of the install given its applet packages


def translation(ctx: DockerfileContext) -> Translation:
    """The file's translation (computed on first use, then shared through ``ctx.memo``)."""
    if RULE_ID not in ctx.memo:
        ctx.memo[RULE_ID] = _translate_file(ctx)
    return ctx.memo[RULE_ID]


def check(ctx: DockerfileContext) -> RuleOutput:
    return translation(ctx).outputs[RULE_ID]


def target_codename(ctx: DockerfileContext, stage: Stage) -> str | None:
    """The Debian codename of a stage whose base image is migrated; None for every other stage."""
    if not stage.migrate:
        return None
    root = stage
    while root.parent is not None:
        root = ctx.stages[root.parent]
    if root.decision is None or root.decision.new is None:
        return None
    return ctx.codename(stage)


def _translate_file(ctx: DockerfileContext) -> Translation:
    tr = Translation({RULE_ID: RuleOutput(), scanelf.RULE_ID: RuleOutput(), cache_mounts.RULE_ID: RuleOutput()})
    states: dict[int, StageState] = {}
    translated: dict[tuple[int, str], tuple[str, ...]] = {}
    for stage, ins in ctx.migrated_instructions("RUN"):
        codename = target_codename(ctx, stage)
        if codename is None:
            if re.search(r"\bapk\s", ctx.df.text[ins.start : ins.end]):
                tr.outputs[RULE_ID].findings.append(Finding(RULE_ID, ins.line, "apk left unchanged: the stage's base image could not be migrated (see base-image)"))
            continue
        if stage.index not in states:
            states[stage.index] = _stage_state(ctx, stage, states, tr.outputs[RULE_ID])
        if not ctx.ignores(ins, RULE_ID):
            _check_run(ctx, stage, ins, codename, states[stage.index], tr, translated)
    _report_leftovers(ctx, tr)
    return tr


_LEFTOVER_KEYWORDS = ("RUN", "ONBUILD", "CMD", "ENTRYPOINT", "HEALTHCHECK")


def _report_leftovers(ctx: DockerfileContext, tr: Translation) -> None:
    """An apk call that is still there after the translation, in a migrated stage, with no report yet:
    in a string, a command substitution or ONBUILD, it would fail on Debian all the same."""
    out = tr.outputs[RULE_ID]
    edited = [(e.start, e.end) for fix in out.fixes for e in fix.edits]
    reported = [f.line for output in tr.outputs.values() for f in output.findings]
    for stage in ctx.stages:
        if target_codename(ctx, stage) is None:
            continue
        for ins in stage.instructions:
            if ins.keyword not in _LEFTOVER_KEYWORDS or ctx.ignores(ins, RULE_ID):
                continue
            last = ctx.line_of(ins.end - 1) if ins.end > ins.start else ins.line
            if any(ins.line <= line <= last for line in reported) or not _calls_apk(ctx, ins, edited):
                continue
            where = "ONBUILD" if ins.keyword == "ONBUILD" else "a shell string, a command substitution or a form dockerfix does not translate"
            out.findings.append(Finding(RULE_ID, ins.line, f"apk is still called here ({where}); Debian has no apk: translate it by hand"))


def _calls_apk(ctx: DockerfileContext, ins: Instruction, edited: list[tuple[int, int]]) -> bool:
    """``ins`` calls apk where the translation did not change it (commands.calls finds the calls in
    ``sh -c`` strings, ``$( )`` and exec form)."""
    if ins.keyword == "ONBUILD":
        keyword, _, trigger = logical_args(ctx.df, ins).text.strip().partition(" ")
        return keyword.upper() == "RUN" and any(_is_apk_package_call(c) for c in script_calls(trigger))
    return any(_is_apk_package_call(c) and not any(start <= c.offset < end for start, end in edited) for c in calls(ctx.df, ins))


def _is_apk_package_call(call: Call) -> bool:
    """``apk [options] add|del|...``; not ``apk --print-arch`` (arch-paths' concern)."""
    subcommand = next((a for a in call.args if not a.startswith("-")), None)
    return call.name == "apk" and subcommand in ("add", "del", "update", "upgrade", "cache", "fix", "info", "search")


def _stage_state(ctx: DockerfileContext, stage: Stage, states: dict[int, StageState], out: RuleOutput) -> StageState:
    inherited = states.get(stage.parent) if stage.parent is not None else None
    state = inherited.copy() if inherited else StageState()
    needs = busybox_applets.stage_needs(ctx, stage) if ctx.settings.rule_enabled(busybox_applets.RULE_ID) else None
    state = replace(state, extras=needs.packages if needs else (), extras_before=needs.before if needs else 0, left_out={})
    if ctx.settings.prune_build_deps:
        from .. import prune  # asks PyPI: loaded only when asked for

        plan = prune.stage_plan(ctx, stage)
        state.left_out = plan.left_out
        out.findings.extend(plan.findings)
    return state


def _check_run(
    ctx: DockerfileContext, stage: Stage, ins: Instruction, codename: str, state: StageState, tr: Translation, translated: dict[tuple[int, str], tuple[str, ...]]
) -> None:
    out = tr.outputs[RULE_ID]
    views = run_views(ctx.df, ins)
    text = ctx.df.text[ins.start : ins.end]
    if views is None:
        if re.search(r'"(?:/sbin/)?apk"', text):
            out.findings.append(Finding(RULE_ID, ins.line, "exec-form RUN calls apk: translate it by hand"))
        return
    if isinstance(views, str):
        if re.search(r"\bapk\s+(add|del|update|upgrade)\b", text):
            out.findings.append(Finding(RULE_ID, ins.line, f"{views}: apk calls in it are left unchanged"))
        return

    def enabled(rule_id: str) -> bool:
        return ctx.settings.rule_enabled(rule_id) and not ctx.ignores(ins, rule_id)

    mounts = cache_mounts.apk_cache_mounts(ins) if enabled(cache_mounts.RULE_ID) else []
    refusals = [r for r in map(cache_mounts.refusal, mounts) if r]
    if refusals:  # the RUN is still translated; its apk cache mount stays, unused
        tr.outputs[cache_mounts.RULE_ID].findings.extend(Finding(cache_mounts.RULE_ID, ins.line, r) for r in refusals)
        mounts = []
    options = Options(
        codename,
        ctx.settings.package_overrides,
        variables=lambda name: _visible_variable(ctx, stage, ins, name),
        scanelf=enabled(scanelf.RULE_ID),
        cached=bool(mounts),
        extras=state.extras if enabled(busybox_applets.RULE_ID) else (),
        extras_before=state.extras_before,
        translated=translated,
    )
    for view in views:
        trial = state.copy()
        try:
            result = _translate(ctx.df.text, view, trial, options, ctx.line_of)
        except Decline as exc:
            tr.outputs[exc.rule].findings.append(Finding(exc.rule, ctx.line_of(view.at(exc.offset)), exc.message))
            out.packages.extend([exc.package] if exc.package else [])
            continue
        if not result.edits and not result.removes_all:
            continue
        state.virtuals, state.explicit = trial.virtuals, trial.explicit
        notes = result.notes
        if result.removes_all:
            if ins.heredocs:
                out.findings.append(Finding(RULE_ID, ins.line, "nothing is left to install in this heredoc RUN: remove it by hand"))
                continue
            fix = Fix((remove_instruction(ctx.df.text, ins),), removes_instructions=1)
            notes = [*notes, Finding(RULE_ID, ins.line, f"RUN removed: {result.removes_all}", Severity.INFO)]
        else:
            edits = list(result.edits)
            if mounts:
                mount_edits, note = _cache_mount_edits(ctx.df.text, ins, view, mounts, state)
                edits.extend(mount_edits)
                notes = [*notes, note]
                result.rules.add(cache_mounts.RULE_ID)
            fix = Fix(tuple(edits))
        if result.extras_placed:
            tr.placed[stage.index] = ins.line
            state.extras = ()
            result.rules.add(busybox_applets.RULE_ID)
        translated.update(result.definitions)
        out.fixes.append(fix)
        for note in notes:
            if isinstance(note, PackageChange):
                out.packages.append(note)
            else:
                tr.outputs.setdefault(note.rule, RuleOutput()).findings.append(note)
        after = _apply_local(ctx.df.text, ins, fix)
        out.changes.append(Change(RULE_ID, ins.line, text, after))
        for rule_id in sorted(result.rules):
            tr.outputs.setdefault(rule_id, RuleOutput()).changes.append(Change(rule_id, ins.line, text, after))


def _cache_mount_edits(text: str, ins: Instruction, view: View, mounts: list, state: StageState) -> tuple[list[Edit], Finding]:
    """apt's cache mounts for a translated RUN, and docker-clean turned off once per stage chain."""
    edits = cache_mounts.mount_edits(text, mounts)
    message = "apk cache mount -> apt cache mounts (sharing=locked); apt's lists stay in the cache, so this RUN does not delete them"
    if any("id" in cache_mounts.mount_options(flag) for flag in mounts):
        message += "; the mount's id= is dropped (apt's two caches are keyed by their paths)"
    if not state.hook_off:
        at = view.at(0)
        edits.append(Edit(at, at, cache_mounts.KEEP_CACHE + ("\n" if ins.heredocs else " && ")))
        state.hook_off = True
        message += "; Debian's docker-clean hook turned off so the cache keeps the packages"
    return edits, Finding(cache_mounts.RULE_ID, ins.line, message, Severity.INFO)


def _apply_local(text: str, ins: Instruction, fix: Fix) -> str:
    """The instruction's text after ``fix``, for the report's before/after."""
    lo = min(ins.start, fix.start)
    hi = max(ins.end, fix.end)
    shifted = Fix(tuple(Edit(e.start - lo, e.end - lo, e.replacement) for e in fix.edits))
    return apply_fixes(text[lo:hi], [shifted])[0].strip("\r\n")


def remove_instruction(text: str, ins: Instruction) -> Edit:
    """Delete the instruction's lines, keeping the file's newline layout around it."""
    start = text.rfind("\n", 0, ins.start) + 1
    if text[start : ins.start].strip():
        start = ins.start
    end = ins.end
    if start > 0 and not text.endswith("\n"):
        # no final newline: the last line has no break of its own to give, so every removal takes the
        # break before it (removals of neighbouring instructions then never overlap)
        before = start - 2 if text[start - 2 : start] == "\r\n" else start - 1
        return Edit(before, end, "")
    if text.startswith("\r\n", end):
        return Edit(start, end + 2, "")
    return Edit(start, end + 1 if text.startswith("\n", end) else end, "")


# --- package lists in ARG/ENV variables ------------------------------------------------------


def _visible_variable(ctx: DockerfileContext, stage: Stage, ins: Instruction, name: str) -> ListVariable | str | None:
    """The ARG/ENV definition ``$name`` has at ``ins``; a reason when it cannot be used; None when unseen."""
    chain = [stage]
    while chain[-1].parent is not None:
        chain.append(ctx.stages[chain[-1].parent])
    for depth, current in enumerate(chain):
        before = [i for i in current.instructions if i.start < ins.start]
        for candidate in reversed(before):
            if candidate.keyword not in ("ARG", "ENV") or (depth and candidate.keyword == "ARG"):
                continue  # ARGs do not reach into stages built on this one
            definitions = _assignments(ctx, candidate)
            if name not in definitions:
                continue
            value = definitions[name]
            if value is None and candidate.keyword == "ARG":
                return _global_default(ctx, name)
            return _list_variable(ctx, candidate, name, value)
    return None


def _global_default(ctx: DockerfileContext, name: str) -> ListVariable | str | None:
    """``ARG NAME`` in a stage takes the default of the ``ARG NAME=...`` before the first FROM."""
    for candidate in ctx.df.instructions:
        if candidate.keyword == "FROM":
            return None
        if candidate.keyword == "ARG":
            value = _assignments(ctx, candidate).get(name, False)
            if value is not False:
                for other in ctx.stages:
                    declares = any(i.keyword == "ARG" and name in _assignments(ctx, i) for i in other.instructions)
                    if declares and target_codename(ctx, other) is None:
                        return f"${name} is also used by a stage that is not migrated: translate its packages by hand"
                return _list_variable(ctx, candidate, name, value) if value is not None else None
    return None


def _list_variable(ctx: DockerfileContext, ins: Instruction, name: str, value: tuple[int, int] | None) -> ListVariable | str:
    if ctx.ignores(ins, RULE_ID):
        return f"${name} is defined under a `# dockerfix: ignore` pragma (line {ins.line}): translate its packages by hand"
    if value is None:
        return f"${name} has no value where it is defined (line {ins.line}): translate its packages by hand"
    logical = logical_args(ctx.df, ins)
    start, end = value
    body = logical.text[start:end]
    if "$" in body or "\\" in body or "'" in body or '"' in body:
        return f"${name} (line {ins.line}) is built from other variables or quoting: translate its packages by hand"
    words = []
    for match in re.finditer(r"\S+", body):
        if not _LIST_WORD.fullmatch(match.group()):
            return f"${name} (line {ins.line}) holds `{match.group()}`, not a package name: translate its packages by hand"
        words.append((match.group(), *logical.span(start + match.start(), start + match.end())))
    return ListVariable(name, ins.keyword, ins.line, ins.start, tuple(words))


@dataclass(frozen=True)
class Assignment:
    """One ``NAME=value`` of an ARG or ENV (offsets into its logical argument text)."""

    name: str
    start: int  # the name
    end: int  # the end of the whole token, closing quote included
    value: tuple[int, int] | None  # the value inside its quotes; None for a bare ``ARG NAME``


def _assignments(ctx: DockerfileContext, ins: Instruction) -> dict[str, tuple[int, int] | None]:
    """NAME -> span of its value (logical offsets), or None for a bare ``ARG NAME``."""
    memo = ctx.memo.setdefault("apk-to-apt:assignments", {})
    if ins.start not in memo:
        memo[ins.start] = {a.name: a.value for a in read_assignments(logical_args(ctx.df, ins).text, ins.keyword)}
    return memo[ins.start]


def read_assignments(text: str, keyword: str) -> list[Assignment]:
    """The assignments of an ARG or ENV argument text, as BuildKit splits them."""
    first = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)(\s+|$)", text)
    if keyword == "ENV" and first and first.group(2):  # legacy form: ENV NAME value words
        end = len(text.rstrip())
        return [Assignment(first.group(1), first.start(1), end, (first.end(), end))]
    found: list[Assignment] = []
    i, n = 0, len(text)
    while i < n:
        match = _ASSIGNMENT.match(text, i)
        if not match or match.end() == i:
            return found
        name, eq = match.group(1), match.group(2)
        i = match.end()
        if not eq:
            found.append(Assignment(name, match.start(1), i, None))
            continue
        quote = text[i] if i < n and text[i] in "'\"" else ""
        if quote:
            close = text.find(quote, i + 1)
            if close < 0:
                return found
            found.append(Assignment(name, match.start(1), close + 1, (i + 1, close)))
            i = close + 1
        else:
            end = i
            while end < n and not text[end].isspace():
                end += 1
            found.append(Assignment(name, match.start(1), end, (i, end)))
            i = end
    return found


# --- standalone shell text -------------------------------------------------------------------


@dataclass(frozen=True)
class ShellTranslation:
    """The apk -> apt-get translation of a standalone shell text (a CI job line, a command string)."""

    edits: tuple[Edit, ...]  # offsets into the given text
    removes_all: str  # non-empty: every command goes away, and why
    findings: tuple[Finding, ...]  # lines as given by ``line_of``
    packages: tuple[PackageChange, ...] = ()  # each package decision (with the edits, or the one refused)


def translate_shell(
    text: str, codename: str, overrides: Mapping[str, str] | None = None, line_of: Callable[[int], int] = lambda _: 1
) -> ShellTranslation:
    """Translate the apk calls in ``text`` whole, or return no edits and the reasons why not."""
    view = View(text, lambda i: i)
    try:
        result = _translate(text, view, StageState(), Options(codename, overrides or {}), line_of)
    except Decline as exc:
        refused = (exc.package,) if exc.package else ()
        return ShellTranslation((), "", (Finding(exc.rule, line_of(exc.offset), exc.message),), refused)
    findings = tuple(n for n in result.notes if isinstance(n, Finding))
    packages_ = tuple(n for n in result.notes if isinstance(n, PackageChange))
    return ShellTranslation(tuple(result.edits), result.removes_all, findings, packages_)


# --- translation of one shell text -------------------------------------------------------


def _translate(text: str, view: View, state: StageState, options: Options, line_of: Callable[[int], int]) -> Result:
    """Edits (file offsets) for one shell text, why every command in it goes away ("" if not), and notes
    (findings, and the package decisions taken)."""
    if not _TOUCHES_APK.search(view.text):
        return Result([], "", [])
    try:
        script = shell.parse(view.text)
    except shell.ShellSyntaxError as exc:
        raise Decline(getattr(exc, "offset", 0) or 0, f"shell text could not be read ({exc}); apk calls not translated") from None
    run = _Run(text, view, options, lambda offset: line_of(view.at(offset)), line_of)
    if options.scanelf and "scanelf" in view.text:
        _find_scanelf(run, script)
    plans: list[Plan] = []
    for command in script.commands:
        plan = _plan_command(command, run, state)
        if plan is not None:
            plans.append(plan)
    lists = _and_or_lists(script.commands)
    if not any(p.kind != "cleanup" for p in plans):
        if options.cached:
            for plan in plans:
                _drop_cleanup(plan)
        removed, made_true = _removals(script.commands, lists, plans)
        if removed and len(removed) == len(script.commands):
            return Result([], "apk's cache is a cache mount now; nothing is left to clean", run.notes)
        return Result(_edits_for(text, view, script, plans, removed, made_true) + run.edits, "", run.notes, rules=run.rules)
    _arrange(plans, lists, options.cached)
    placed = _place_extras(plans, run, lists)
    removed, made_true = _removals(script.commands, lists, plans)
    settled = {id(p.command) for p in plans if p.kind == "cleanup"} | {id(c) for c in removed}
    if all(id(c) in settled for c in script.commands):  # nothing left but cleaning up after nothing
        only_updates = all(p.command.words[0].value in APK and "update" in [w.value for w in p.command.words] for p in plans if p.kind != "cleanup")
        why = "apk update alone is not needed; each translated install runs its own apt-get update" if only_updates else "nothing is left to install on Debian (see the dropped packages)"
        return Result([], why, run.notes)
    edits = _edits_for(text, view, script, plans, removed, made_true) + run.edits
    return Result(edits, "", run.notes, placed, run.definitions, run.rules)


def _removals(
    commands: Sequence[shell.Command], lists: list[list[shell.Command]], plans: list[Plan]
) -> tuple[list[shell.Command], shell.Command | None]:
    """The commands to delete, and the one (if any) to replace with ``true``.

    A command planned away reads as ``true`` in its and-or list: ``A && <gone>`` is ``A``, and
    ``<gone> || B`` never runs B, so B goes too.  When the script's last list goes entirely, the
    one before it would decide the RUN's exit status instead: its first command becomes ``true``.
    Declines where that cannot be said in the text: an apk command after ``||`` (it runs only when
    the command before fails; apt-get needs an update before it) or a compound fallback."""
    for plan in plans:
        if plan.kind in ("install", "upgrade", "update", "remove") and plan.command.sep_before == "||":
            raise Decline(plan.command.start, "apk runs here only when the command before `||` fails; its apt-get translation (an update first, or nothing at all) would change what runs: translate it by hand")
    planned = {id(p.command) for p in plans}
    gone = {id(p.command) for p in plans if p.kind == "remove"}
    removed: list[shell.Command] = []
    for members in lists:
        constant = None  # None: nothing yet; True: the list so far is `true`; False: it runs a command
        for command in members:
            if constant and command.sep_before == "||":  # a fallback of commands that cannot fail
                if id(command) in planned and id(command) not in gone:
                    raise Decline(command.start, "apk after `||`: translate it by hand")
                removed.append(command)
            elif id(command) in gone:
                removed.append(command)
                constant = constant is not False
            else:
                constant = False
        last = members[-1]
        if constant and last.sep_after == "||":  # the fallback is a compound: no span to delete
            raise Decline(last.start, "the command after `||` is a compound ({ ... } or ( ... )) that runs only when apk fails: translate it by hand")
    made_true = None
    final = lists[-1] if lists else []
    removed_ids = {id(c) for c in removed}
    if final and len(removed_ids) < len(commands) and all(id(c) in removed_ids for c in final) and final[0].sep_before is not None:
        made_true = final[0]
        removed = [c for c in removed if c is not made_true]
    return removed, made_true


def _and_or_lists(commands: Sequence[shell.Command]) -> list[list[shell.Command]]:
    """The commands grouped by and-or list (``a && b || c``); a compound ends a group."""
    lists: list[list[shell.Command]] = []
    for i, command in enumerate(commands):
        joined = i > 0 and command.sep_before in ("&&", "||") and commands[i - 1].sep_after == command.sep_before and commands[i - 1].depth == command.depth
        if joined:
            lists[-1].append(command)
        else:
            lists.append([command])
    return lists


def _drop_cleanup(plan: Plan) -> None:
    """A cleanup that must not run where it is: the command goes, or only its apk cache paths when it
    removes other things too (``rm -rf /var/cache/apk/* /tmp/build`` keeps ``rm -rf /tmp/build``)."""
    words = plan.command.words
    cache = [i for i, w in enumerate(words) if i > 0 and APK_CACHE.match(w.raw)]
    others = [i for i, w in enumerate(words) if i > 0 and i not in cache and not w.raw.startswith("-")]
    if words and base(words[0].value or "") == "rm" and others:
        plan.kind = "trimmed"
        plan.words = {i: None for i in cache}
    else:
        plan.kind = "remove"


def _list_of(lists: list[list[shell.Command]], command: shell.Command) -> list[shell.Command]:
    """The and-or list ``command`` belongs to."""
    return next(m for m in lists if any(c is command for c in m))


def _fallback_end(lists: list[list[shell.Command]], plans: list[Plan], command: shell.Command) -> shell.Command | None:
    """The end of ``command``'s and-or list when a ``||`` fallback follows it there
    (``[ "$DEV" = 1 ] && apk add gdb || true``): the list cleanup goes after the fallback, so it runs
    whether the install ran or not.  None: right after the command."""
    members = _list_of(lists, command)
    after = members[[i for i, c in enumerate(members) if c is command][0] + 1 :]
    if not any(c.sep_before == "||" for c in after) or any(p.command is members[-1] for p in plans):
        return None
    return members[-1]


def _conditional_start(lists: list[list[shell.Command]], plans: list[Plan], first: int) -> shell.Command | None:
    """Where the one apt-get update goes when the first install runs only on a condition
    (``[ "$DEV" = 1 ] && apk add gdb || true; apk add curl``) and a later install needs the lists
    too: the start of the first install's and-or list.  None: right before the install."""
    install = plans[first].command
    members = _list_of(lists, install)
    if members[0] is install:
        return None
    own = {id(c) for c in members}
    if not any(p.kind in ("install", "upgrade") and id(p.command) not in own for p in plans[first + 1 :]):
        return None
    if any(p.command is members[0] for p in plans):
        raise Decline(members[0].start, "the first install runs only on a condition and apk is called before it: translate it by hand")
    return members[0]


def _arrange(plans: list[Plan], lists: list[list[shell.Command]], cached: bool = False) -> None:
    """One apt-get update before the first install, and the list cleanup after the last apt-get
    (none when apt's lists live in a cache mount: then the cache cleanups go away too)."""
    first = next((i for i, p in enumerate(plans) if p.needs_lists), None)
    serving = None
    for i, plan in enumerate(plans):
        if plan.kind == "cleanup" and cached:
            _drop_cleanup(plan)
        if plan.kind != "update":
            continue
        if first is not None and i < first and serving is None:
            serving = i
            plan.words = {0: "apt-get", **{k: v for k, v in plan.words.items() if k != 0}}
        else:
            plan.kind = "remove"
    if first is None:
        return
    if serving is None:  # `http_proxy=... apk add` -> both apt-get commands get the assignment
        assignments = "".join(a.raw + " " for a in plans[first].command.assignments)
        plans[first].update_before = _conditional_start(lists, plans, first)
        if plans[first].update_before is None:
            plans[first].words[0] = f"apt-get update && {assignments}apt-get"
        else:
            plans[first].update_before_text = f"{assignments}apt-get update && "
    if cached:
        return
    last = max(i for i, p in enumerate(plans) if p.kind in ("install", "upgrade", "purge", "update"))
    for plan in plans[:last]:
        if plan.kind == "cleanup":  # deleting the lists before a later install would make it fail
            _drop_cleanup(plan)
    if not any(p.kind == "cleanup" for p in plans[last + 1 :]):
        plans[last].cleanup_after = True
        plans[last].cleanup_at = _fallback_end(lists, plans, plans[last].command)


def _place_extras(plans: list[Plan], run: _Run, lists: list[list[shell.Command]]) -> bool:
    """Append busybox-applets' packages to the first install that runs before their first call,
    and not only on a condition (``[ "$DEV" = 1 ] && apk add gdb``)."""
    extras = run.options.extras
    if not extras:
        return False
    conditional = {id(c) for m in lists for i, c in enumerate(m) if any(_is_test(p) for p in m[:i])}
    for plan in plans:
        if plan.kind != "install" or run.view.at(plan.command.start) >= run.options.extras_before or id(plan.command) in conditional:
            continue
        kept = [i for i in plan.operands if plan.words.get(i, "") is not None]
        index = kept[-1]
        word = plan.command.words[index]
        current = plan.words.get(index) or run.view.text[word.start : word.end]
        plan.words[index] = f"{current} {' '.join(extras)}"
        return True
    return False


def _is_test(command: shell.Command) -> bool:
    return bool(command.words) and command.words[0].value in ("[", "[[", "test")


def _find_scanelf(run: _Run, script: shell.Script) -> None:
    """Replace each scanelf run-time dependency idiom with Debian's, and remember what carries its
    package list: ``runDeps="$(scanelf ...)"`` then ``apk add $runDeps``, an inline
    ``apk add $(scanelf ...)``, or a pipeline ending in ``| xargs apk add``."""
    commands = list(script.commands)
    index = 0
    while index < len(commands):
        group = [commands[index]]
        while group[-1].sep_after == "|" and index + len(group) < len(commands):
            group.append(commands[index + len(group)])
        index += len(group)
        if scanelf.runs_scanelf(group[0]):
            if len(group) == 1:
                raise Decline(group[0].start, "scanelf called directly, not feeding apk add: translate it by hand (Debian has no scanelf)", rule=scanelf.RULE_ID)
            try:
                paths = scanelf.pipeline(group, _is_apk_add)
            except scanelf.Refusal as exc:
                raise Decline(group[0].start, str(exc), rule=scanelf.RULE_ID) from None
            _replace_idiom(run, group[0].start, group[-1].end, scanelf.debian_pipeline(paths) + scanelf.MARK_MANUAL, paths)
            run.handled.update(c.start for c in group)
            continue
        for command in group:
            head = command.words[0].value if command.words else None
            for word in (*command.assignments, *command.words):
                try:
                    idiom = scanelf.find(word)
                except scanelf.Refusal as exc:
                    raise Decline(word.start, str(exc), rule=scanelf.RULE_ID) from None
                if idiom is None:
                    continue
                if word in command.assignments:
                    run.runtime.add(word.raw.split("=", 1)[0])
                elif head in APK:
                    run.runtime_words.add(word.start)
                else:
                    raise Decline(word.start, "scanelf's output goes to something other than apk add: translate it by hand", rule=scanelf.RULE_ID)
                _replace_idiom(run, idiom.body_start, idiom.body_end, scanelf.debian_pipeline(idiom.paths), idiom.paths)


def _is_apk_add(words) -> bool:
    """``apk add`` with only flags apt-get has no use for, and an optional virtual name."""
    values = [w.value for w in words]
    if None in values or values[0] not in APK or "add" not in values:
        return False
    rest = [v for v in values[1:] if v != "add"]
    while rest:
        value = rest.pop(0)
        if value in VIRTUAL_FLAGS and rest:
            rest.pop(0)
        elif value not in DROPPED_FLAGS and not value.startswith("--virtual="):
            return False
    return True


def _replace_idiom(run: _Run, start: int, end: int, replacement: str, paths: tuple[str, ...]) -> None:
    first, last = run.view.span(start, end)
    if _has_comment_line(run.text, first, last):
        raise Decline(start, "a comment line sits inside the scanelf pipeline: translate it by hand", rule=scanelf.RULE_ID)
    run.edits.append(Edit(first, last, replacement))
    run.rules.add(scanelf.RULE_ID)
    run.notes.append(Finding(scanelf.RULE_ID, run.line(start), f"scanelf run-time dependencies -> ldd + dpkg-query --search over {' '.join(paths)}; they are marked manually installed, so purging the build dependencies keeps them", Severity.INFO))


_PRINTERS = frozenset({"echo", "printf", ":", "true", "test", "[", "grep", "egrep", "fgrep"})  # never run their arguments


def _plan_command(command: shell.Command, run: _Run, state: StageState) -> Plan | None:
    words = command.words
    script_text = run.view.text
    if not words or command.start in run.handled:
        return None
    head = words[0].value
    if head is not None and base(head) in OPENRC:
        raise Decline(command.start, f"OpenRC `{base(head)}`: containers run no init system on Debian either; start the service from CMD/ENTRYPOINT (or a process supervisor) by hand")
    touched = [w.raw for w in words if "/etc/apk/" in w.raw] + [script_text[a:b] for a, b in command.redirects if "/etc/apk/" in script_text[a:b]]
    if touched:
        if head == "ln" and all("/etc/apk/cache" in t for t in touched):
            run.notes.append(Finding(RULE_ID, run.line(command.start), "the /etc/apk/cache link that turns on apk's cache is removed (apt keeps its own cache)", Severity.INFO))
            return Plan(command, "remove")
        raise Decline(command.start, "edits Alpine's /etc/apk/ (repositories, keys): Debian's sources live in /etc/apt/sources.list.d; no equivalent is chosen automatically: translate it by hand")
    if head == "rm" and any(APK_CACHE.match(w.raw) for w in words[1:]):
        plan = Plan(command, "cleanup")
        for i, word in enumerate(words):
            if APK_CACHE.match(word.raw):
                plan.words[i] = "/var/lib/apt/lists/*"
        if not any(re.match(r"^-[a-zA-Z]*[rR]|^--recursive$", w.raw) for w in words[1:]):
            plan.words[0] = "rm -r"  # /var/lib/apt/lists/ holds a directory (partial/), unlike /var/cache/apk/
        return plan
    apk_at = next((i for i, w in enumerate(words) if (w.value or w.raw) in APK), None)
    if apk_at is None:
        return None
    if [w.value for w in words[apk_at + 1 :]] == ["--print-arch"]:
        return None  # arch-paths rewrites it
    if apk_at != 0:
        if head is not None and base(head) in _PRINTERS:
            return None  # `echo installing apk packages`: a word of a message, not a call
        if head is not None and base(head) == "xargs":
            raise Decline(words[apk_at].start, "package list read at run time through xargs (the file's names are Alpine's): install them with apt-get and Debian names by hand")
        raise Decline(words[apk_at].start, f"apk is called through `{words[0].raw}`: translate this command by hand")
    if command.in_compound:
        raise Decline(command.start, "apk inside if/for/while/case or a function: translate it by hand")
    if command.sep_before == "|" or command.sep_after == "|":
        raise Decline(command.start, "apk inside a pipeline: translate it by hand")
    if any(re.match(r"[<>][=~0-9]", script_text[a:b]) for a, b in command.redirects):
        raise Decline(command.start, "an unquoted `>` or `<` in the apk arguments is a shell redirection (a version constraint like pkg>=1.2 must be quoted): fix it by hand")
    return _plan_apk(command, run, state)


def _plan_apk(command: shell.Command, run: _Run, state: StageState) -> Plan:
    words = command.words
    sub = None
    sub_at = None
    virtual = None
    flags_at: list[int] = []
    operands: list[int] = []
    i = 1
    while i < len(words):
        word = words[i]
        value = _static(word)
        if value in _KEYWORDS:
            raise Decline(word.start, f"`{value}` among the apk arguments: a trailing `\\` joined the next instruction into this RUN; fix the continuation by hand")
        if value is None:
            if sub is not None and not word.raw.startswith("-") and _dynamic_operand(word, run):
                operands.append(i)
                i += 1
                continue
            if sub is None or not operands and word.raw.startswith("-"):
                raise Decline(word.start, f"apk argument `{word.raw}` is built at run time: translate it by hand")
            raise Decline(word.start, f"package list built at run time (`{word.raw}`): translate it by hand, or define it where dockerfix can see it")
        if value.startswith("-") and value != "-":
            name, eq, inline = value.partition("=")
            if name in VIRTUAL_FLAGS or name == "--virtual":
                if eq:
                    virtual = inline
                    flags_at.append(i)
                else:
                    if i + 1 >= len(words) or words[i + 1].value is None:
                        raise Decline(word.start, "apk --virtual without a static name: translate it by hand")
                    virtual = words[i + 1].value
                    flags_at.extend((i, i + 1))
                    i += 1
            elif value in DROPPED_FLAGS or (
                value.startswith("-") and not value.startswith("--") and set(value[1:]) <= SHORT_LETTERS
            ):
                flags_at.append(i)
            elif name in ("--repository", "-X", "--repositories-file"):
                raise Decline(word.start, f"apk {name} pulls from another Alpine repository: no Debian equivalent is chosen automatically")
            elif name == "--allow-untrusted":
                raise Decline(word.start, "apk --allow-untrusted installs unsigned local packages: translate it by hand")
            elif name == "--arch":
                raise Decline(word.start, "apk --arch installs packages of another architecture: on Debian that is multiarch (dpkg --add-architecture, pkg:arch): translate it by hand")
            else:
                raise Decline(word.start, f"apk flag `{word.raw}` has no known apt-get equivalent: translate it by hand")
        elif sub is None:
            sub, sub_at = value, i
        else:
            operands.append(i)
        i += 1
    if sub is None:
        raise Decline(command.start, "apk without a subcommand: translate it by hand")
    plan = Plan(command, "remove", operands=tuple(operands))
    for index in flags_at:
        plan.words[index] = None
    if sub == "update":
        plan.kind = "update"
        plan.words[sub_at] = "update"
        return plan
    if sub == "upgrade":
        if operands:
            raise Decline(words[operands[0]].start, "apk upgrade of named packages: translate it by hand")
        plan.kind = "upgrade"
        plan.words[0] = "apt-get"
        plan.words[sub_at] = UPGRADE
        return plan
    if sub == "cache" and [words[k].value for k in operands] == ["clean"]:
        plan.kind = "cleanup"
        plan.words = {0: CLEANUP, sub_at: None, operands[0]: None}
        return plan
    if sub == "add":
        return _plan_add(plan, sub_at, virtual, run, state)
    if sub in ("del", "delete"):
        return _plan_del(plan, sub_at, run, state)
    raise Decline(words[sub_at].start, f"apk {sub} has no apt-get translation here: translate it by hand")


_KEYWORDS = frozenset({"RUN", "FROM", "COPY", "ADD", "ENV", "ARG", "CMD", "ENTRYPOINT", "WORKDIR", "USER", "EXPOSE", "LABEL"})


def _static(word) -> str | None:
    """The word's value; ``pkg=~1.2`` counts as static (sh expands ``~`` after ``=`` only in assignments),
    and so does a pin whose version is a variable (``curl=${CURL_VERSION}``): the pin is dropped anyway."""
    if word.value is None and re.fullmatch(r"[A-Za-z0-9+._-]+=~[A-Za-z0-9+._-]*", word.raw):
        return word.raw
    if word.value is None:
        match = _VARIABLE_PIN.fullmatch(word.raw)
        if match and word.raw.count('"') in (0, 2):
            return match.group(1)
    return word.value


def _variable_name(word) -> str | None:
    match = _VARIABLE.fullmatch(word.raw)
    return (match.group("bare") or match.group("braced")) if match else None


def _dynamic_operand(word, run: _Run) -> bool:
    """Whether a run-time operand can pass through: scanelf's list, or a variable with a visible package list."""
    if word.start in run.runtime_words:
        return True
    name = _variable_name(word)
    if name is None:
        return False
    if name in run.runtime:
        return True
    found = run.options.variables(name)
    if isinstance(found, str):
        raise Decline(word.start, found)
    return found is not None


def _operand_names(word, run: _Run) -> tuple[str, ...] | None:
    """Debian names of a run-time operand (None for scanelf's list, known only when the RUN runs)."""
    name = _variable_name(word)
    if word.start in run.runtime_words or name in run.runtime:
        return None
    variable = run.options.variables(name)
    assert isinstance(variable, ListVariable)
    return _translate_variable(variable, word, run)


def _translate_variable(variable: ListVariable, word, run: _Run) -> tuple[str, ...]:
    """Debian names for ``$NAME``; the first use rewrites the names at the definition."""
    if variable.key in run.options.translated:
        return run.options.translated[variable.key]
    if variable.key in run.definitions:
        return run.definitions[variable.key]
    names: list[str] = []
    kept: list[str | None] = []
    for value, start, end in variable.words:
        stand_in = shell.Word(value, start, end, value, False)
        try:
            debs = _resolve(stand_in, run, lambda _offset: variable.line)
        except Decline as exc:
            raise Decline(word.start, f"{variable.keyword} {variable.name} (line {variable.line}): {exc.message}", exc.package) from None
        fresh = [d for d in debs if d not in names]
        names.extend(fresh)
        kept.append(" ".join(fresh) if fresh else None)
    run.edits.extend(_definition_edits(run.text, variable, kept))
    run.definitions[variable.key] = tuple(names)
    how = f"{variable.keyword} {variable.name}: package list translated where it is defined"
    if variable.keyword == "ARG":
        how += "; a value passed with --build-arg must now name Debian packages"
    run.notes.append(Finding(RULE_ID, variable.line, how, Severity.INFO))
    return tuple(names)


def _definition_edits(text: str, variable: ListVariable, kept: list[str | None]) -> list[Edit]:
    """Replace the value words; a run of dropped words goes with the blanks that lead to it."""
    words = variable.words
    edits: list[Edit] = []
    index = 0
    while index < len(words):
        if kept[index] is not None:
            if kept[index] != words[index][0]:
                edits.append(Edit(words[index][1], words[index][2], kept[index]))
            index += 1
            continue
        first = index
        while index < len(words) and kept[index] is None:
            index += 1
        if first > 0:
            edits.append(Edit(words[first - 1][2], words[index - 1][2], ""))
        elif index < len(words):
            edits.append(Edit(words[first][1], words[index][1], ""))
        else:
            edits.append(Edit(words[first][1], words[index - 1][2], ""))
    return edits


def _resolve(word, run: _Run, line: Callable[[int], int] | None = None) -> tuple[str, ...]:
    """Debian names for one apk package word (empty when it is dropped); Decline when unknown."""
    line = line or run.line
    notes = run.notes
    codename = run.options.codename
    value = _static(word)
    if value.endswith(".apk") or "/" in value:
        raise Decline(word.start, f"`{value}` is a local Alpine package file: translate it by hand")
    if "@" in value:
        raise Decline(word.start, f"`{value}` comes from a tagged Alpine repository: translate it by hand")
    match = PIN.match(value)
    if not match:
        raise Decline(word.start, f"`{value}` is not a package name dockerfix understands: translate it by hand")
    name = match.group("name")
    if match.group("pin"):
        notes.append(Finding(RULE_ID, line(word.start), f"{value}: Alpine version pin dropped, Alpine versions mean nothing on Debian (pin the Debian version if you need one)"))
    if name in scanelf.ONLY_FOR_SCANELF and scanelf.RULE_ID in run.rules and name not in run.options.overrides:
        notes.append(Finding(scanelf.RULE_ID, line(word.start), f"{name}: dropped, only scanelf needed it", Severity.INFO))
        return ()
    decision = packages.lookup(name, codename, run.options.overrides)
    package = PackageChange(line(word.start), name, decision.debian, decision.kind, decision.reason)
    if decision.kind != "unknown":
        notes.append(package)
    if decision.kind == "map":
        if decision.review:
            notes.append(Finding(RULE_ID, line(word.start), f"{name} -> {' '.join(decision.debian)}: {decision.reason}"))
        return decision.debian
    if decision.kind == "drop":
        notes.append(Finding(RULE_ID, line(word.start), f"{name}: dropped, {decision.reason}", Severity.INFO))
        return ()
    if decision.kind == "pypi":
        notes.append(Finding(RULE_ID, line(word.start), f"{name}: removed, {decision.reason}"))
        return ()
    hint = f" (did you mean {decision.suggestion}?)" if decision.suggestion else ""
    raise Decline(word.start, f"{name}: no known Debian package for {codename}{hint}; left unchanged (map it with --map {name}=DEBIAN-NAME)", package)


def _plan_add(plan: Plan, sub_at: int, virtual: str | None, run: _Run, state: StageState) -> Plan:
    words = plan.command.words
    debs: list[str] = []
    dynamic = False
    for index in plan.operands:
        word = words[index]
        if _static(word) is None:
            dynamic = True
            fresh = [n for n in _operand_names(word, run) or () if n not in debs]
        else:
            fresh = [n for n in _resolve(word, run) if n not in debs]
            for name in (n for n in fresh if n in state.left_out):
                run.notes.append(Finding(RULE_ID, run.line(word.start), f"{name}: left out (--prune-build-deps), {state.left_out[name]}", Severity.INFO))
            fresh = [n for n in fresh if n not in state.left_out]
            plan.words[index] = " ".join(fresh) if fresh else None
        debs.extend(fresh)
    if virtual is not None:
        state.virtuals[virtual] = tuple(debs)
    else:
        state.explicit.update(debs)
    if not debs and not dynamic:
        return plan  # kind stays "remove"
    plan.kind = "install"
    plan.debs = tuple(debs)
    plan.words[0] = "apt-get"
    plan.words[sub_at] = INSTALL
    return plan


@lru_cache(maxsize=None)
def _slim_base(codename: str) -> frozenset[str]:
    """The Debian names the map emits that the codename's python slim image already has."""
    return frozenset(datafiles.toml("slim-base.toml").get(codename, ()))


def _plan_del(plan: Plan, sub_at: int, run: _Run, state: StageState) -> Plan:
    words = plan.command.words
    debs: list[str] = []
    dynamic = False
    for index in plan.operands:
        word = words[index]
        if _static(word) is None:
            dynamic = True
            debs.extend([n for n in _operand_names(word, run) or () if n not in debs])
            continue
        if word.value in state.virtuals:
            names = state.virtuals.pop(word.value)
            kept = [n for n in names if n in state.explicit]
            if kept:
                run.notes.append(Finding(RULE_ID, run.line(word.start), f"{' '.join(kept)} also installed outside {word.value}: kept installed", Severity.INFO))
            names = tuple(n for n in names if n not in state.explicit)
        else:
            names = _resolve(word, run)
        fresh = [n for n in names if n not in debs and n not in state.left_out]
        base = [n for n in fresh if n in _slim_base(run.options.codename)]
        if base:  # purging one breaks the image: apt refuses libgcc-s1, openssl takes ca-certificates along
            run.notes.append(Finding(RULE_ID, run.line(word.start), f"{' '.join(base)}: part of the python slim image, not purged", Severity.INFO))
            fresh = [n for n in fresh if n not in base]
        plan.words[index] = " ".join(fresh) if fresh else None
        debs.extend(fresh)
    state.explicit.difference_update(debs)
    if not debs and not dynamic:
        return plan
    plan.kind = "purge"
    plan.debs = tuple(debs)
    plan.words[0] = "apt-get"
    plan.words[sub_at] = PURGE
    return plan


# --- turning plans into file edits -----------------------------------------------------------

_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
_SEPARATORS = " \t\r\n;&|"  # \r: the shell lexer reads it as a blank (CRLF heredoc bodies)


def _has_comment_line(text: str, start: int, end: int) -> bool:
    return any(m.start() > start for m in _COMMENT_LINE.finditer(text, start, end))


def _edits_for(text: str, view: View, script, plans: list[Plan], removed: list, made_true: shell.Command | None = None) -> list[Edit]:
    edits: list[Edit] = []
    if made_true is not None:  # the script's last list goes, but its exit status stays the RUN's: `true`
        start, end = view.span(made_true.start, _own_end(view.text, made_true.start, made_true.end))
        if _has_comment_line(text, start, end):
            raise Decline(made_true.start, "a comment line sits inside the commands to remove: translate it by hand")
        edits.append(Edit(start, end, "true"))
    commands = list(script.commands)
    removed_ids = {id(c) for c in removed}
    position = 0
    while position < len(commands):
        if id(commands[position]) not in removed_ids:
            position += 1
            continue
        first = commands[position]
        while position < len(commands) and id(commands[position]) in removed_ids:
            position += 1
        last = commands[position - 1]
        edits.append(_remove_commands(text, view, first, last))
    for plan in plans:
        if id(plan.command) in removed_ids or plan.command is made_true:
            continue
        edits.extend(_word_edits(text, view, plan))
        if plan.update_before is not None:
            at = view.span(plan.update_before.start, plan.update_before.start)[0]
            edits.append(Edit(at, at, plan.update_before_text))
        if plan.cleanup_after:
            after = plan.cleanup_at or plan.command
            end = _own_end(view.text, after.start, after.end)
            at = view.span(end, end)[0]
            edits.append(Edit(at, at, f" && {CLEANUP}"))
    return edits


def _remove_commands(text: str, view: View, first, last) -> Edit:
    """Delete commands ``first``..``last`` with the operator that joins them to their neighbour."""
    logical = view.text
    before, gap_before, comments = _gap_before(logical, first.start)
    after = _separators_after(logical, last.end)
    gap_after = logical[last.end : after]
    bound_before = "&&" in gap_before or "|" in gap_before  # an operator joins it to the command before
    bound_after = "&&" in gap_after or "|" in gap_after
    # "A && <removed>" -> "A"; "A; <removed> && B" -> "A; B" (it starts its list: the operator after goes)
    take_before = before > 0 and (bound_before or not bound_after)
    if comments and take_before:  # comment lines in between stay, and so does the line break ending them
        if bound_before and bound_after:  # "A && <comment> <removed> && B" -> "A && <comment> B"
            take_before = False
        elif bound_before:  # "A && <comment> <removed> <newline> B": that && is out of reach
            raise Decline(first.start, "a comment line sits next to the commands to remove: translate it by hand")
        elif after < len(logical) and "\n" not in gap_after:  # "A <comment> <removed>; B" -> "A <comment> B"
            take_before = False
        else:  # "A <comment> <removed> <newline> B" -> "A <comment> B"
            before = _separators_before(logical, first.start)
    if take_before:  # take the operator before: "A && B && <removed>" -> "A && B"
        start = view.span(before, before)[0]
        end = view.span(first.start, last.end)[1]
    else:  # the first command: take the operator after it (whole lines when a comment line follows)
        begin = first.start
        if logical.startswith("#", after) and "\n" in logical[last.end : after]:
            line_break = logical.rfind("\n", last.end, after)
            line_start = logical.rfind("\n", 0, begin) + 1
            if logical[line_start:begin].strip(" \t"):  # "A; <removed> &&<nl> # note": the break stays
                after = line_break
            else:
                begin, after = line_start, line_break + 1
        start, end = view.to_original(begin), view.to_original(after)
    if _has_comment_line(text, start, end):
        raise Decline(first.start, "a comment line sits inside the commands to remove: translate it by hand")
    return Edit(start, end, "")


def _gap_before(text: str, i: int) -> tuple[int, str, bool]:
    """What separates the command at ``i`` from the one before: its start, its separators (blanks,
    operators, line continuations) without the whole comment lines among them, and whether there were any."""
    separators, comments = "", False
    while True:
        j = _separators_before(text, i)
        separators = text[j:i] + separators
        line_start = text.rfind("\n", 0, j) + 1
        if j == 0 or "\n" not in text[j:i] or not text[line_start:j].lstrip(" \t").startswith("#"):
            return j, separators, comments
        i, comments = line_start, True


def _separators_before(text: str, i: int) -> int:
    """Back over blanks, operators and line continuations (standalone shell text keeps them)."""
    while i > 0:
        if text[i - 1] == "\n" and _continued(text, i - 1):
            i -= 2
        elif text[i - 1] in _SEPARATORS:
            i -= 1
        else:
            break
    return i


def _separators_after(text: str, i: int) -> int:
    while i < len(text):
        if text.startswith("\\\n", i):
            i += 2
        elif text[i] in _SEPARATORS:
            i += 1
        else:
            break
    return i


def _continued(text: str, newline: int) -> bool:
    """Whether the newline at ``newline`` is escaped: an odd run of backslashes before it.  (Before a
    CRLF the backslash escapes the \\r: the shell sees no continuation there, and neither do we.)"""
    start = newline
    while start > 0 and text[start - 1] == "\\":
        start -= 1
    return (newline - start) % 2 == 1


def _word_end(word: shell.Word) -> int:
    return word.start + _own_end(word.raw, 0, len(word.raw))


def _own_end(text: str, start: int, end: int) -> int:
    """Where ``text[start:end]`` (a word, a command) really ends: a line continuation closing it
    (``gcc\\<newline>``, in standalone shell text) separates it from what follows, and stays put."""
    while text.endswith("\\\n", start, end) and _continued(text, end - 1):
        end -= 2
    return end


def _word_edits(text: str, view: View, plan: Plan) -> list[Edit]:
    """Replace and delete words; a deleted word takes the blank (or ``\\`` line break) before it."""
    words = plan.command.words
    edits: list[Edit] = []
    index = 0
    while index < len(words):
        action = plan.words.get(index, "")
        if index not in plan.words:
            index += 1
            continue
        if action is not None:
            start, end = view.span(words[index].start, _word_end(words[index]))
            if text[start:end] != action:
                edits.append(Edit(start, end, action))
            index += 1
            continue
        first = index
        while index < len(words) and plan.words.get(index, "") is None:
            index += 1
        start = view.span(_word_end(words[first - 1]), _word_end(words[first - 1]))[0]
        end = view.span(words[first].start, _word_end(words[index - 1]))[1]
        if _has_comment_line(text, start, end):
            for word in words[first:index]:
                edits.append(Edit(*view.span(word.start, word.end), ""))
        else:
            edits.append(Edit(start, end, ""))
    return edits
