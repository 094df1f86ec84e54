"""Read a Dockerfile into instruction spans with exact offsets into the original text.

Rules edit the original text (see ``edits.py``), so this reader never normalises
anything: it only locates.  It follows BuildKit's parser
(``frontend/dockerfile/parser``) line for line -- line splitting on ``\\n``,
continuation by a trailing escape character, comment and blank lines skipped
inside continuations, heredocs on RUN/COPY/ADD (also below ONBUILD), JSON exec
form -- so that what a rule sees is what ``docker build`` sees.  Where BuildKit
would read something we cannot represent as spans, ``DockerfileSyntaxError``
is raised instead of guessing.

Known, deliberate differences from BuildKit: unknown instructions are errors
here (BuildKit fails on them only later, when building); an instruction keyword
split by a line continuation is an error; an instruction starts at its keyword
even after a stray escape-only line, and a dangling escape at the end of the
file does not pull the blank and comment lines after it into the span (BuildKit
counts both in its line range); ``${...}`` expansions in heredoc lines are only
scanned for their extent, not rebuilt.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass

# Go's unicode.IsSpace: what BuildKit trims and splits on.  Python's str.isspace
# also accepts \x1c-\x1f, which BuildKit treats as ordinary characters.
_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_KEYWORD_END = re.compile(r"[\t\v\f\r ]")  # BuildKit's reWhitespace: ends the instruction keyword
_DIRECTIVE_WS = "\t\n\f\r "  # RE2's \s
_DIRECTIVE = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=")
_DIRECTIVE_KEYS = frozenset({"syntax", "escape", "check"})
_PLAIN = re.compile("[^'\"$\\\\" + _SPACE + "]+")  # characters the shell lexer passes through
_DQUOTE_SPECIAL = re.compile(r'["\\$]')

KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip
_JSON_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "ADD", "COPY", "VOLUME"})
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


class DockerfileSyntaxError(ValueError):
    """Input we cannot read faithfully; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Flag:
    """A leading ``--name=value`` option; ``value`` is as BuildKit reads it (quotes and
    backslashes processed), ``start:end`` spans the token as written."""

    name: str
    value: str | None
    start: int
    end: int


@dataclass(frozen=True)
class Heredoc:
    name: str  # delimiter word without quotes or dash
    strip_tabs: bool  # <<-EOF
    quoted: bool  # <<'EOF', <<"EOF": the body is not expanded
    body_start: int  # first character of the body
    body_end: int  # start of the terminator line
    end: int  # just after the terminator word


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case; as written it is text[start:keyword_end]
    start: int
    end: int  # excludes the final line terminator; includes continuation lines and heredoc bodies
    keyword_end: int
    line: int  # 1-based line of the keyword
    end_line: int
    flags: tuple[Flag, ...]
    args_start: int  # first argument character after keyword and flags (== end if none)
    heredocs: tuple[Heredoc, ...]
    is_json: bool  # exec form: the arguments are a JSON array of strings
    args_end: int  # just after the last argument character on the instruction line(s) (== end if none)
    # Original ranges whose concatenation is the instruction line from the keyword on, as
    # BuildKit joins it: continuing escape characters, line ends, comment and blank lines left out.
    segments: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Dockerfile:
    text: str
    escape: str  # "\\" or "`"
    directives: dict[str, str]  # lower-cased parser directives at the top
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class Logical:
    """Argument text as BuildKit hands it on, with the way back to file offsets."""

    text: str
    offsets: tuple[int, ...]  # offsets[i]: original offset of text[i]; the last one is the original end

    def to_original(self, i: int) -> int:
        return self.offsets[i]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Original range covering logical ``text[i:j]``; never swallows a line continuation after it."""
        if i == j:
            return self.offsets[i], self.offsets[i]
        return self.offsets[i], self.offsets[j - 1] + 1


def parse(text: str) -> Dockerfile:
    """Read ``text`` (BOM already removed) into instructions."""
    if "\n" not in text and "\r" in text.rstrip("\r"):
        # Docker splits lines at LF only: to it this is one line, and the file is no Dockerfile it can build
        raise DockerfileSyntaxError("the lines end in a carriage return alone (classic Mac line breaks), which Docker does not read as line breaks; convert the file to LF line breaks first", 1)
    lines = _split_lines(text)
    escape, directives = _read_directives(text, lines)
    instructions: list[Instruction] = []
    i = 0
    while i < len(lines):
        start, content_end = lines[i]
        first = _skip_space(text, start, content_end)
        if first == content_end or text[first] == "#":
            i += 1
            continue
        instruction, i = _read_instruction(text, lines, i, first, escape)
        instructions.append(instruction)
    return Dockerfile(text, escape, directives, tuple(instructions))


def logical_args(df: Dockerfile, ins: Instruction) -> Logical:
    """The instruction's arguments (after keyword and flags) as one line, heredoc bodies excluded."""
    parts: list[str] = []
    offsets: list[int] = []
    for seg_start, seg_end in ins.segments:
        a, b = max(seg_start, ins.args_start), min(seg_end, ins.args_end)
        if a < b:
            parts.append(df.text[a:b])
            offsets.extend(range(a, b))
    offsets.append(ins.args_end)
    return Logical("".join(parts), tuple(offsets))


