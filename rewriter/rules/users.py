"""users: BusyBox ``adduser``/``addgroup``/``deluser``/``delgroup`` become Debian's shadow tools.

Why: on Debian slim ``adduser``/``addgroup`` are Debian's own Perl scripts (when installed
at all) with other flags, and BusyBox ``adduser -g`` is the GECOS field, not a group;
``useradd``/``groupadd``/``usermod``/``userdel``/``groupdel``/``gpasswd`` (package
``passwd``, priority required) are in every Debian image.

Example::

    RUN addgroup -S app && adduser -S -D -H -G app app
    RUN groupadd -r app && useradd -r -s /bin/false -M -g app app

Semantics, read from BusyBox's ``loginutils/adduser.c``, ``addgroup.c`` and ``deluser.c``
(BusyBox -> Debian):

- ``adduser`` without ``-H`` creates the home and copies ``/etc/skel`` -> ``useradd -m``;
  ``-H``/``--no-create-home`` -> ``-M``.
- ``-D``/``--disabled-password``/``--empty-password`` (no password) -> dropped: a locked
  password is useradd's default.  Without ``-D`` or ``-S`` BusyBox runs ``passwd``, which
  prompts: refused.
- ``-h DIR``/``--home`` -> ``-d DIR``; ``-g GECOS``/``--gecos`` -> ``-c GECOS``;
  ``-u UID``/``--uid`` -> ``-u UID``.
- ``-s SHELL``/``--shell`` -> ``-s SHELL``, with ``/bin/ash`` -> ``/bin/sh`` and
  ``/sbin/nologin`` -> ``/usr/sbin/nologin`` (bullseye images are not merged-/usr).
- ``-G GRP``/``--ingroup`` is the *primary* group -> ``-g GRP``.
- ``-S``/``--system`` -> ``-r``; BusyBox also implies ``-D``, makes ``nogroup`` the
  primary group when ``-G`` is absent (-> ``-g nogroup``) and ``/bin/false`` the shell when
  ``-s`` is absent (-> ``-s /bin/false``).
- ``-k SKEL``/``--skel`` -> ``-k SKEL``; dropped with ``-H`` (useradd takes it only with -m).
- ``adduser USER GROUP`` (no option) and ``addgroup [-S] USER GROUP`` -> ``usermod -aG GROUP USER``.
- ``addgroup [-S] [-g GID] NAME`` -> ``groupadd [-r] [-g GID] NAME``.
- ``deluser [--remove-home] USER`` -> ``userdel [-r] USER``; ``delgroup GROUP`` ->
  ``groupdel GROUP``; ``delgroup USER GROUP`` -> ``gpasswd -d USER GROUP``.

Without ``-G``/``-S`` both create a group named after the user, as useradd does on Debian
(``USERGROUPS_ENAB yes``).  Differences kept on purpose and reported: system ids count up
from 100 on BusyBox and down from 999 on Debian; BusyBox chowns an existing home to the
user (``chmod 2755``), ``useradd -m`` leaves an existing directory alone (reported when a
WORKDIR, COPY or ADD before it creates the directory).  Refused with a
report (command left unchanged): unknown flags, options built at run time, operand counts
BusyBox itself rejects, and ``adduser`` without ``-D`` (it would prompt for a password).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Sequence

from .. import shell
from ..dockerfile import Instruction
from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
from ..stages import Stage
from .context import DockerfileContext
from .shellview import View, run_views

RULE_ID = "users"
SUMMARY = "Translate BusyBox adduser/addgroup/deluser/delgroup into useradd/groupadd/usermod/userdel/groupdel"

TOOLS = ("adduser", "addgroup", "deluser", "delgroup")
TOOL_DIRS = ("", "/usr/sbin/", "/sbin/", "/bin/", "/usr/bin/")

# BusyBox getopt strings, per applet: short option -> takes an argument; long option -> short option.
ADDUSER_SHORT = {"h": True, "g": True, "s": True, "G": True, "D": False, "S": False, "H": False, "u": True, "k": True}
ADDUSER_LONG = {
    "home": "h", "gecos": "g", "shell": "s", "ingroup": "G", "disabled-password": "D", "empty-password": "D",
    "system": "S", "no-create-home": "H", "uid": "u", "skel": "k",
}  # fmt: skip
ADDGROUP_SHORT = {"g": True, "S": False}
ADDGROUP_LONG = {"gid": "g", "system": "S"}
DELUSER_LONG = {"remove-home": "r"}  # its only option has no short form

USERADD_FLAGS = {"h": "-d", "g": "-c", "s": "-s", "G": "-g", "H": "-M", "S": "-r", "u": "-u", "k": "-k", "D": ""}
SHELL_PATHS = {"/bin/ash": "/bin/sh", "ash": "sh", "/sbin/nologin": "/usr/sbin/nologin"}
WORKDIR_LIKE = ("WORKDIR", "COPY", "ADD")
_COMMENT_LINE = re.compile(r"\n[ \t]*#")


class Refusal(Exception):
    """This command is left unchanged; the message says why."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass(frozen=True)
