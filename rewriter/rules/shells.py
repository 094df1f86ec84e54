"""shells: BusyBox ``ash`` becomes ``sh`` (or ``bash``); Bash-isms that Debian's dash rejects are reported.

Why: Debian has no ``/bin/ash``, and its ``/bin/sh`` is dash, which lacks the bash
extensions BusyBox ash compiles in (``ASH_BASH_COMPAT``: ``[[ ]]``, ``source``,
``function``, ``${var/a/b}``, ``${var:1:2}``, ``$'...'``, ``&>``, ``set -o pipefail``;
BusyBox ``test`` takes ``==`` and its ``echo`` takes ``-e``).  A RUN that built on
Alpine then fails, or quietly does something else, on Debian.

Example::

    SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
    SHELL ["/bin/bash", "-eo", "pipefail", "-c"]

``ash`` becomes ``sh`` unless what it runs needs bash: shell flags dash does not take
(``-o pipefail`` before trixie: Debian added pipefail to dash in trixie; bash is in every
Debian image), or a Bash-ism in the RUNs a ``SHELL`` governs, or in the heredoc script
``ash <<EOF`` or ``#!/bin/ash`` runs.  An explicit ``SHELL ["/bin/sh", ...]`` meant ash on
Alpine: it becomes ``/bin/bash`` by the same test and is otherwise left alone.  Changed:
``SHELL``; ``ash``/``/bin/ash`` where a program is named in RUN, CMD and ENTRYPOINT (shell
and exec form); ``#!/bin/ash`` heading a RUN, COPY or ADD heredoc.  Reported, not
changed: Bash-isms in RUN, CMD and ENTRYPOINT run by ``/bin/sh`` (the default SHELL) and
in ``#!/bin/sh`` heredoc scripts, with the line and the POSIX spelling.  Scripts copied
from the build context are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import shell
from ..dockerfile import Instruction, logical_args
from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
from .context import DockerfileContext
from .shellview import View, changed_instruction, command_positions, element_edit, exec_elements, run_views, shell_form_view

RULE_ID = "shells"
SUMMARY = "Replace BusyBox ash with sh (bash when needed) and report Bash-isms that Debian's dash rejects"

TO_SH = {"/bin/ash": "/bin/sh", "ash": "sh"}
TO_BASH = {"/bin/ash": "/bin/bash", "ash": "bash", "/bin/sh": "/bin/bash", "sh": "bash"}
SH = frozenset({"/bin/sh", "sh"})
# dash's invocation options (dash(1)); pipefail only from trixie's dash 0.5.12-9 on
DASH_LETTERS = frozenset("aCefnuvxIimqVEbpcsl")
DASH_OPTIONS = frozenset(
    "errexit noglob ignoreeof interactive monitor noexec stdin xtrace verbose vi emacs noclobber allexport notify nounset nolog debug".split()
)
NO_PIPEFAIL = frozenset({"bullseye", "bookworm"})
SCRIPT_KEYWORDS = ("RUN", "CMD", "ENTRYPOINT")
HEREDOC_PROGRAM = re.compile(r"^\s*([^\s<]+)")  # `RUN bash <<EOF`: the program the body goes to
SHEBANG = re.compile(r"#![ \t]*(?:/usr/bin/env[ \t]+)?(?P<program>/bin/ash|ash|/bin/sh|sh)(?=[ \t\r\n]|$)")

# kind -> (what, the POSIX way)
BASHISMS = {
    "[[": ("`[[ ]]`", "use `[ ]`"),
    "==": ("`==` in `[ ]`/test", "use `=`"),
    "source": ("`source`", "use `.`"),
    "function": ("`function NAME`", "use `NAME()`"),
    "procsub": ("process substitution `<( )`", "use a pipe or a temporary file"),
    "subst": ("`${var/pattern/replacement}`", "use sed"),
    "substr": ("`${var:offset:length}`", "use cut or expr"),
    "ansi": ("`$'...'` quoting", "use printf"),
    "&>": ("`&>` redirection (dash runs the command in the background)", "use `> file 2>&1`"),
    "echo -e": ("`echo -e` (dash's echo prints the -e)", "use printf"),
    "let": ("`let`", "use `$(( ))`"),
    "pipefail": ("`set -o pipefail` (dash has it only from trixie)", "drop it"),
}
_PARAM = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?P<op>/|:(?![-=?+]))")
_FUNCTION = re.compile(r"(?<![\w-])function[ \t]+[A-Za-z_][\w.:-]*[ \t]*(?:\([ \t]*\)[ \t]*)?[\n{(]")
_ECHO_E = re.compile(r"^-[nE]*e[neE]*$")


# --- Bash-isms --------------------------------------------------------------------------


def _unquoted(raw: str) -> list[tuple[int, str]]:
    """(index, context) of each character of a raw word: context is "", "'" or '"'."""
    out = []
    context = ""
    i = 0
    while i < len(raw):
        ch = raw[i]
        out.append((i, context))
        if ch == "\\" and context != "'":
            i += 1
            if i < len(raw):
                out.append((i, context))
        elif ch == "'" and context != '"':
            context = "" if context == "'" else "'"
        elif ch == '"' and context != "'":
            context = "" if context == '"' else '"'
        i += 1
    return out


def _word_bashisms(raw: str) -> list[tuple[int, str]]:
    if "$'" not in raw and "${" not in raw and "<(" not in raw and ">(" not in raw:
        return []  # none of the constructs below starts anywhere in the word
    found = []
    for i, context in _unquoted(raw):
        if context == "'":
            continue
        rest = raw[i:]
        if context == "" and rest.startswith("$'"):
            found.append((i, "ansi"))
        elif context == "" and rest.startswith(("<(", ">(")):
            found.append((i, "procsub"))
        elif rest.startswith("${"):
            match = _PARAM.match(rest)
            if match:
                found.append((i, "subst" if match.group("op") == "/" else "substr"))
    return found


def bashisms(text: str, codename: str | None) -> list[tuple[int, str]]:
    """(offset, kind) of the first use of each Bash-ism in shell ``text`` that dash rejects."""
    try:
        script = shell.parse(text)
    except shell.ShellSyntaxError:
        return []
    found: list[tuple[int, str]] = []
    word_spans = []
    for command in script.commands:
        words = command.words
        word_spans.extend((w.start, w.end) for w in words)
        values = [w.value for w in words]
        head = values[0] if values else None
        if head == "[[" and not words[0].quoted:
            found.append((words[0].start, "[["))
        elif head in ("[", "test") and "==" in values:
            found.append((words[values.index("==")].start, "=="))
        elif head == "source":
            found.append((words[0].start, "source"))
        elif head == "let":
            found.append((words[0].start, "let"))
        elif head == "echo" and len(values) > 1 and values[1] and _ECHO_E.match(values[1]):
            found.append((words[0].start, "echo -e"))
        elif head == "set" and codename in NO_PIPEFAIL and ("pipefail" in values or "-opipefail" in values):
            found.append((words[0].start, "pipefail"))
        for start, end in command.redirects:
            if text.startswith("&>", start):
                found.append((start, "&>"))
        for word in (*command.assignments, *words):
            found.extend((word.start + i, kind) for i, kind in _word_bashisms(word.raw))
    not_code = word_spans + list(script.comments) + list(script.heredoc_bodies)
    for match in _FUNCTION.finditer(text):
        if not any(a <= match.start() < b for a, b in not_code):
            found.append((match.start(), "function"))
    first: dict[str, int] = {}
    for offset, kind in sorted(found):
        first.setdefault(kind, offset)
    return sorted((offset, kind) for kind, offset in first.items())


def dash_rejects(flags: list[str], codename: str | None) -> str | None:
    """The first shell flag dash does not take (``-o pipefail`` before trixie), or None."""
    i = 0
    while i < len(flags):
        flag = flags[i]
        i += 1
        if not flag.startswith(("-", "+")) or flag in ("-", "--"):
            return None  # a script name or the -c string: the flags are over
        if flag.startswith("--"):
            return flag
        for position, letter in enumerate(flag[1:], 1):
            if letter == "o":
                name = flag[position + 1 :] or (flags[i] if i < len(flags) else "")
                i += 0 if flag[position + 1 :] else 1
                if name not in DASH_OPTIONS and not (name == "pipefail" and codename not in NO_PIPEFAIL):
                    return f"{flag[0]}o {name}"
                break
            if letter not in DASH_LETTERS:
                return flag
    return None


# --- what runs under which shell ------------------------------------------------------------


@dataclass
class Governed:
    """The shell a SHELL instruction (or the image default) sets, and the scripts it runs."""

    program: str
    flags: list[str]
    codename: str | None
    instruction: Instruction | None = None  # None: the image's default /bin/sh -c
    scripts: list[tuple[Instruction, View, str | None]] = field(default_factory=list)  # with their codename


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    edits: dict[int, list[Edit]] = {}  # instruction start -> edits
    states: dict[int, Governed] = {}
    governed_all: list[Governed] = []
    for stage in ctx.stages:
        if not stage.migrate:
            continue
        codename = ctx.codename(stage)
        current = states.get(stage.parent) if stage.parent is not None else None
        if current is None:
            current = Governed("/bin/sh", ["-c"], codename)
            governed_all.append(current)
        for ins in stage.instructions:
            if ins.keyword == "SHELL":
                elements = exec_elements(ctx.df, ins)
                if elements:
                    current = Governed(elements[0].value, [e.value for e in elements[1:]], codename, ins)
                    governed_all.append(current)
            elif ins.keyword in SCRIPT_KEYWORDS:
                _programs(ctx, ins, codename, current, edits, out)
            elif ins.keyword in ("COPY", "ADD"):
                for body in ins.heredocs:
                    view = View(ctx.df.text[body.body_start : body.body_end], lambda i, s=body.body_start: s + i)
                    _shebang(ctx, ins, view, codename, edits, out)
        states[stage.index] = current
    for governed in governed_all:
        _decide(ctx, governed, edits, out)
    for ins in ctx.df.instructions:
        if ins.start in edits:
            fix = edits[ins.start]
            out.fixes.append(Fix(tuple(fix)))
            out.changes.append(Change(RULE_ID, ins.line, ctx.df.text[ins.start : ins.end], changed_instruction(ctx.df, ins, fix)))
    return out


def _decide(ctx: DockerfileContext, governed: Governed, edits: dict[int, list[Edit]], out: RuleOutput) -> None:
    """A SHELL of the sh family becomes bash when dash cannot run it, else ash becomes sh;
    under the image's default /bin/sh (dash on Debian) Bash-isms are reported."""
    program, ins = governed.program, governed.instruction
    if program not in TO_SH and program not in SH:
        return
    found = [(script, view, offset, kind) for script, view, codename in governed.scripts for offset, kind in bashisms(view.text, codename)]
    if ins is None:
        for script, view, offset, kind in found:
            what, posix = BASHISMS[kind]
            out.findings.append(Finding(RULE_ID, ctx.line_of(view.span(offset, offset)[0]), f"{what}: BusyBox ash ran it, Debian's /bin/sh (dash) does not; {posix}, or add SHELL [\"/bin/bash\", \"-c\"] before this {script.keyword}"))
        return
    reason = dash_rejects(governed.flags, governed.codename)
    if reason:
        why = f"dash, Debian's /bin/sh, does not take `{reason}`" + (" before trixie" if "pipefail" in reason else "")
    elif found:
        _, view, offset, kind = found[0]
        why = f"what it runs uses {BASHISMS[kind][0]} (line {ctx.line_of(view.span(offset, offset)[0])})"
    else:
        why = ""
    new = TO_BASH[program] if why else TO_SH.get(program)
    if new is None:
        return
    edit = element_edit(ctx.df, exec_elements(ctx.df, ins)[0], new)
    if edit is None:
        out.findings.append(Finding(RULE_ID, ins.line, f"SHELL program is split by a line continuation: change {program} to {new} by hand"))
        return
    edits.setdefault(ins.start, []).append(edit)
    if why:
        out.findings.append(Finding(RULE_ID, ins.line, f"SHELL runs {new}: {why}", Severity.INFO))