# --- lines and directives ------------------------------------------------------------------


def _split_lines(text: str) -> list[tuple[int, int]]:
    """(start, content end) of every line; the content leaves out the trailing run of \\r and \\n."""
    lines = []
    pos, n = 0, len(text)
    while pos < n:
        newline = text.find("\n", pos)
        end = n if newline < 0 else newline
        while end > pos and text[end - 1] == "\r":
            end -= 1
        lines.append((pos, end))
        pos = n if newline < 0 else newline + 1
    return lines


def _skip_space(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos] in _SPACE:
        pos += 1
    return pos


def _read_directives(text: str, lines: list[tuple[int, int]]) -> tuple[str, dict[str, str]]:
    """Parser directives: only an unbroken run of ``# key=value`` lines at the very top."""
    escape = "\\"
    directives: dict[str, str] = {}
    for number, (start, end) in enumerate(lines, 1):
        line = text[_skip_space(text, start, end) : end]
        match = _DIRECTIVE.match(line)
        if not match or match.group(1).lower() not in _DIRECTIVE_KEYS:
            break
        rest = line[match.end() :]
        # RE2's `\s*=\s*(.+?)\s*$`: a blank value still captures its last blank
        value = rest.strip(_DIRECTIVE_WS) or rest[-1:]
        if not value:
            break
        key = match.group(1).lower()
        if key in directives:
            raise DockerfileSyntaxError(f"only one {key} parser directive can be used", number)
        if key == "escape":
            if value not in ("\\", "`"):
                raise DockerfileSyntaxError(f"invalid escape token {value!r}: must be ` or \\", number)
            escape = value
        directives[key] = value
    return escape, directives


# --- one instruction -----------------------------------------------------------------------


def _continuation_cut(text: str, start: int, end: int, escape: str) -> int | None:
    """Offset of the escape character that continues this line, if it does.

    BuildKit: the escape is the last character but blanks and tabs, and is not
    itself preceded by an escape character.
    """
    j = end
    while j > start and text[j - 1] in " \t":
        j -= 1
    if j > start and text[j - 1] == escape and (j - 1 == start or text[j - 2] != escape):
        return j - 1
    return None


class _Joined:
    """The instruction line as BuildKit joins it, mapped back to original offsets."""

    def __init__(self, text: str, pieces: list[tuple[int, int, int]]) -> None:
        self.pieces = [p for p in pieces if p[0] < p[1]]  # (orig start, orig end, line index)
        self.text = "".join(text[a:b] for a, b, _ in self.pieces)
        self.starts: list[int] = []
        at = 0
        for a, b, _ in self.pieces:
            self.starts.append(at)
            at += b - a

    def piece(self, i: int) -> int:
        return 0 if len(self.starts) == 1 else bisect_right(self.starts, i) - 1  # most instructions are one line

    def orig(self, i: int) -> int:
        k = self.piece(i)
        return self.pieces[k][0] + i - self.starts[k]

    def orig_end(self, i: int) -> int:
        """Original offset just after logical character ``i - 1``."""
        return self.orig(i - 1) + 1

    def line_index(self, i: int) -> int:
        return self.pieces[self.piece(i)][2]

    def segments_from(self, i: int) -> tuple[tuple[int, int], ...]:
        k = self.piece(i)
        return ((self.orig(i), self.pieces[k][1]),) + tuple((a, b) for a, b, _ in self.pieces[k + 1 :])


