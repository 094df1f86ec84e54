"""The commands an instruction runs, by name, with the file offset where each is called.

Rules that ask "does this stage call ``wget``?" need every command position: simple
commands of a RUN (shell form or heredoc), of a shell-form CMD/ENTRYPOINT/HEALTHCHECK,
the program of an exec-form array, commands inside ``$( )`` and inside ``sh -c '...'``
strings, and the program behind wrappers such as ``exec``, ``env`` or ``timeout``.
Commands nested in a word are reported at the start of that word (lines are what the
reports need).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from .. import shell
from ..dockerfile import Dockerfile, Instruction, logical_args
from .shellview import View, exec_elements, run_views

KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"})
SHELLS = frozenset({"sh", "ash", "bash", "dash"})
# Wrappers whose operand after their own options is another command.
_WRAPPERS = frozenset({"exec", "nohup", "command", "env", "timeout", "nice", "time", "xargs"})
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Call:
    name: str  # the command as called, without a /bin/, /usr/bin/ ... directory
    offset: int  # file offset where it is called (or of the word it is nested in)
    args: tuple[str, ...] = field(default=(), compare=False)  # its arguments (None-valued words as "\0")


def calls(df: Dockerfile, ins: Instruction) -> list[Call]:
    """Every command ``ins`` runs, in order; [] for other instructions or unreadable shell text."""
    if ins.keyword not in KEYWORDS:
        return []
    if ins.keyword == "RUN":
        views = run_views(df, ins)
        if views is None:
            return list(_exec_calls(df, ins))
        if isinstance(views, str):
            return []
        return [call for view in views for call in _shell_calls(view.text, view.at, 0)]
    logical = logical_args(df, ins)
    text = logical.text
    if ins.keyword == "HEALTHCHECK":
        head, _, rest = text.lstrip().partition(" ")
        if head.upper() != "CMD":
            return []
    if ins.is_json:
        return list(_exec_calls(df, ins))
    if ins.keyword == "HEALTHCHECK":
        skip = len(text) - len(text.lstrip()) + 3
        view = View(text[skip:], lambda i: logical.to_original(min(i + skip, len(text))))
    else:
        view = View(text, logical.to_original)
    return list(_shell_calls(view.text, view.at, 0))


def script_calls(text: str) -> list[Call]:
    """Every command a shell script runs; offsets are into ``text``."""
    return list(_shell_calls(text, lambda i: i, 0))


def base(name: str) -> str:
    """``/usr/bin/wget`` -> ``wget``; other paths (``./run.sh``) stay as they are."""
    for directory in ("/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"):
        if name.startswith(directory) and "/" not in name[len(directory) :]:
            return name[len(directory) :]
    return name


def _exec_calls(df: Dockerfile, ins: Instruction) -> Iterator[Call]:
    elements = exec_elements(df, ins) or []
    values = [e.value for e in elements]
    if not values:
        return
    yield from _argv_calls(values, elements[0].start, lambda i: elements[i].start, 0)


def _argv_calls(values: list[str], offset: int, offset_of, depth: int) -> Iterator[Call]:
    """Calls of an argument vector: its program, a wrapped program, a ``sh -c`` script."""
    index = 0
    while index < len(values):
        name = base(values[index])
        yield Call(name, offset_of(index), tuple(values[index + 1 :]))
        if name in SHELLS:
            script = _shell_c_script(values[index + 1 :])
            if script is not None and depth < _MAX_DEPTH:
                at = offset_of(index)
                yield from _shell_calls(script, lambda _i, at=at: at, depth + 1)
            return
        if name not in _WRAPPERS:
            return
        if name == "command" and index + 1 < len(values) and values[index + 1] in ("-v", "-V"):
            return  # `command -v wget` asks whether wget exists; it does not call it
        index += 1
        while index < len(values) and (values[index].startswith("-") or (name == "env" and "=" in values[index])):
            index += 1
        if name == "timeout" and index < len(values):
            index += 1  # the duration
        if name == "nice" or name == "xargs":
            return  # options with separate values: do not guess where the command starts


def _shell_c_script(args: list[str]) -> str | None:
    """The script of ``sh [-eux] -c SCRIPT``."""
    for i, arg in enumerate(args):
        if not arg.startswith("-"):
            return None
        if "c" in arg[1:] and not arg.startswith("--"):
            return args[i + 1] if i + 1 < len(args) else None
    return None


def _shell_calls(text: str, at, depth: int) -> Iterator[Call]:
    """Calls in shell text; ``at`` maps a text offset to a file offset."""
    try:
        script = shell.parse(text)
    except shell.ShellSyntaxError:
        return
    for command in script.commands:
        for word in command.assignments:
            yield from _nested(word, at, depth)
        words = command.words
        if words:
            values = [w.value if w.value is not None else "\0" for w in words]
            yield from (c for c in _argv_calls(values, at(words[0].start), lambda i: at(words[i].start), depth) if c.name != "\0")
        for word in words:
            yield from _nested(word, at, depth)


def _nested(word: shell.Word, at, depth: int) -> Iterator[Call]:
    """Commands inside ``$( )`` and backticks of a word, reported at the word."""
    if word.value is not None or depth >= _MAX_DEPTH or ("$(" not in word.raw and "`" not in word.raw):
        return
    for body in substitutions(word.raw):
        yield from (Call(c.name, at(word.start), c.args) for c in _shell_calls(body, lambda _i: 0, depth + 1))


def substitutions(raw: str) -> list[str]:
    """The bodies of the ``$( )`` and backtick command substitutions in a raw word (not in single quotes)."""
    bodies: list[str] = []
    i, n = 0, len(raw)
    in_double = False
    while i < n:
        c = raw[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and not in_double:
            end = raw.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if c == '"':
            in_double = not in_double
        elif c == "`":
            end = raw.find("`", i + 1)
            if end < 0:
                return bodies
            bodies.append(raw[i + 1 : end])
            i = end + 1
            continue
        elif raw.startswith("$(", i) and not raw.startswith("$((", i):
            end = _body_end(raw, i + 2)
            if end is None:
                return bodies
            bodies.append(raw[i + 2 : end])
            i = end + 1
            continue
        i += 1
    return bodies


def _body_end(raw: str, start: int) -> int | None:
    """Offset of the ``)`` closing a substitution whose body starts at ``start``."""
    try:
        shell.parse(raw[start:])
    except shell.ShellSyntaxError as exc:
        end = start + exc.offset
        return end if end < len(raw) and raw[end] == ")" else None
    return None
