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
stay as written.  Package names come from :mod:`rewriter.packages`.  A RUN is
translated whole or not at all: when any apk call in it cannot be translated safely
(an unknown package, a package list built at run time, apk inside ``if``/``for``,
``--repository``, local ``.apk`` files ...), the RUN is left unchanged and each reason
is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .. import packages, shell
from ..dockerfile import Instruction
from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
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
    "--no-interactive", "--force-non-repository",
}
SHORT_LETTERS = set("Uuqvl")  # combinable single-letter flags from DROPPED_FLAGS
VIRTUAL_FLAGS = ("--virtual", "-t")
PIN = re.compile(r"^(?P<name>[a-z0-9][a-z0-9+._-]*)(?P<pin>(?:[<>]?=|~|=~|[<>]).+)?$", re.IGNORECASE)
APK_CACHE = re.compile(r"^/var/cache/apk(/\*?)?$")


class Decline(Exception):
    """This RUN cannot be translated safely; the message says why."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass
class Plan:
    """What one command becomes."""

    command: shell.Command
    kind: str  # install, update, upgrade, purge, cleanup, remove
    words: dict[int, str | None] = field(default_factory=dict)  # word index -> replacement (None = delete)
    debs: tuple[str, ...] = ()
    cleanup_after: bool = False

    @property
    def needs_lists(self) -> bool:
        return self.kind in ("install", "upgrade")


@dataclass
class StageState:
    """What earlier RUNs of a stage installed: virtual package sets and explicit installs."""

    virtuals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    explicit: set[str] = field(default_factory=set)


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    states: dict[int, StageState] = {}
    for stage, ins in ctx.migrated_instructions("RUN"):
        codename = ctx.codename(stage)
        root = stage
        while root.parent is not None:
            root = ctx.stages[root.parent]
        if codename is None or root.decision is None or root.decision.new is None:
            if re.search(r"\bapk\s", ctx.df.text[ins.start : ins.end]):
                out.findings.append(Finding(RULE_ID, ins.line, "apk left unchanged: the stage's base image could not be migrated (see base-image)"))
            continue
        if stage.index not in states:
            inherited = states.get(stage.parent) if stage.parent is not None else None
            states[stage.index] = StageState(dict(inherited.virtuals), set(inherited.explicit)) if inherited else StageState()
        state = states[stage.index]
        _check_run(ctx, ins, codename, state, out)
    return out


def _check_run(ctx: DockerfileContext, ins: Instruction, codename: str, state: StageState, out: RuleOutput) -> None:
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
    for view in views:
        trial = StageState(dict(state.virtuals), set(state.explicit))
        findings: list[Finding] = []
        try:
            edits, removes_all, notes = _translate(ctx.df.text, view, codename, trial, ctx.settings.package_overrides, ctx.line_of)
        except Decline as exc:
            out.findings.append(Finding(RULE_ID, ctx.line_of(view.at(exc.offset)), exc.message))
            continue
        if not edits and not removes_all:
            continue
        findings.extend(notes)
        state.virtuals, state.explicit = trial.virtuals, trial.explicit
        if removes_all:
            if ins.heredocs:
                out.findings.append(Finding(RULE_ID, ins.line, "nothing is left to install in this heredoc RUN: remove it by hand"))
                continue
            fix = Fix((_remove_instruction(ctx.df.text, ins),), removes_instructions=1)
            findings.append(Finding(RULE_ID, ins.line, f"RUN removed: {removes_all}", Severity.INFO))
        else:
            fix = Fix(tuple(edits))
        out.fixes.append(fix)
        out.findings.extend(findings)
        out.changes.append(Change(RULE_ID, ins.line, text, _apply_local(ctx.df.text, ins, fix)))


def _apply_local(text: str, ins: Instruction, fix: Fix) -> str:
    from ..edits import apply_fixes

    lo = min(ins.start, fix.start)
    hi = max(ins.end, fix.end)
    shifted = Fix(tuple(Edit(e.start - lo, e.end - lo, e.replacement) for e in fix.edits))
    return apply_fixes(text[lo:hi], [shifted])[0].strip("\r\n")


def _remove_instruction(text: str, ins: Instruction) -> Edit:
    """Delete the instruction's lines, keeping the file's newline layout around it."""
    start = text.rfind("\n", 0, ins.start) + 1
    if text[start : ins.start].strip():
        start = ins.start
    end = ins.end
    if text.startswith("\r\n", end):
        return Edit(start, end + 2, "")
    if text.startswith("\n", end):
        return Edit(start, end + 1, "")
    # the last instruction of a file without a final newline: take the newline before it
    before = start - 2 if text[max(start - 2, 0) : start] == "\r\n" else max(start - 1, 0)
    return Edit(before, end, "")


@dataclass(frozen=True)
class ShellTranslation:
    """The apk -> apt-get translation of a standalone shell text (a CI job line, a command string)."""

    edits: tuple[Edit, ...]  # offsets into the given text
    removes_all: str  # non-empty: every command goes away, and why
    findings: tuple[Finding, ...]  # lines as given by ``line_of``


def translate_shell(
    text: str, codename: str, overrides: Mapping[str, str] | None = None, line_of: Callable[[int], int] = lambda _: 1
) -> ShellTranslation:
    """Translate the apk calls in ``text`` whole, or return no edits and the reasons why not."""
    view = View(text, lambda i: i)
    try:
        edits, removes_all, notes = _translate(text, view, codename, StageState(), overrides or {}, line_of)
    except Decline as exc:
        return ShellTranslation((), "", (Finding(RULE_ID, line_of(exc.offset), exc.message),))
    return ShellTranslation(tuple(edits), removes_all, tuple(notes))


# --- translation of one shell text -------------------------------------------------------


def _translate(
    text: str, view: View, codename: str, state: StageState, overrides: Mapping[str, str], line_of: Callable[[int], int]
) -> tuple[list[Edit], str, list[Finding]]:
    """Edits (file offsets) for one shell text, why every command in it goes away ("" if not), and notes."""
    if not re.search(r"\bapk\b|/var/cache/apk", view.text):
        return [], "", []
    try:
        script = shell.parse(view.text)
    except shell.ShellSyntaxError as exc:
        raise Decline(getattr(exc, "offset", 0) or 0, f"shell text could not be read ({exc}); apk calls not translated") from None
    notes: list[Finding] = []

    def line(offset: int) -> int:
        return line_of(view.at(offset))

    plans: list[Plan] = []
    for command in script.commands:
        plan = _plan_command(command, view.text, codename, state, overrides, notes, line)
        if plan is not None:
            plans.append(plan)
    if not any(p.kind != "cleanup" for p in plans):
        return _edits_for(text, view, script, plans, []), "", notes
    _arrange(plans)
    removed = [p.command for p in plans if p.kind == "remove"]
    if len(removed) == len(script.commands):
        only_updates = all(p.command.words[0].value in APK and "update" in [w.value for w in p.command.words] for p in plans)
        why = "apk update alone is not needed; each translated install runs its own apt-get update" if only_updates else "nothing is left to install on Debian (see the dropped packages)"
        return [], why, notes
    return _edits_for(text, view, script, plans, removed), "", notes


def _arrange(plans: list[Plan]) -> None:
    """One apt-get update before the first install, and the list cleanup after the last apt-get."""
    first = next((i for i, p in enumerate(plans) if p.needs_lists), None)
    serving = None
    for i, plan in enumerate(plans):
        if plan.kind != "update":
            continue
        if first is not None and i < first and serving is None:
            serving = i
            plan.words = {0: "apt-get", **{k: v for k, v in plan.words.items() if k != 0}}
        else:
            plan.kind = "remove"
    if first is None:
        return
    if serving is None:
        plans[first].words[0] = "apt-get update && apt-get"
    last = max(i for i, p in enumerate(plans) if p.kind in ("install", "upgrade", "purge", "update"))
    if not any(p.kind == "cleanup" for p in plans[last + 1 :]):
        plans[last].cleanup_after = True


def _plan_command(command, script_text, codename, state, overrides, notes, line) -> Plan | None:
    words = command.words
    if not words:
        return None
    head = words[0].value
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
    if apk_at != 0:
        raise Decline(words[apk_at].start, f"apk is called through `{words[0].raw}`: translate this command by hand")
    if command.in_compound:
        raise Decline(command.start, "apk inside if/for/while/case or a function: translate it by hand")
    if command.sep_before == "|" or command.sep_after == "|":
        raise Decline(command.start, "apk inside a pipeline: translate it by hand")
    if any(re.match(r"[<>][=~0-9]", script_text[a:b]) for a, b in command.redirects):
        raise Decline(command.start, "an unquoted `>` or `<` in the apk arguments is a shell redirection (a version constraint like pkg>=1.2 must be quoted): fix it by hand")
    return _plan_apk(command, codename, state, overrides, notes, line)


def _plan_apk(command, codename, state, overrides, notes, line) -> Plan:
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
            else:
                raise Decline(word.start, f"apk flag `{word.raw}` has no known apt-get equivalent: translate it by hand")
        elif sub is None:
            sub, sub_at = value, i
        else:
            operands.append(i)
        i += 1
    if sub is None:
        raise Decline(command.start, "apk without a subcommand: translate it by hand")
    plan = Plan(command, "remove")
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
        return _plan_add(plan, words, sub_at, operands, virtual, codename, state, overrides, notes, line)
    if sub in ("del", "delete"):
        return _plan_del(plan, words, sub_at, operands, codename, state, overrides, notes, line)
    raise Decline(words[sub_at].start, f"apk {sub} has no apt-get translation here: translate it by hand")


_KEYWORDS = frozenset({"RUN", "FROM", "COPY", "ADD", "ENV", "ARG", "CMD", "ENTRYPOINT", "WORKDIR", "USER", "EXPOSE", "LABEL"})


def _static(word) -> str | None:
    """The word's value; ``pkg=~1.2`` counts as static (sh expands ``~`` after ``=`` only in assignments)."""
    if word.value is None and re.fullmatch(r"[A-Za-z0-9+._-]+=~[A-Za-z0-9+._-]*", word.raw):
        return word.raw
    return word.value