def _read_instruction(
    text: str, lines: list[tuple[int, int]], i: int, first: int, escape: str
) -> tuple[Instruction, int]:
    """Read the instruction whose first line is ``lines[i]`` (non-blank from ``first``)."""
    content_end = lines[i][1]
    cut = _continuation_cut(text, first, content_end, escape)
    pieces = [(first, content_end if cut is None else cut, i)]
    last = i
    while cut is not None and last + 1 < len(lines):
        last += 1
        start, content_end = lines[last]
        visible = _skip_space(text, start, content_end)
        if visible == content_end or text[visible] == "#":
            continue  # comment and blank lines inside a continuation are dropped
        cut = _continuation_cut(text, start, content_end, escape)
        pieces.append((start, content_end if cut is None else cut, last))

    joined = _Joined(text, pieces)
    line = joined.text
    end_trimmed = len(line.rstrip(_SPACE))
    kw_start, kw_end, flags, args_start = _split_command(line, 0, end_trimmed)
    if kw_start == kw_end:
        raise DockerfileSyntaxError("line continuation without an instruction", i + 1)
    keyword = line[kw_start:kw_end]
    kw_line = joined.line_index(kw_start) + 1
    if joined.piece(kw_start) != joined.piece(kw_end - 1):
        raise DockerfileSyntaxError(f"instruction keyword {keyword!r} is split by a line continuation", kw_line)
    if not keyword.isascii() or keyword.upper() not in KEYWORDS:
        raise DockerfileSyntaxError(f"unknown instruction {keyword!r}", kw_line)
    keyword = keyword.upper()

    is_json = _is_json(keyword, line, args_start, end_trimmed, kw_line)
    inner_keyword, inner_json = keyword, is_json
    if keyword == "ONBUILD":  # ONBUILD RUN <<EOF: BuildKit looks at the instruction it wraps
        sub_start, sub_end, _, sub_args = _split_command(line, args_start, end_trimmed)
        inner_keyword = line[sub_start:sub_end].upper()
        inner_json = _is_json(inner_keyword, line, sub_args, end_trimmed, kw_line)
    heredoc_words: list[tuple[str, bool, bool]] = []
    if "<<" in line and inner_keyword in _HEREDOC_KEYWORDS and not inner_json:
        heredoc_words = _heredoc_words(line, kw_line)
    heredocs = []
    for name, strip_tabs, quoted in heredoc_words:
        body_start = lines[last + 1][0] if last + 1 < len(lines) else len(text)
        while True:
            last += 1
            if last >= len(lines):
                raise DockerfileSyntaxError(f"unterminated heredoc <<{name}", kw_line)
            start, content_end = lines[last]
            word = start
            if strip_tabs:
                while word < content_end and text[word] == "\t":
                    word += 1
            if content_end - word == len(name) and text.startswith(name, word):
                break
        heredocs.append(Heredoc(name, strip_tabs, quoted, body_start, start, content_end))

    # Blank and comment lines a dangling escape swallows at the end of the file are
    # consumed, but left out of the span (BuildKit counts them in its end line).
    end_index = last if heredocs else pieces[-1][2]
    end = heredocs[-1].end if heredocs else lines[end_index][1]
    has_args = args_start < end_trimmed
    instruction = Instruction(
        keyword=keyword,
        start=joined.orig(kw_start),
        end=end,
        keyword_end=joined.orig_end(kw_end),
        line=kw_line,
        end_line=end_index + 1,
        flags=tuple(
            Flag(flag, value, joined.orig(a), joined.orig_end(b)) for a, b, flag, value in flags
        ),
        args_start=joined.orig(args_start) if has_args else end,
        heredocs=tuple(heredocs),
        is_json=is_json,
        args_end=joined.orig_end(end_trimmed) if has_args else end,
        segments=joined.segments_from(kw_start),
    )
    return instruction, last + 1


