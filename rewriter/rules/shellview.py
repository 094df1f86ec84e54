"""The shell text and exec-form arguments an instruction runs, mapped back to file offsets.

Rules parse a piece of shell text (``rewriter.shell``) and edit words in it; a ``View``
turns offsets in that text into offsets in the Dockerfile, so every edit stays a minimal
span of the original.  Exec-form arguments (``["/sbin/tini", "--"]``) are read as JSON
string literals with their spans.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from ..dockerfile import Dockerfile, Instruction, logical_args
from ..edits import Edit

# A heredoc RUN whose body goes to a shell: ``RUN <<EOF`` or ``RUN [/bin/]sh|ash|bash [-flags] <<EOF``.
HEREDOC_SHELL = re.compile(r"^\s*(?:(?:/bin/|/usr/bin/)?(?:sh|ash|bash)(?:\s+-[a-z]+)*\s+)?<<-?(['\"]?)\w+\1\s*$")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


@dataclass(frozen=True)
class View:
    """A piece of shell text and the way back to file offsets."""

    text: str
    to_original: Callable[[int], int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        if start == end:  # an insertion point: anchor it just after the previous character
            at = self.to_original(start - 1) + 1 if start else self.to_original(0)
            return at, at
        return self.to_original(start), self.to_original(end - 1) + 1

    def at(self, offset: int) -> int:
        """The file offset of the character at ``offset`` (the last one for the end of the text)."""
        if not self.text:
            return self.to_original(0)
        return self.to_original(min(max(offset, 0), len(self.text) - 1))

    def edit(self, start: int, end: int, replacement: str) -> Edit:
        return Edit(*self.span(start, end), replacement)


def run_views(df: Dockerfile, ins: Instruction) -> list[View] | str | None:
    """The shell text(s) a RUN executes; a message when we cannot see it; None for exec form."""
    if ins.is_json:
        return None
    logical = logical_args(df, ins)
    if not ins.heredocs:
        return [View(logical.text, logical.to_original)]
    if not HEREDOC_SHELL.match(logical.text) or len(ins.heredocs) != 1:
        return "heredoc body goes to a program, not to the shell"
    body = ins.heredocs[0]
    start = body.body_start
    return [View(df.text[start : body.body_end], lambda i, start=start: start + i)]


def shell_form_view(df: Dockerfile, ins: Instruction) -> View | None:
    """The command line of a shell-form CMD/ENTRYPOINT/RUN without heredocs; None otherwise."""
    if ins.is_json or ins.heredocs:
        return None
    logical = logical_args(df, ins)
    return View(logical.text, logical.to_original)


@dataclass(frozen=True)
class Element:
    """One string of an exec-form array: its value and the span of its JSON literal in the file."""

    value: str
    start: int
    end: int
    literal: str  # as written, quotes included


def exec_elements(df: Dockerfile, ins: Instruction) -> list[Element] | None:
    """The strings of an exec-form instruction, in order; None for shell form."""
    if not ins.is_json:
        return None
    logical = logical_args(df, ins)
    elements = []
    for match in _STRING.finditer(logical.text):
        start, end = logical.span(match.start(), match.end())
        elements.append(Element(json.loads(match.group()), start, end, match.group()))
    return elements


def element_edit(df: Dockerfile, element: Element, value: str) -> Edit | None:
    """Replace an exec-form string; None when its literal is split by a line continuation."""
    if df.text[element.start : element.end] != element.literal:
        return None
    return Edit(element.start, element.end, json.dumps(value))


# Programs that run the command given after their own options: `exec su-exec app cmd`, `tini -- cmd`.
WRAPPERS = frozenset({"exec", "tini", "tini-static", "dumb-init", "env", "nohup", "time", "command", "su-exec", "gosu"})
_TAKES_USER = frozenset({"su-exec", "gosu"})  # one user[:group] argument before the command
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def command_positions(values: Sequence[str | None]) -> list[int]:
    """Indices of the words that name a program: the first, and the one after each wrapper."""
    positions = []
    i = 0
    while i < len(values):
        positions.append(i)
        name = values[i].rsplit("/", 1)[-1] if values[i] else None
        if name not in WRAPPERS:
            break
        i += 1
        while i < len(values) and values[i] is not None and (values[i].startswith("-") or (name == "env" and _ASSIGNMENT.match(values[i]))):
            i += 1
            if values[i - 1] == "--":
                break
        if name in _TAKES_USER:
            i += 1
    return positions


def changed_instruction(df: Dockerfile, ins: Instruction, edits: Sequence[Edit]) -> str:
    """The instruction's text after ``edits`` (all inside it), for a change report."""
    text = df.text[ins.start : ins.end]
    for edit in sorted(edits, reverse=True):
        text = text[: edit.start - ins.start] + edit.replacement + text[edit.end - ins.start :]
    return text
