"""POSIX-shell word splitter with exact source offsets, for RUN instructions.

Rules need to know where each word of an ``apk`` command sits so they can
replace exactly those characters; they also need to know when a word is not
what it looks like (``apk add foo>=1.2`` redirects to a file ``=1.2``) and when
a command sits inside a compound (``if``/``for``/``{ }``) where editing it is
unsafe.  The input is the logical RUN text (continuations already joined).

This is a hand-written, single-pass lexer driven by a small state-machine
parser: every character is consumed once, so long lines stay linear.  Command
and process substitutions are parsed recursively (to find their true end) but
the commands inside them are not reported: they belong to a word.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

__all__ = ["RESERVED", "Command", "Script", "ShellSyntaxError", "Word", "parse", "quote"]

# Words that are special (or errors, like ``in``) at command position.
RESERVED = frozenset(
    "if then elif else fi for in do done while until case esac select function { } ! [[ ]]".split()
)
_MAX_NESTING = 64  # $( ${ " ` nesting; keeps the recursion far below Python's limit

_BLANKS = re.compile(r"(?:[ \t\r]|\\\n)+")  # \r: CRLF files; \<newline>: continuation
_DIGITS = re.compile(r"[0-9]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
# Runs of characters with no special meaning, consumed in one step for speed.
_PLAIN = re.compile(r"[^ \t\r\n;&|()<>\\'\"`$*?\[\]{}~]+")
_FAST = re.compile(
    r"[ \t\r]*(?:([^ \t\r\n;&|()<>\\'\"`$*?\[\]{}~#][^ \t\r\n;&|()<>\\'\"`$*?\[\]{}~]*)"
    r"|(;;&|;;|;&|;|&&|&(?![&>])|\|\||\|&|\||\)))"
)
_WORD_ENDS = frozenset(" \t\r\n;&|)<>")
_DQ_PLAIN = re.compile(r"[^\"\\$`]+")
_BRACE_PLAIN = re.compile(r"[^}\\'\"$`]+")
_ARITH_PLAIN = re.compile(r"[^()\\'\"$`]+")
_BACKTICK_PLAIN = re.compile(r"[^`\\]+")
_ANSI_PLAIN = re.compile(r"[^'\\]+")

_METACHARS = frozenset(" \t\r\n;&|()<>")
_SEPARATORS = frozenset({";", "&", "&&", "||", "|", "|&", "\n"})
_CASE_ENDS = frozenset({";;", ";&", ";;&"})
_OPERATORS = frozenset({";;&", ";;", ";&", ";", "&&", "&", "||", "|&", "|", "(", ")"})
_REDIRECTS = ("&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", "<", ">>", ">|", ">&", ">")


class ShellSyntaxError(ValueError):
    """The text is not valid shell; ``offset`` points at the culprit."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.offset = offset


@dataclass(frozen=True)
class Word:
    """One shell word.

    ``value`` is the word after quote removal when nothing in it is expanded
    at run time (no ``$``, backticks, unquoted globs, brace expansion or
    tilde); otherwise None, meaning "do not reason about this word".
    ``quoted`` is true when any quote or backslash appears in ``raw``.
    """

    raw: str
    start: int
    end: int
    value: str | None
    quoted: bool


@dataclass(frozen=True)
class Command:
    """One simple command.

    ``words`` may be empty (``FOO=1`` or ``>file`` alone).  Redirections and
    leading assignments are not in ``words``.  ``sep_before``/``sep_after`` are
    the list operators around it; None at the start/end of a list (after a
    reserved word like ``then``, before ``)``, ``}`` or the end of the text).
    ``depth`` counts the enclosing compounds.  ``[[ ... ]]`` is reported as a
    command; ``(( ... ))`` and redirections of a whole compound are not.
    """

    words: tuple[Word, ...]
    start: int
    end: int
    assignments: tuple[Word, ...]
    redirects: tuple[tuple[int, int], ...]
    sep_before: str | None
    sep_after: str | None
    sep_after_span: tuple[int, int] | None
    depth: int
    in_compound: bool
    sep_before_span: tuple[int, int] | None = None


@dataclass(frozen=True)
class Script:
    """Everything found at the top level; nothing inside ``$( )`` is listed."""

    text: str
    commands: tuple[Command, ...]
    comments: tuple[tuple[int, int], ...]
    heredoc_bodies: tuple[tuple[int, int], ...]