def _resolve(word, codename, overrides, notes, line) -> tuple[str, ...]:
    """Debian names for one apk package word (empty when it is dropped); Decline when unknown."""
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
    decision = packages.lookup(name, codename, overrides)
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
    raise Decline(word.start, f"{name}: no known Debian package for {codename}{hint}; RUN left unchanged (map it with --map {name}=DEBIAN-NAME)")


def _plan_add(plan, words, sub_at, operands, virtual, codename, state, overrides, notes, line) -> Plan:
    debs: list[str] = []
    for index in operands:
        fresh = [n for n in _resolve(words[index], codename, overrides, notes, line) if n not in debs]
        plan.words[index] = " ".join(fresh) if fresh else None
        debs.extend(fresh)
    if virtual is not None:
        state.virtuals[virtual] = tuple(debs)
    else:
        state.explicit.update(debs)
    if not debs:
        return plan  # kind stays "remove"
    plan.kind = "install"
    plan.debs = tuple(debs)
    plan.words[0] = "apt-get"
    plan.words[sub_at] = INSTALL
    return plan


def _plan_del(plan, words, sub_at, operands, codename, state, overrides, notes, line) -> Plan:
    debs: list[str] = []
    for index in operands:
        word = words[index]
        if word.value in state.virtuals:
            names = state.virtuals.pop(word.value)
            kept = [n for n in names if n in state.explicit]
            if kept:
                notes.append(Finding(RULE_ID, line(word.start), f"{' '.join(kept)} also installed outside {word.value}: kept installed", Severity.INFO))
            names = tuple(n for n in names if n not in state.explicit)
        else:
            names = _resolve(word, codename, overrides, notes, line)
        fresh = [n for n in names if n not in debs]
        plan.words[index] = " ".join(fresh) if fresh else None
        debs.extend(fresh)
    state.explicit.difference_update(debs)
    if not debs:
        return plan
    plan.kind = "purge"
    plan.debs = tuple(debs)
    plan.words[0] = "apt-get"
    plan.words[sub_at] = PURGE
    return plan