class Option:
    letter: str
    flag_word: int  # index of the word holding the option
    arg_word: int | None = None  # index of a separate argument word
    attached: str | None = None  # argument written in the same word (raw shell text)
    arg_value: str | None = None  # the argument after quote removal, when static


@dataclass
class Parsed:
    options: list[Option] = field(default_factory=list)
    operands: list[int] = field(default_factory=list)  # word indices


@dataclass(frozen=True)
class Translation:
    """Word replacements for one command (index -> text; None deletes the word) and notes."""

    tool: str
    words: dict[int, str | None]
    notes: tuple[str, ...] = ()
    home: str | None = None  # adduser: the home directory it creates, when static
    user: str | None = None


def tool_of(word: shell.Word) -> str | None:
    """The BusyBox applet a command word names (``adduser``, ``/usr/sbin/addgroup`` ...)."""
    value = word.value
    if value is None:
        return None
    folder, name = posixpath.split(value)
    if name in TOOLS and (folder + "/" if folder else "") in TOOL_DIRS:
        return name
    return None


def _parse(words: Sequence[shell.Word], short: dict[str, bool], long: dict[str, str], tool: str) -> Parsed:
    """getopt_long over the words after the command name, as BusyBox reads them (options may follow operands)."""
    parsed = Parsed()
    i = 1
    only_operands = False
    while i < len(words):
        word = words[i]
        raw, value = word.raw, word.value
        # `-u$UID` is read from the raw text; a quoted `"-D"` from its value
        from_raw = raw.startswith("-") or value is None
        text = raw if from_raw else value
        if only_operands or not text.startswith("-") or text == "-":
            parsed.operands.append(i)
        elif text == "--":
            only_operands = True
        elif text.startswith("--"):
            name, eq, inline = text[2:].partition("=")
            if name not in long:
                raise Refusal(word.start, f"{tool} option `{raw}` is not a BusyBox {tool} option dockerfix knows: translate it by hand")
            letter = long[name]
            if not short.get(letter, False):
                if eq:
                    raise Refusal(word.start, f"{tool} option `--{name}` takes no value: translate it by hand")
                parsed.options.append(Option(letter, i))
            elif eq:
                arg_value = value.partition("=")[2] if value is not None else None
                parsed.options.append(Option(letter, i, attached=inline if from_raw else shell.quote(inline), arg_value=arg_value))
            else:
                i = _separate_arg(words, i, letter, parsed, tool)
        else:
            for position in range(1, len(text)):
                letter = text[position]
                if letter not in short:
                    if value is None and not letter.isalnum():
                        raise Refusal(word.start, f"{tool} option `{raw}` is built at run time: translate it by hand")
                    raise Refusal(word.start, f"{tool} option `-{letter}` is not a BusyBox {tool} option dockerfix knows: translate it by hand")
                if not short[letter]:
                    parsed.options.append(Option(letter, i))
                    continue
                rest = text[position + 1 :]
                if rest:
                    arg_value = value[position + 1 :] if value is not None else None
                    parsed.options.append(Option(letter, i, attached=rest if from_raw else shell.quote(rest), arg_value=arg_value))
                else:
                    i = _separate_arg(words, i, letter, parsed, tool)
                break
        i += 1
    return parsed