@lru_cache(maxsize=256)
def parse(text: str) -> Script:
    """Split ``text`` into simple commands, words, redirections and comments.

    Several rules read the same RUN text, so the (immutable) result is kept for the next one.
    """
    lexer = _Lexer(text)
    commands = _Parser(lexer).run_script()
    return Script(
        text=text,
        commands=tuple(commands),
        comments=tuple(lexer.comments),
        heredoc_bodies=tuple(lexer.heredoc_bodies),
    )


def quote(word: str) -> str:
    """Quote ``word`` for use as an argument: bare when safe, else single quotes.

    Argument position only: ``curl=7.88`` stays bare (an apt version pin), even
    though as the first word of a command it would be an assignment.
    """
    return shlex.quote(word)


# --------------------------------------------------------------------------
# Lexer


class _Token(NamedTuple):
    kind: str  # "word", "op", "redir", "arith", "eof"
    text: str  # operator text ("\n" for newline); raw text otherwise
    start: int
    end: int
    word: Word | None = None


class _Lexer:
    """Produces tokens on demand; the parser says whether ``((`` or ``[[`` apply."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.nesting = 0
        self.arith_failed_at = -1
        self.comments: list[tuple[int, int]] = []
        self.heredoc_bodies: list[tuple[int, int]] = []
        self.pending_heredocs: list[tuple[str, bool, bool]] = []  # delimiter, <<-, body expands

    # -- tokens ------------------------------------------------------------

    def next(self, cmd_pos: bool = False, cond: bool = False) -> _Token:
        text = self.text
        m = None if cond else _FAST.match(text, self.i)
        if m:  # fast path for the common case: a plain unquoted word or a list operator
            if m.lastindex == 2:
                start, end = m.span(2)
                self.i = end
                return _Token("op", m.group(2), start, end)
            start, end = m.span(1)
            if end >= self.n or text[end] in _WORD_ENDS and not (text[end] in "<>" and m.group(1).isdigit()):
                raw = m.group(1)
                self.i = end
                return _Token("word", raw, start, end, Word(raw, start, end, raw, False))
        while True:
            if self.i < self.n and text[self.i] in " \t\r\\":
                m = _BLANKS.match(text, self.i)
                if m:
                    self.i = m.end()
            if cond and self.i < self.n and text[self.i] == "\n":
                self.i += 1  # newlines are blanks inside [[ ]]
                self._read_heredoc_bodies()
                continue
            if self.i < self.n and text[self.i] == "#":
                end = text.find("\n", self.i)
                end = self.n if end < 0 else end
                if not self.nesting:  # comments inside $( ) belong to that word
                    self.comments.append((self.i, end))
                self.i = end
                continue
            break
        i = self.i
        if i >= self.n:
            return _Token("eof", "", i, i)
        c = text[i]
        if cond:
            return self._cond_token(i)
        if c not in "\n;&|()<>0123456789":
            return self._word_token(i)
        if c == "\n":
            self.i = i + 1
            self._read_heredoc_bodies()
            return _Token("op", "\n", i, i + 1)
        if c in "<>" and text.startswith("(", i + 1):
            return self._word_token(i)  # process substitution <(...) / >(...)
        if c in "<>" or text.startswith("&>", i):
            return self._redirect(i, i)
        if "0" <= c <= "9":
            m = _DIGITS.match(text, i)
            if m.end() < self.n and text[m.end()] in "<>":
                return self._redirect(i, m.end())
        if c in ";&|()":
            if cmd_pos and text.startswith("((", i):
                end = self._scan_arith(i + 2, i)
                if end is not None:
                    self.i = end
                    return _Token("arith", text[i:end], i, end)
            op = text[i : i + 3]
            while op not in _OPERATORS:
                op = op[:-1]
            self.i = i + len(op)
            return _Token("op", op, i, self.i)
        return self._word_token(i)

    def _cond_token(self, i: int) -> _Token:
        """Inside ``[[ ]]`` operators like ``<``, ``(`` and ``&&`` are plain words."""
        text = self.text
        if text.startswith("&&", i) or text.startswith("||", i):
            self.i = i + 2
            op = text[i : i + 2]
            return _Token("word", op, i, i + 2, Word(op, i, i + 2, op, False))
        tok = self._word_token(i, cond=True)
        if tok.start == tok.end:
            raise ShellSyntaxError(f"unexpected {text[i]!r} inside [[ ]]", i)
        return tok

    def _word_token(self, i: int, cond: bool = False) -> _Token:
        word = self._scan_word(i, cond)
        self.i = word.end
        return _Token("word", word.raw, word.start, word.end, word)

    def _redirect(self, start: int, op_start: int) -> _Token:
        text = self.text
        op = next(o for o in _REDIRECTS if text.startswith(o, op_start))
        m = _BLANKS.match(text, op_start + len(op))
        i = m.end() if m else op_start + len(op)
        process_substitution = text.startswith(("<(", ">("), i)
        if i >= self.n or text[i] == "#" or (text[i] in _METACHARS and not process_substitution):
            raise ShellSyntaxError(f"missing target after redirection {op!r}", op_start)
        target = self._scan_word(i, cond=False)
        self.i = target.end
        if op in ("<<", "<<-"):
            self.pending_heredocs.append((_heredoc_delimiter(target), op == "<<-", not target.quoted))
        return _Token("redir", text[start : target.end], start, target.end, target)

    def _read_heredoc_bodies(self) -> None:
        """Skip the bodies of heredocs started on the line that just ended.

        In an expanding body ``\\<newline>`` joins lines, and the joined line is
        what must equal the delimiter.  Only a delimiter-sized prefix of a
        joined line is kept, so long chains of continued lines stay linear.
        """
        text = self.text
        for delimiter, strip_tabs, expands in self.pending_heredocs:
            body_start = pos = line_start = self.i
            prefix: str | None = ""  # joined line so far; None once too long to match
            while pos < self.n:
                eol = text.find("\n", pos)
                eol = self.n if eol < 0 else eol
                piece = text[pos:eol]
                line = None if prefix is None else prefix + piece
                candidate = None if line is None else line.rstrip("\r")
                if candidate is not None and (candidate.lstrip("\t") if strip_tabs else candidate) == delimiter:
                    if not self.nesting:
                        self.heredoc_bodies.append((body_start, line_start))
                    self.i = min(eol + 1, self.n)
                    break
                if expands and (len(piece) - len(piece.rstrip("\\"))) % 2 == 1:
                    if line is not None:
                        kept = line[:-1].lstrip("\t") if strip_tabs else line[:-1]
                        prefix = kept if len(kept) <= len(delimiter) else None
                else:
                    prefix = ""
                    line_start = eol + 1
                pos = eol + 1
            else:  # unterminated: the shell takes the rest of the text (with a warning)
                if body_start < self.n and not self.nesting:
                    self.heredoc_bodies.append((body_start, self.n))
                self.i = self.n
        self.pending_heredocs.clear()

    # -- words -------------------------------------------------------------

    def _scan_word(self, start: int, cond: bool) -> Word:
        text, n = self.text, self.n
        i = start
        value: list[str] = []
        dynamic = quoted = False
        bracket_open = brace_open = -1
        assignment = None if cond else _ASSIGNMENT.match(text, start)
        array_at = assignment.end() if assignment else -1
        while i < n:
            m = _PLAIN.match(text, i)
            if m:
                value.append(m.group())
                i = m.end()
                if i >= n:
                    break
            c = text[i]
            if c in _METACHARS:
                if i == start and c in "<>" and text.startswith("(", i + 1):
                    i = self._scan_substitution(i + 2, i)  # process substitution
                    dynamic = True
                    continue
                if i == array_at and c == "(":
                    i = self._scan_array(i)  # bash array assignment NAME=(...)
                    dynamic = True
                    continue
                if not cond or c in " \t\r\n;" or (i - start == 2 and text.startswith("]]", start)):
                    break
                if c in "&|" and text.startswith(c, i + 1):
                    break
                value.append(c)  # <, >, (, ), single & and | are plain inside [[ ]]
                i += 1
            elif c == "\\":
                quoted = True
                if text.startswith("\n", i + 1):
                    i += 2  # line continuation: removed entirely
                elif i + 1 < n:
                    value.append(text[i + 1])
                    i += 2
                else:
                    value.append("\\")  # a trailing backslash stays literal
                    i += 1
            elif c == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote", i)
                value.append(text[i + 1 : end])
                quoted = True
                i = end + 1
            elif c == '"':
                i, dq_dynamic = self._scan_dquote(i, value)
                dynamic |= dq_dynamic
                quoted = True
            elif c == "$":
                quoted |= text.startswith(("'", '"'), i + 1)
                i = self._scan_dollar(i, in_dquote=False)
                dynamic = True
            elif c == "`":
                i = self._scan_backtick(i)
                dynamic = True
            else:
                if c in "*?":
                    dynamic = True
                elif c == "[":
                    bracket_open = i
                elif c == "]" and bracket_open >= 0:
                    dynamic = True  # [...] bracket glob
                elif c == "{":
                    brace_open = i
                elif c == "}" and brace_open >= 0:
                    inner = text[brace_open:i]
                    dynamic |= "," in inner or ".." in inner  # bash brace expansion
                    brace_open = -1
                elif c == "~" and (i == start or text[i - 1] in "=:"):
                    dynamic = True  # tilde expansion
                value.append(c)
                i += 1
        return Word(text[start:i], start, i, None if dynamic else "".join(value), quoted)

    def _enter(self, offset: int) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise ShellSyntaxError("expansions nested too deeply", offset)

    def _scan_dquote(self, start: int, value: list[str]) -> tuple[int, bool]:
        """Scan ``"..."`` from its opening quote; return (end, has_expansion)."""
        text, n = self.text, self.n
        self._enter(start)
        i = start + 1
        dynamic = False
        while True:
            m = _DQ_PLAIN.match(text, i)
            if m:
                value.append(m.group())
                i = m.end()
            if i >= n:
                raise ShellSyntaxError("unterminated double quote", start)
            c = text[i]
            if c == '"':
                self.nesting -= 1
                return i + 1, dynamic
            if c == "\\":
                if i + 1 >= n:
                    raise ShellSyntaxError("unterminated double quote", start)
                nxt = text[i + 1]
                if nxt in '$`"\\':
                    value.append(nxt)
                elif nxt != "\n":
                    value.append("\\" + nxt)
                i += 2
            elif c == "$":
                i = self._scan_dollar(i, in_dquote=True)
                dynamic = True
            else:
                i = self._scan_backtick(i)
                dynamic = True

    def _scan_dollar(self, start: int, in_dquote: bool) -> int:
        """Scan an expansion starting at ``$``; a lone ``$`` counts as one too."""
        text = self.text
        i = start + 1
        nxt = text[i] if i < self.n else ""
        if nxt == "(":
            if text.startswith("((", i):
                end = self._scan_arith(i + 2, start)
                if end is not None:
                    return end
            return self._scan_substitution(i + 1, start)
        if nxt == "{":
            return self._scan_param(start, in_dquote)
        if nxt == "'" and not in_dquote:
            return self._scan_ansi(i)
        if nxt == '"' and not in_dquote:
            return self._scan_dquote(i, [])[0]
        m = _NAME.match(text, i)
        if m:
            return m.end()
        if nxt and ("0" <= nxt <= "9" or nxt in "@*#?$!-"):
            return i + 1
        return i

    def _scan_param(self, start: int, in_dquote: bool) -> int:
        """Scan ``${...}`` including nested quotes and expansions."""
        text, n = self.text, self.n
        self._enter(start)
        i = start + 2
        while True:
            m = _BRACE_PLAIN.match(text, i)
            if m:
                i = m.end()
            if i >= n:
                raise ShellSyntaxError("unterminated ${", start)
            c = text[i]
            if c == "}":
                self.nesting -= 1
                return i + 1
            if c == "\\":
                i += 2
            elif c == "'":
                if in_dquote:
                    i += 1
                    continue
                end = text.find("'", i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote", i)
                i = end + 1
            elif c == '"':
                i = self._scan_dquote(i, [])[0]
            elif c == "$":
                i = self._scan_dollar(i, in_dquote)
            else:
                i = self._scan_backtick(i)

    def _scan_ansi(self, quote_at: int) -> int:
        """Scan bash ``$'...'`` from its quote; backslash escapes the next char."""
        text = self.text
        i = quote_at + 1
        while True:
            m = _ANSI_PLAIN.match(text, i)
            if m:
                i = m.end()
            if i >= self.n:
                raise ShellSyntaxError("unterminated $'", quote_at - 1)
            if text[i] == "'":
                return i + 1
            i += 2

    def _scan_backtick(self, start: int) -> int:
        text = self.text
        i = start + 1
        while True:
            m = _BACKTICK_PLAIN.match(text, i)
            if m:
                i = m.end()
            if i >= self.n:
                raise ShellSyntaxError("unterminated backquote", start)
            if text[i] == "`":
                return i + 1
            i += 2

    def _scan_arith(self, i: int, start: int) -> int | None:
        """Scan to the ``))`` closing an arithmetic ``((``; None if it is not one.

        ``$((a) | b)`` is a command substitution starting with a subshell: a
        ``)`` at depth zero that is not followed by another ``)`` tells.  A
        ``((`` inside a region that already failed is not retried, which keeps
        ``((((...`` linear.
        """
        text, n = self.text, self.n
        if i < self.arith_failed_at:
            return None
        self._enter(start)
        depth = 0
        while True:
            m = _ARITH_PLAIN.match(text, i)
            if m:
                i = m.end()
            if i >= n:
                raise ShellSyntaxError("unterminated ((", start)
            c = text[i]
            if c == "(":
                depth += 1
                i += 1
            elif c == ")":
                if depth == 0:
                    self.nesting -= 1
                    if text.startswith(")", i + 1):
                        return i + 2
                    self.arith_failed_at = i
                    return None
                depth -= 1
                i += 1
            elif c == "\\":
                i += 2
            elif c == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote", i)
                i = end + 1
            elif c == '"':
                i = self._scan_dquote(i, [])[0]
            elif c == "$":
                i = self._scan_dollar(i, in_dquote=False)
            else:
                i = self._scan_backtick(i)

    def _scan_substitution(self, i: int, start: int) -> int:
        """Parse ``$(...)``/``<(...)`` contents from ``i``; return the end after ``)``."""
        self._enter(start)
        self.i = i
        end = _Parser(self, closer_offset=start).run_substitution()
        self.nesting -= 1
        return end

    def _scan_array(self, i: int) -> int:
        """Scan the ``(...)`` of ``NAME=(a b c)`` from its ``(``."""
        self._enter(i)
        self.i = i + 1
        while True:
            tok = self.next(cond=False)
            if tok.kind == "eof":
                raise ShellSyntaxError("unterminated array assignment", i)
            if tok.kind == "op" and tok.text == ")":
                self.nesting -= 1
                return tok.end
            if tok.kind != "word" and tok.text != "\n":
                raise ShellSyntaxError(f"unexpected {tok.text!r} in array assignment", tok.start)


def _heredoc_delimiter(word: Word) -> str:
    """The delimiter line: the word after quote removal, never expanded."""
    if word.value is not None:
        return word.value
    return "".join(ch for ch in word.raw if ch not in "'\"\\")


# --------------------------------------------------------------------------
# Parser


@dataclass
class _Frame:
    kind: str  # "if", "loop" (while/until), "for", "case", "{", "("
    stage: str
    offset: int


@dataclass
class _Builder:
    assignments: list[Word]
    words: list[Word]
    redirects: list[tuple[int, int]]
    start: int
    end: int


_OPENERS = {"if": ("if", "cond"), "while": ("loop", "cond"), "until": ("loop", "cond"), "{": ("{", "")}
# reserved word -> (frame kind, stages it may follow, new stage; "" closes the frame)
_CONTINUATIONS = {
    "then": ("if", ("cond",), "then"),
    "elif": ("if", ("then",), "cond"),
    "else": ("if", ("then",), "else"),
    "fi": ("if", ("then", "else"), ""),
    "do": ("loop", ("cond",), "body"),
    "done": ("loop", ("body",), ""),
    "esac": ("case", ("body",), ""),
    "}": ("{", ("",), ""),
}
_COMPOUND_STARTERS = frozenset({"{", "if", "while", "until", "for", "select", "case"})


class _Parser:
    """State machine over tokens; tracks compound nesting and list operators.

    States: ``cmd`` (command position), ``args`` (inside a simple command),
    ``after`` (a compound just closed), ``for_name``/``for_head``/``for_words``,
    ``case_word``/``case_in``/``pattern``, ``func_name``/``func_head``/``func_body``.
    """

    def __init__(self, lexer: _Lexer, closer_offset: int | None = None) -> None:
        self.lx = lexer
        self.closer_offset = closer_offset  # set when parsing $( ... )
        self.stack: list[_Frame] = []
        self.state = "cmd"
        self.cur: _Builder | None = None
        self.cond = False  # inside [[ ]]
        self.cond_start = 0
        self.empty_list = False  # the current compound's command list has no command yet
        self.sep: tuple[str, tuple[int, int]] | None = None
        self.pattern_step = "start"
        self.commands: list[Command] = []
        self.handlers = {
            "cmd": self._on_cmd,
            "args": self._on_args,
            "after": self._on_after,
            "for_name": self._on_for_name,
            "for_head": self._on_for_head,
            "for_words": self._on_for_words,
            "case_word": self._on_case_word,
            "case_in": self._on_case_in,
            "pattern": self._on_pattern,
            "func_name": self._on_func_name,
            "func_head": self._on_func_head,
            "func_body": self._on_func_body,
        }

    def run_script(self) -> list[Command]:
        self._run()
        return self.commands

    def run_substitution(self) -> int:
        if not self._run():
            assert self.closer_offset is not None
            raise ShellSyntaxError("unterminated $( or <(", self.closer_offset)
        return self.lx.i

    def _run(self) -> bool:
        """Consume tokens; True when stopped by an unmatched ``)``."""
        while True:
            cmd_pos = self.state in ("cmd", "func_body", "for_name")
            tok = self.lx.next(cmd_pos=cmd_pos, cond=self.cond)
            if tok.kind == "eof":
                self._finish_command(None)
                self._check_end(tok.start)
                return False
            if tok.kind == "op" and tok.text == ")" and self._closes_substitution():
                self._finish_command(None)
                self._check_end(tok.start)
                return True
            self.handlers[self.state](tok)

    def _closes_substitution(self) -> bool:
        return (
            self.closer_offset is not None
            and not self.stack
            and self.state in ("cmd", "args", "after")
            and not self.cond
        )

    def _check_end(self, offset: int) -> None:
        if self.cond:
            raise ShellSyntaxError("unterminated [[", self.cond_start)
        if self.stack:
            frame = self.stack[-1]
            raise ShellSyntaxError(f"unterminated {frame.kind!r} compound", frame.offset)
        if self.state not in ("cmd", "args", "after"):
            raise ShellSyntaxError("unexpected end of script", offset)
        if self.state == "cmd" and self.sep and self.sep[0] in ("&&", "||", "|", "|&"):
            raise ShellSyntaxError(f"nothing after {self.sep[0]!r}", self.sep[1][0])

    # -- states --------------------------------------------------------------

    def _on_cmd(self, tok: _Token) -> None:
        top = self.stack[-1] if self.stack else None
        if top and top.kind == "for" and top.stage == "wait_do":
            if tok.kind == "op" and tok.text == "\n":
                return
            if tok.kind == "word" and tok.word and not tok.word.quoted and tok.text == "do":
                top.kind, top.stage = "loop", "body"
                self._open_list()
                return
            raise ShellSyntaxError("expected 'do'", tok.start)
        if tok.kind == "op":
            if tok.text == "\n":
                return
            if tok.text == "(":
                self._push("(", "", tok.start)
                return
            if tok.text == ")":
                self._close_paren(tok)
                return
            if tok.text in _CASE_ENDS:
                self._case_item_end(tok)
                return
            raise ShellSyntaxError(f"unexpected {tok.text!r}", tok.start)
        if tok.kind == "arith":
            self._compound_done()
            return
        if tok.kind == "redir":
            self._start_command(tok.start)
            self._add_redirect(tok)
            self.state = "args"
            return
        word = tok.word
        assert word is not None
        kw = tok.text if not word.quoted and tok.text in RESERVED else None
        if kw in _OPENERS:
            self._push(*_OPENERS[kw], tok.start)
        elif kw in _CONTINUATIONS:
            self._continue(kw, tok)
        elif kw in ("for", "select"):
            self._push("for", "head", tok.start)
            self.state = "for_name"
        elif kw == "case":
            self._push("case", "head", tok.start)
            self.state = "case_word"
        elif kw == "function":
            self.state = "func_name"
        elif kw == "!":
            if self.sep and self.sep[0] in ("|", "|&"):
                raise ShellSyntaxError("'!' must start a pipeline", tok.start)
        elif kw == "[[":
            self._start_command(tok.start)
            self._add_word(word)
            self.cond = True
            self.cond_start = tok.start
            self.state = "args"
        elif kw is not None:
            raise ShellSyntaxError(f"unexpected {kw!r}", tok.start)
        else:
            self._start_command(tok.start)
            self._add_word(word)
            self.state = "args"

    def _on_args(self, tok: _Token) -> None:
        assert self.cur is not None
        if tok.kind == "word":
            assert tok.word is not None
            self._add_word(tok.word)
            if self.cond and tok.text == "]]" and not tok.word.quoted:
                self.cond = False
        elif tok.kind == "redir":
            self._add_redirect(tok)
        elif tok.text == "(":
            self._function_header(tok)
        elif tok.text == ")":
            self._finish_command(None)
            self._close_paren(tok)
        elif tok.text in _CASE_ENDS:
            self._finish_command(tok)
            self._case_item_end(tok)
        else:
            self._finish_command(tok)
            self._separator(tok)

    def _on_after(self, tok: _Token) -> None:
        if tok.kind == "redir":
            return  # applies to the whole compound; not part of any simple command
        if tok.kind == "word":
            if tok.word and not tok.word.quoted and tok.text in _CONTINUATIONS:
                self._continue(tok.text, tok)
                return
            raise ShellSyntaxError(f"unexpected word {tok.text!r} after compound command", tok.start)
        if tok.text == ")":
            self._close_paren(tok)
        elif tok.text in _CASE_ENDS:
            self._case_item_end(tok)
        elif tok.kind == "op" and tok.text in _SEPARATORS:
            self._separator(tok)
        else:
            raise ShellSyntaxError(f"unexpected {tok.text!r} after compound command", tok.start)

    def _on_for_name(self, tok: _Token) -> None:
        if tok.kind not in ("word", "arith"):
            raise ShellSyntaxError("expected a name after 'for'", tok.start)
        self.state = "for_head"

    def _on_for_head(self, tok: _Token) -> None:
        if tok.kind == "word" and tok.text == "in":
            self.state = "for_words"
        elif tok.kind == "word" and tok.text == "do":
            self.stack[-1].kind, self.stack[-1].stage = "loop", "body"
            self._open_list()
            self.state = "cmd"
        elif tok.kind == "op" and tok.text == ";":
            self.stack[-1].stage = "wait_do"
            self.state = "cmd"
        elif not (tok.kind == "op" and tok.text == "\n"):
            raise ShellSyntaxError(f"unexpected {tok.text!r} in 'for'", tok.start)

    def _on_for_words(self, tok: _Token) -> None:
        if tok.kind == "word":
            return
        if tok.kind == "op" and tok.text in (";", "\n"):
            self.stack[-1].stage = "wait_do"
            self.state = "cmd"
            return
        raise ShellSyntaxError(f"unexpected {tok.text!r} in 'for'", tok.start)

    def _on_case_word(self, tok: _Token) -> None:
        if tok.kind != "word":
            raise ShellSyntaxError("expected a word after 'case'", tok.start)
        self.state = "case_in"

    def _on_case_in(self, tok: _Token) -> None:
        if tok.kind == "op" and tok.text == "\n":
            return
        if tok.kind == "word" and tok.text == "in":
            self.stack[-1].stage = "pattern"
            self.state = "pattern"
            self.pattern_step = "start"
            return
        raise ShellSyntaxError("expected 'in' after 'case WORD'", tok.start)

    def _on_pattern(self, tok: _Token) -> None:
        """``[(] pattern [| pattern]... )``; ``esac`` may only start a pattern list."""
        step = self.pattern_step
        is_word = tok.kind == "word"
        if step == "start" and tok.kind == "op" and tok.text == "\n":
            return
        if step == "start" and is_word and tok.text == "esac" and tok.word and not tok.word.quoted:
            self.stack.pop()
            self._compound_done()
        elif step == "start" and tok.kind == "op" and tok.text == "(":
            self.pattern_step = "open"
        elif step != "word" and is_word:
            self.pattern_step = "word"
        elif step == "word" and tok.kind == "op" and tok.text == "|":
            self.pattern_step = "bar"
        elif step == "word" and tok.kind == "op" and tok.text == ")":
            self.stack[-1].stage = "body"
            self.state = "cmd"
            self.sep = None
        else:
            raise ShellSyntaxError(f"unexpected {tok.text!r} in case pattern", tok.start)

    def _on_func_name(self, tok: _Token) -> None:
        if tok.kind != "word":
            raise ShellSyntaxError("expected a function name", tok.start)
        self.state = "func_head"

    def _on_func_head(self, tok: _Token) -> None:
        if tok.kind == "op" and tok.text == "(":
            self._expect_close_paren()
            self.state = "func_body"
        else:
            self._on_func_body(tok)

    def _on_func_body(self, tok: _Token) -> None:
        if tok.kind == "op" and tok.text == "\n":
            return
        starts_compound = (
            (tok.kind == "op" and tok.text == "(")
            or (tok.kind == "word" and tok.word and not tok.word.quoted and tok.text in _COMPOUND_STARTERS)
        )
        if not starts_compound:
            raise ShellSyntaxError("expected a compound command as function body", tok.start)
        self.state = "cmd"
        self._on_cmd(tok)

    # -- helpers -------------------------------------------------------------

    def _push(self, kind: str, stage: str, offset: int) -> None:
        self.stack.append(_Frame(kind, stage, offset))
        self._open_list()

    def _open_list(self) -> None:
        """A new command list starts (after ``then``, ``do``, ``{`` ...)."""
        self.sep = None
        self.empty_list = True

    def _compound_done(self) -> None:
        self.sep = None
        self.empty_list = False
        self.state = "after"

    def _check_list_not_empty(self, tok: _Token) -> None:
        if self.empty_list:
            raise ShellSyntaxError(f"no command before {tok.text!r}", tok.start)

    def _continue(self, kw: str, tok: _Token) -> None:
        kind, stages, new_stage = _CONTINUATIONS[kw]
        top = self.stack[-1] if self.stack else None
        if top is None or top.kind != kind or top.stage not in stages:
            raise ShellSyntaxError(f"unexpected {kw!r}", tok.start)
        if kw != "esac":  # only case items may be empty
            self._check_list_not_empty(tok)
        if new_stage:
            top.stage = new_stage
            self._open_list()
            self.state = "cmd"
        else:
            self.stack.pop()
            self._compound_done()

    def _close_paren(self, tok: _Token) -> None:
        if not self.stack or self.stack[-1].kind != "(":
            raise ShellSyntaxError("unexpected ')'", tok.start)
        self._check_list_not_empty(tok)
        self.stack.pop()
        self._compound_done()

    def _case_item_end(self, tok: _Token) -> None:
        top = self.stack[-1] if self.stack else None
        if top is None or top.kind != "case" or top.stage != "body":
            raise ShellSyntaxError(f"unexpected {tok.text!r} outside case", tok.start)
        top.stage = "pattern"
        self.state = "pattern"
        self.pattern_step = "start"
        self.sep = None

    def _separator(self, tok: _Token) -> None:
        self.sep = (tok.text, (tok.start, tok.end))
        self.state = "cmd"

    def _function_header(self, tok: _Token) -> None:
        cur = self.cur
        assert cur is not None
        if len(cur.words) != 1 or cur.assignments or cur.redirects or cur.words[0].value is None:
            raise ShellSyntaxError("unexpected '('", tok.start)
        self._expect_close_paren()
        self.cur = None
        self.state = "func_body"

    def _expect_close_paren(self) -> None:
        tok = self.lx.next()
        if tok.kind != "op" or tok.text != ")":
            raise ShellSyntaxError("expected ')' in function definition", tok.start)

    def _start_command(self, start: int) -> None:
        self.cur = _Builder([], [], [], start, start)

    def _add_word(self, word: Word) -> None:
        cur = self.cur
        assert cur is not None
        if not cur.words and not self.cond and _ASSIGNMENT.match(word.raw):
            cur.assignments.append(word)
        else:
            cur.words.append(word)
        cur.end = word.end

    def _add_redirect(self, tok: _Token) -> None:
        assert self.cur is not None
        self.cur.redirects.append((tok.start, tok.end))
        self.cur.end = tok.end

    def _finish_command(self, sep_tok: _Token | None) -> None:
        cur = self.cur
        if cur is None:
            return
        depth = len(self.stack)
        self.commands.append(
            Command(
                words=tuple(cur.words),
                start=cur.start,
                end=cur.end,
                assignments=tuple(cur.assignments),
                redirects=tuple(cur.redirects),
                sep_before=self.sep[0] if self.sep else None,
                sep_after=sep_tok.text if sep_tok else None,
                sep_after_span=(sep_tok.start, sep_tok.end) if sep_tok else None,
                depth=depth,
                in_compound=depth > 0,
                sep_before_span=self.sep[1] if self.sep else None,
            )
        )
        self.cur = None
        self.empty_list = False