def _programs(ctx: DockerfileContext, ins: Instruction, codename: str | None, current: Governed, edits: dict[int, list[Edit]], out: RuleOutput) -> None:
    """``ash`` named as a program in one RUN/CMD/ENTRYPOINT; its scripts join what ``current`` runs."""
    df = ctx.df
    elements = exec_elements(df, ins)
    if elements is not None:
        for index in command_positions([e.value for e in elements]):
            if elements[index].value in TO_SH:
                edit = element_edit(df, elements[index], TO_SH[elements[index].value])
                if edit is not None:
                    edits.setdefault(ins.start, []).append(edit)
        return
    if ins.keyword == "RUN" and ins.heredocs:
        views = run_views(df, ins)
        if not isinstance(views, list):
            return
        body = views[0]
        program = HEREDOC_PROGRAM.match(logical_args(df, ins).text)
        if program is not None:
            _heredoc_program(ctx, ins, program, body, codename, edits, out)
        elif body.text.startswith("#!"):
            _shebang(ctx, ins, body, codename, edits, out)
        else:
            current.scripts.append((ins, body, codename))
        _command_words(ins, body, edits)
        return
    view = shell_form_view(df, ins)
    if view is not None:
        current.scripts.append((ins, view, codename))
        _command_words(ins, view, edits)