def _separate_arg(words: Sequence[shell.Word], i: int, letter: str, parsed: Parsed, tool: str) -> int:
    if i + 1 >= len(words):
        raise Refusal(words[i].start, f"{tool} option `{words[i].raw}` has no argument")
    parsed.options.append(Option(letter, i, arg_word=i + 1, arg_value=words[i + 1].value))
    return i + 1


def _renamed(word: shell.Word, new: str) -> str:
    """``/usr/sbin/adduser`` -> ``/usr/sbin/useradd``: the folder as written stays."""
    folder = posixpath.dirname(word.value or "")
    return posixpath.join(folder, new) if folder else new


# Alpine groups whose role has another name on Debian; and Alpine groups Debian has no counterpart of.
DEBIAN_GROUPS = {"nobody": "nogroup"}
NO_DEBIAN_GROUP = {"wheel": "Debian has no `wheel` group (its administrators' group is `sudo`): create it with groupadd first, or choose another group"}


def _debian_group(word: shell.Word, value: str | None) -> str | None:
    """The Debian name of the group ``value`` (None: unchanged)."""
    return DEBIAN_GROUPS.get(value or "")


def _missing_groups(words: Sequence[shell.Word]) -> tuple[str, ...]:
    """Groups Alpine has that Debian lacks, named by this command (reported unless the file creates them)."""
    return tuple(w.value for w in words[1:] if w.value in NO_DEBIAN_GROUP)


def _add_to_group(words: Sequence[shell.Word], tool: str, operands: list[int], replacement: dict[int, str | None]) -> Translation:
    """``adduser|addgroup USER GROUP`` -> ``usermod -aG GROUP USER``."""
    user, group = (words[i] for i in operands)
    replacement[0] = _renamed(words[0], "usermod") + " -aG"
    replacement[operands[0]] = _debian_group(group, group.value) or group.raw
    replacement[operands[1]] = user.raw
    return Translation(tool, replacement)


def translate(words: Sequence[shell.Word]) -> Translation:
    """The Debian form of one BusyBox user/group command; Refusal when it cannot be translated safely."""
    tool = tool_of(words[0])
    if tool is None:
        raise ValueError(f"not a BusyBox user tool: {words[0].raw}")
    if tool == "adduser":
        return _adduser(words)
    if tool == "addgroup":
        return _addgroup(words)
    if tool == "deluser":
        return _deluser(words)
    return _delgroup(words)


def _check_operands(words: Sequence[shell.Word], tool: str, operands: list[int], most: int) -> None:
    if not operands:
        raise Refusal(words[0].start, f"{tool} without a name: translate it by hand")
    if len(operands) > most:
        raise Refusal(words[operands[most]].start, f"{tool} with {len(operands)} names: BusyBox rejects this; translate it by hand")
    for index in operands if len(operands) > 1 else ():
        word = words[index]
        if word.value is None and not word.quoted:
            raise Refusal(word.start, f"{tool} argument `{word.raw}` is built at run time (it may hold options or several names): translate it by hand")


def _adduser(words: Sequence[shell.Word]) -> Translation:
    parsed = _parse(words, ADDUSER_SHORT, ADDUSER_LONG, "adduser")
    _check_operands(words, "adduser", parsed.operands, 2)
    letters = {o.letter for o in parsed.options}
    replacement: dict[int, str | None] = {}
    if len(parsed.operands) == 2:
        if parsed.options:
            raise Refusal(words[parsed.operands[1]].start, "adduser with options and a GROUP operand: BusyBox ignores the group; translate it by hand")
        return _add_to_group(words, "adduser", parsed.operands, replacement)
    if not letters & {"D", "S"}:
        raise Refusal(words[0].start, "adduser without -D runs passwd and asks for a password: use useradd, then set the password by hand (chpasswd)")
    create_home = "H" not in letters
    replacement[0] = _renamed(words[0], "useradd") + (" -m" if create_home else "")
    by_word: dict[int, list[str]] = {}
    for option in parsed.options:
        new = USERADD_FLAGS[option.letter]
        if option.letter == "k" and not create_home:
            new = ""
            if option.arg_word is not None:
                replacement[option.arg_word] = None
        if option.letter == "S":
            new += "" if "G" in letters else " -g nogroup"
            new += "" if "s" in letters else " -s /bin/false"
        attached = option.attached
        if option.letter == "G":
            group = _debian_group(words[option.flag_word], option.arg_value)
            if group is not None and option.arg_word is not None:
                replacement[option.arg_word] = group
            elif group is not None:
                attached = group
        if option.letter == "s" and option.arg_value in SHELL_PATHS:
            path = SHELL_PATHS[option.arg_value]
            if option.arg_word is not None:
                replacement[option.arg_word] = path
            else:
                attached = path
        if attached is not None and new:
            new += " " + (attached or "''")  # `-h/app` -> `-d /app`, `--gecos=` -> `-c ''`
        by_word.setdefault(option.flag_word, []).append(new)
    for index, parts in by_word.items():
        text = " ".join(p for p in parts if p)
        replacement[index] = text or None
    notes = []
    if "S" in letters and "u" not in letters:
        notes.append("system user: Debian counts system uids down from 999, BusyBox up from 100; add -u UID if anything depends on the number")
    user = words[parsed.operands[0]].value
    home = next((o.arg_value for o in parsed.options if o.letter == "h"), None)
    if home is None and "h" not in letters and user is not None:
        home = f"/home/{user}"
    return Translation("adduser", replacement, tuple(notes), home if create_home else None, user)