def _split_command(line: str, pos: int, end: int) -> tuple[int, int, list[tuple[int, int, str, str | None]], int]:
    """BuildKit's splitCommand on ``line[pos:end]``: keyword span, flags, start of the arguments."""
    kw_start = _skip_space(line, pos, end)
    found = _KEYWORD_END.search(line, kw_start, end)
    kw_end = found.start() if found else end
    flags = []
    pos = kw_end
    while True:
        pos = _skip_space(line, pos, end)
        if not line.startswith("--", pos) or pos + 2 > end:
            return kw_start, kw_end, flags, pos
        word_end, word = _flag_word(line, pos, end)
        if word == "--":  # end of options
            return kw_start, kw_end, flags, _skip_space(line, word_end, end)
        name, eq, value = word[2:].partition("=")
        flags.append((pos, word_end, name, value if eq else None))
        pos = word_end


def _flag_word(line: str, pos: int, end: int) -> tuple[int, str]:
    """One flag word from ``pos``: its end and its text with quotes and backslashes processed."""
    chars: list[str] = []
    quote = ""
    while pos < end:
        ch = line[pos]
        pos += 1
        if not quote and ch in _SPACE:
            return pos - 1, "".join(chars)
        if ch == quote:
            quote = ""
            continue
        if not quote and ch in "'\"":
            quote = ch
            continue
        if ch == "\\":
            if pos == end:
                quote = ""
                continue
            ch = line[pos]
            pos += 1
        chars.append(ch)
    return pos, "".join(chars)


# --- JSON exec form ------------------------------------------------------------------------


def _reject_constant(name: str) -> None:
    raise ValueError(name)  # Go's encoding/json has no NaN or Infinity


_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def _json_array(args: str, line: int) -> bool:
    """BuildKit's parseJSON: a leading JSON array (trailing text ignored) of strings only."""
    if not args.startswith("["):
        return False
    try:
        value, _ = _JSON.raw_decode(args)
    except (ValueError, RecursionError):
        return False
    if not all(isinstance(item, str) for item in value):
        raise DockerfileSyntaxError("when using JSON array syntax, arrays must be comprised of strings only", line)
    return True


def _is_json(keyword: str, line: str, args_start: int, end: int, line_number: int) -> bool:
    if keyword in _JSON_KEYWORDS:
        return _json_array(line[args_start:end], line_number)
    if keyword == "HEALTHCHECK":  # HEALTHCHECK [flags] CMD <command>: the command may be JSON
        found = _KEYWORD_END.search(line, args_start, end)
        if found:
            return _json_array(line[_skip_space(line, found.start(), end) : end], line_number)
    return False


# --- heredoc words -------------------------------------------------------------------------


def _heredoc_words(line: str, line_number: int) -> list[tuple[str, bool, bool]]:
    """(name, strip_tabs, quoted) of each ``<<WORD`` among the shell words of ``line``."""
    found = []
    try:
        for word in _shell_words(line) or ():
            digits = len(word) - len(word.lstrip("0123456789"))
            if not word.startswith("<<", digits):
                continue
            strip_tabs = word.startswith("<<-", digits)
            rest = word[digits + 2 + strip_tabs :]
            if not rest or "<" in rest:
                continue
            name = _heredoc_name(rest)
            if name is not None:
                found.append((name[0], strip_tabs, name[1]))
    except RecursionError:
        raise DockerfileSyntaxError("too deeply nested ${...} in a heredoc line", line_number) from None
    return found