# --- turning plans into file edits -----------------------------------------------------------

_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
_SEPARATORS = " \t\n;&|"


def _has_comment_line(text: str, start: int, end: int) -> bool:
    return any(m.start() > start for m in _COMMENT_LINE.finditer(text, start, end))


def _edits_for(text: str, view: View, script, plans: list[Plan], removed: list) -> list[Edit]:
    edits: list[Edit] = []
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
        if id(plan.command) in removed_ids:
            continue
        edits.extend(_word_edits(text, view, plan))
        if plan.cleanup_after:
            at = view.span(plan.command.end, plan.command.end)[0]
            edits.append(Edit(at, at, f" && {CLEANUP}"))
    return edits


def _remove_commands(text: str, view: View, first, last) -> Edit:
    """Delete commands ``first``..``last`` with the operator that joins them to their neighbour."""
    logical = view.text
    before = first.start
    while before > 0 and logical[before - 1] in _SEPARATORS:
        before -= 1
    if before > 0:  # take the operator before: "A && B && <removed>" -> "A && B"
        start = view.span(before, before)[0]
        end = view.span(first.start, last.end)[1]
    else:  # the first command: take the operator after it
        after = last.end
        while after < len(logical) and logical[after] in _SEPARATORS:
            after += 1
        start, end = view.to_original(first.start), view.to_original(after)
    if _has_comment_line(text, start, end):
        raise Decline(first.start, "a comment line sits inside the commands to remove: translate it by hand")
    return Edit(start, end, "")


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
            start, end = view.span(words[index].start, words[index].end)
            if text[start:end] != action:
                edits.append(Edit(start, end, action))
            index += 1
            continue
        first = index
        while index < len(words) and plan.words.get(index, "") is None:
            index += 1
        start = view.span(words[first - 1].end, words[first - 1].end)[0]
        end = view.span(words[first].start, words[index - 1].end)[1]
        if _has_comment_line(text, start, end):
            for word in words[first:index]:
                edits.append(Edit(*view.span(word.start, word.end), ""))
        else:
            edits.append(Edit(start, end, ""))
    return edits