def _addgroup(words: Sequence[shell.Word]) -> Translation:
    parsed = _parse(words, ADDGROUP_SHORT, ADDGROUP_LONG, "addgroup")
    _check_operands(words, "addgroup", parsed.operands, 2)
    letters = {o.letter for o in parsed.options}
    replacement: dict[int, str | None] = {}
    if len(parsed.operands) == 2:
        if "g" in letters:
            raise Refusal(words[0].start, "addgroup -g with USER GROUP: BusyBox rejects this; translate it by hand")
        for option in parsed.options:
            replacement[option.flag_word] = None  # -S means nothing when adding a user to a group
        return _add_to_group(words, "addgroup", parsed.operands, replacement)
    replacement[0] = _renamed(words[0], "groupadd")
    by_word: dict[int, list[str]] = {}
    for option in parsed.options:
        new = "-r" if option.letter == "S" else "-g" + ("" if option.attached is None else " " + option.attached)
        by_word.setdefault(option.flag_word, []).append(new)
    for index, parts in by_word.items():
        replacement[index] = " ".join(parts)
    notes = ()
    if "S" in letters and "g" not in letters:
        notes = ("system group: Debian counts system gids down from 999, BusyBox up from 100; add -g GID if anything depends on the number",)
    return Translation("addgroup", replacement, notes)


def _deluser(words: Sequence[shell.Word]) -> Translation:
    parsed = _parse(words, {}, DELUSER_LONG, "deluser")
    _check_operands(words, "deluser", parsed.operands, 1)
    replacement: dict[int, str | None] = {0: _renamed(words[0], "userdel")}
    for option in parsed.options:
        replacement[option.flag_word] = "-r"
    return Translation("deluser", replacement)


def _delgroup(words: Sequence[shell.Word]) -> Translation:
    parsed = _parse(words, {}, {}, "delgroup")
    _check_operands(words, "delgroup", parsed.operands, 2)
    if len(parsed.operands) == 2:
        return Translation("delgroup", {0: _renamed(words[0], "gpasswd") + " -d"})
    return Translation("delgroup", {0: _renamed(words[0], "groupdel")})


# --- edits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShellResult:
    """Edits for the user/group commands of one shell text, and what to report."""

    edits: tuple[tuple[Edit, ...], ...]  # one group per translated command; offsets as mapped by the view
    changes: tuple[tuple[int, str, str], ...]  # (offset, before, after) per translated command
    findings: tuple[tuple[int, str, Severity], ...]  # (offset, message, severity)
    homes: tuple[tuple[int, str, str], ...] = ()  # (offset, user, home) created by adduser