def _shell_words(s: str) -> list[str] | None:
    """Words of ``s`` as BuildKit's shell lexer splits them with raw quotes and escapes,
    or None where the lexer fails (then BuildKit finds no heredocs at all)."""
    words: list[str] = []
    start: int | None = None
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch in _SPACE:
            if start is not None:
                words.append(s[start:i])
                start = None
            i += 1
            continue
        if start is None:
            start = i
        if ch == "\\":
            i += 2
        elif ch in "'\"":
            i = _quote_end(s, i)
        elif ch == "$":
            j = _dollar_end(s, i)
            if j is None:
                return None
            for k in range(i, j):  # an expansion's text is split again on blanks
                if s[k] in _SPACE:
                    if start is not None:
                        words.append(s[start:k])
                    start = None
                elif start is None:
                    start = k
            i = j
        else:
            i = _PLAIN.match(s, i).end()  # type: ignore[union-attr]
        if i < 0:
            return None
    if start is not None:
        words.append(s[start:])
    return words


def _quote_end(s: str, i: int) -> int:
    """End of the quoted string opening at ``s[i]``; -1 when it is not closed."""
    if s[i] == "'":
        j = s.find("'", i + 1)
        return j + 1 if j >= 0 else -1
    j = i + 1
    while True:
        found = _DQUOTE_SPECIAL.search(s, j)
        if not found:
            return -1
        j = found.start()
        if s[j] == '"':
            return j + 1
        if s[j] == "\\":
            if j + 1 >= len(s):
                return -1
            j += 2 if s[j + 1] in '"$\\' else 1
        else:
            end = _dollar_end(s, j)
            if end is None:
                return -1
            j = end


def _name_end(s: str, j: int) -> int:
    """End of a parameter name (BuildKit's processName)."""
    n = len(s)
    if j < n and s[j].isdecimal():
        while j < n and s[j].isdecimal():
            j += 1
        return j
    if j < n and s[j] in "@*#?-$!":
        return j + 1
    while j < n and (s[j].isalpha() or s[j].isdecimal() or s[j] == "_"):
        j += 1
    return j


def _dollar_end(s: str, i: int) -> int | None:
    """End of the ``$...`` expansion at ``s[i]``; None where BuildKit's lexer reports an error."""
    n = len(s)
    j = i + 1
    if j >= n or s[j] != "{":
        return _name_end(s, j)
    j += 1
    if j >= n or s[j] in "{}:":
        return None
    j = _name_end(s, j)
    if j >= n:
        return None
    modifier = s[j]
    j += 1
    if modifier == "}":
        return j
    if modifier == ":":
        return _stop_on(s, j + 1, "}") if j < n else None
    if modifier in "+-?#%":
        return _stop_on(s, j, "}")
    if modifier == "/":
        if j < n and s[j] == "/":
            j += 1
        pattern_end = _stop_on(s, j, "/")
        return None if pattern_end is None else _stop_on(s, pattern_end, "}")
    return None


def _stop_on(s: str, j: int, stop: str) -> int | None:
    """Just after the first unquoted ``stop`` from ``j``; None when there is none."""
    n = len(s)
    while j < n:
        ch = s[j]
        if ch == stop:
            return j + 1
        if ch in "'\"":
            j = _quote_end(s, j)
            if j < 0:
                return None
        elif ch == "$":
            end = _dollar_end(s, j)
            if end is None:
                return None
            j = end
        else:
            j += 2 if ch == "\\" else 1
    return None


def _heredoc_name(rest: str) -> tuple[str, bool] | None:
    """The delimiter word with quotes and backslashes removed, and whether it was quoted;
    None unless it is exactly one non-empty word."""
    words: list[str] = []
    word: list[str] = []
    quoted = False
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if ch in _SPACE:
            words.append("".join(word))
            word = []
            i += 1
        elif ch == "'":
            end = _quote_end(rest, i)
            if end < 0:
                return None
            word.append(rest[i + 1 : end - 1])
            quoted = True
            i = end
        elif ch == '"':
            end = _quote_end(rest, i)
            if end < 0:
                return None
            word.append(re.sub(r'\\(["$\\])', r"\1", rest[i + 1 : end - 1]))
            quoted = True
            i = end
        elif ch == "\\":
            word.append(rest[i + 1 : i + 2])
            i += 2
        else:
            word.append(ch)
            i += 1
    words.append("".join(word))
    words = [w for w in words if w]  # the lexer drops empty words
    return (words[0], quoted) if len(words) == 1 else None