def _command_words(ins: Instruction, view: View, edits: dict[int, list[Edit]]) -> None:
    """``ash -c ...``, ``exec /bin/ash script`` -> sh."""
    try:
        script = shell.parse(view.text)
    except shell.ShellSyntaxError:
        return
    for command in script.commands:
        words = command.words
        for index in command_positions([w.value for w in words]):
            if words[index].value in TO_SH:
                edits.setdefault(ins.start, []).append(view.edit(words[index].start, words[index].end, TO_SH[words[index].value]))


def _heredoc_program(ctx, ins, program: re.Match[str], body: View, codename, edits, out) -> None:
    """``RUN ash <<EOF``: sh, or bash for a body with Bash-isms; ``RUN sh <<EOF``: report them."""
    name = program.group(1)
    if name not in TO_SH and name not in SH:
        return
    found = bashisms(body.text, codename)
    logical = logical_args(ctx.df, ins)
    if name in TO_SH:
        new = TO_BASH[name] if found else TO_SH[name]
        start, end = logical.span(program.start(1), program.end(1))
        edits.setdefault(ins.start, []).append(Edit(start, end, new))
        if found:
            out.findings.append(Finding(RULE_ID, ins.line, f"{name} becomes {new}: the script uses {BASHISMS[found[0][1]][0]}", Severity.INFO))
        return
    _report(ctx, ins, body, found, out, f"or run it with bash instead of {name}")


def _shebang(ctx, ins: Instruction, body: View, codename, edits, out) -> None:
    """``#!/bin/ash`` heading a heredoc script: sh, or bash when the script has Bash-isms."""
    match = SHEBANG.match(body.text)
    if match is None:
        return
    name = match.group("program")
    found = bashisms(body.text, codename)
    if name in TO_SH:
        new = TO_BASH[name] if found else TO_SH[name]
        edits.setdefault(ins.start, []).append(body.edit(match.start("program"), match.end("program"), new))
        if found:
            out.findings.append(Finding(RULE_ID, ctx.line_of(body.span(0, 0)[0]), f"#!{name} becomes {new}: the script uses {BASHISMS[found[0][1]][0]}", Severity.INFO))
        return
    _report(ctx, ins, body, found, out, "or make it #!/bin/bash")


def _report(ctx: DockerfileContext, ins: Instruction, view: View, found: list[tuple[int, str]], out: RuleOutput, alternative: str) -> None:
    for offset, kind in found:
        what, posix = BASHISMS[kind]
        out.findings.append(Finding(RULE_ID, ctx.line_of(view.span(offset, offset)[0]), f"{what}: BusyBox ash ran it, Debian's /bin/sh (dash) does not; {posix}, {alternative}"))