def translate_shell(source: str, view: View | None = None) -> ShellResult:
    """Translate every BusyBox user/group command in a shell text that can be translated safely.

    ``source`` is the text the edits apply to; ``view`` the shell text inside it (default: all of it).
    """
    view = view or View(source, lambda i: i)
    if not re.search(r"\b(?:add|del)(?:user|group)\b", view.text):
        return ShellResult((), (), ())
    try:
        script = shell.parse(view.text)
    except shell.ShellSyntaxError as exc:
        return ShellResult((), (), ((view.span(0, 0)[0], f"shell text could not be read ({exc}); user commands not translated", Severity.WARNING),))
    edits: list[tuple[Edit, ...]] = []
    changes = []
    findings = []
    homes = []
    for command in script.commands:
        words = command.words
        if not words or tool_of(words[0]) is None:
            continue
        start = view.span(command.start, command.start)[0]
        try:
            translation = translate(words)
        except Refusal as exc:
            findings.append((view.span(exc.offset, exc.offset)[0], exc.message, Severity.WARNING))
            continue
        edits.append(tuple(_word_edits(source, view, words, translation.words)))
        changes.append((start, " ".join(w.raw for w in words), _render(words, translation.words)))
        findings.extend((start, note, Severity.INFO) for note in translation.notes)
        for group in _missing_groups(words):
            if not re.search(rf"\b(?:addgroup|groupadd)(?:\s+-\S+(?:\s+\d+)?)*\s+{group}\b", source[: view.span(command.end, command.end)[0]]):  # created (so far): fine
                findings.append((start, NO_DEBIAN_GROUP[group], Severity.WARNING))
        if translation.home and translation.user:
            homes.append((start, translation.user, translation.home))
    return ShellResult(tuple(edits), tuple(changes), tuple(findings), tuple(homes))


def _render(words: Sequence[shell.Word], replacement: dict[int, str | None]) -> str:
    """The command as it reads after the edits, on one line (for the change report)."""
    return " ".join(
        replacement.get(i, w.raw) for i, w in enumerate(words) if replacement.get(i, "") is not None
    )


def _word_edits(source: str, view: View, words: Sequence[shell.Word], replacement: dict[int, str | None]) -> list[Edit]:
    """Replace words in place; a deleted word takes the blanks (and line breaks) before it, not a comment line."""
    edits = []
    for index, new in sorted(replacement.items()):
        word = words[index]
        start, end = view.span(word.start, word.end)
        if new is not None:
            if new != word.raw:
                edits.append(Edit(start, end, new))
            continue
        before = view.span(words[index - 1].end, words[index - 1].end)[0]
        if not _COMMENT_LINE.search(source, before, start):
            start = before
        edits.append(Edit(start, end, ""))
    return edits


# --- the rule -----------------------------------------------------------------------------


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    for stage, ins in ctx.migrated_instructions("RUN"):
        views = run_views(ctx.df, ins)
        if views is None:
            if re.search(r'"(?:/usr/sbin/)?(?:add|del)(?:user|group)"', ctx.df.text[ins.start : ins.end]):
                out.findings.append(Finding(RULE_ID, ins.line, "exec-form RUN calls a BusyBox user tool: translate it by hand"))
            continue
        if isinstance(views, str):
            continue
        for view in views:
            result = translate_shell(ctx.df.text, view)
            out.fixes.extend(Fix(group) for group in result.edits if group)
            for offset, before, after in result.changes:
                out.changes.append(Change(RULE_ID, ctx.line_of(offset), before, after))
            for offset, message, severity in result.findings:
                out.findings.append(Finding(RULE_ID, ctx.line_of(offset), message, severity))
            for offset, user, home in result.homes:
                if _exists_before(ctx, stage, ins, home):
                    out.findings.append(Finding(RULE_ID, ctx.line_of(offset), f"{home} exists before this command: BusyBox adduser made it {user}'s (chown, chmod 2755), useradd -m leaves it as it is; add `chown {user}: {home}` if {user} must own it"))
    return out


def _exists_before(ctx: DockerfileContext, stage: Stage, ins: Instruction, home: str) -> bool:
    """Does a WORKDIR, COPY or ADD earlier in the stage (or the stages it is built FROM) create ``home``?"""
    target = posixpath.normpath(home)
    chain = [stage]
    while chain[-1].parent is not None:
        chain.append(ctx.stages[chain[-1].parent])
    for earlier in (i for s in reversed(chain) for i in s.instructions):
        if earlier is ins:
            return False
        if earlier.keyword not in WORKDIR_LIKE or earlier.is_json:
            continue
        words = ctx.df.text[earlier.args_start : earlier.args_end].split()
        if words and posixpath.normpath(words[-1]) == target:
            return True
    return False
