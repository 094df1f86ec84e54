"""rewriter.dockerfile: instruction spans in the original text, checked by hand and against
BuildKit's own parser (the ``dockerfile`` package wraps its Go code)."""

from __future__ import annotations

import glob
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.dockerfile import KEYWORDS, DockerfileSyntaxError, Flag, Instruction, Logical, logical_args, parse

oracle = pytest.importorskip("dockerfile")

CORPUS = sorted(glob.glob("/work/shared/corpus/files/*.Dockerfile"))


# --- helpers -------------------------------------------------------------------------------


def spans(text: str) -> list[tuple[str, str, int, int]]:
    """(keyword, span text, line, end_line) of every instruction."""
    return [(i.keyword, text[i.start : i.end], i.line, i.end_line) for i in parse(text).instructions]


def joined(text: str, ins: Instruction) -> str:
    return "".join(text[a:b] for a, b in ins.segments)


def check_invariants(text: str) -> None:
    df = parse(text)
    previous_end = -1
    for ins in df.instructions:
        assert text[ins.start : ins.keyword_end].upper() == ins.keyword
        assert ins.keyword in KEYWORDS
        assert previous_end < ins.start < ins.keyword_end <= ins.args_start <= ins.end <= len(text)
        assert ins.args_start <= ins.args_end <= ins.end
        previous_end = ins.end
        assert ins.line == text.count("\n", 0, ins.start) + 1
        assert ins.end_line == text.count("\n", 0, ins.end) + 1
        # the span stops before the line terminator, never inside it
        assert ins.end == len(text) or text[ins.end] in "\r\n"
        assert not text[ins.start : ins.end].endswith(("\n", "\r"))
        for flag in ins.flags:
            assert ins.keyword_end < flag.start < flag.end <= ins.args_start
            # a flag may be split by a line continuation ("-\\\n-platform=..."), with comment or empty
            # lines in it (BuildKit drops them): compare it joined
            joined = re.sub(r"[\\`][ \t]*\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*", "", text[flag.start : flag.end])
            assert joined.startswith("--")
        position = ins.args_end
        for heredoc in ins.heredocs:
            assert position < heredoc.body_start <= heredoc.body_end < heredoc.end <= ins.end
            terminator = text[heredoc.body_end : heredoc.end]
            assert (terminator.lstrip("\t") if heredoc.strip_tabs else terminator) == heredoc.name
            assert heredoc.body_start == text.rindex("\n", 0, heredoc.body_start) + 1
            position = heredoc.end
        if ins.heredocs:
            assert ins.end == ins.heredocs[-1].end
        check_logical(text, df.escape, ins, logical_args(df, ins))


def check_logical(text: str, escape: str, ins: Instruction, logical: Logical) -> None:
    assert len(logical.offsets) == len(logical.text) + 1
    assert logical.offsets[-1] == ins.args_end
    assert "\n" not in logical.text
    if "\r" not in text.replace("\r\n", ""):
        assert "\r" not in logical.text
    for i, ch in enumerate(logical.text):
        assert text[logical.to_original(i)] == ch
    if logical.text:
        assert logical.to_original(0) == ins.args_start
        assert logical.text == logical.text.strip(" \t\r\n\v\f")
    # what lies between two kept characters is only a continuation: the escape, blanks,
    # the line end, then whole comment, blank or escape-only lines
    end = re.escape(escape) + r"[ \t]*\r*\n"
    gap = re.compile(end + r"(?:[^\S\n]*(?:#[^\n]*)?\n|" + end + ")*")
    for a, b in zip(logical.offsets[:-2], logical.offsets[1:-1]):
        assert a < b
        if b != a + 1:
            assert gap.fullmatch(text, a + 1, b), text[a + 1 : b]


def oracle_flag(flag: Flag) -> str:
    return "--" + flag.name + ("" if flag.value is None else "=" + flag.value)


def check_against_oracle(text: str) -> None:
    """Same instructions, lines, flags, JSON form, heredocs and joined text as BuildKit."""
    commands = oracle.parse_string(text)
    df = parse(text)
    assert len(df.instructions) == len(commands)
    for ins, cmd in zip(df.instructions, commands):
        original = cmd.original.lstrip(" \t\v\f\r")  # indented only after a stray escape line
        assert ins.keyword == cmd.cmd.upper()
        if ins.line != cmd.start_line:
            # BuildKit starts at a stray escape-only line before the keyword; we start at the keyword
            stray = text.split("\n")[cmd.start_line - 1 : ins.line - 1]
            assert stray[0].strip() == df.escape
            assert all(s.strip() in ("", df.escape) or s.lstrip().startswith("#") for s in stray)
        if ins is df.instructions[-1] and not ins.heredocs:
            # BuildKit also counts the blank and comment lines a dangling escape swallows at EOF
            swallowed = text[ins.end :].split("\n")[1 : cmd.end_line - ins.end_line + 1]
            assert all(not s.strip() or s.lstrip().startswith("#") for s in swallowed)
            assert ins.end_line + len(swallowed) == cmd.end_line
        else:
            assert ins.end_line == cmd.end_line
        assert tuple(oracle_flag(f) for f in ins.flags) == cmd.flags
        line = joined(text, ins)
        if ins.keyword == "ONBUILD":
            assert original.startswith(line)
            continue
        assert ins.is_json == cmd.json
        assert [h.name for h in ins.heredocs] == [h.name for h in cmd.heredocs]
        assert [text[h.body_start : h.body_end] for h in ins.heredocs] == [h.content for h in cmd.heredocs]
        bodies = "".join(text[h.body_start : h.body_end] + h.name + "\n" for h in ins.heredocs)
        assert (line + "\n" + bodies if ins.heredocs else line) == original
        if ins.keyword in {"RUN", "CMD", "ENTRYPOINT", "SHELL", "USER", "WORKDIR"} and not ins.is_json and cmd.value:
            assert logical_args(df, ins).text == cmd.value[0]


# --- spans, checked by hand ----------------------------------------------------------------

SPAN_CASES = [
    pytest.param("FROM a\nRUN b\n", [("FROM", "FROM a", 1, 1), ("RUN", "RUN b", 2, 2)], id="simple"),
    pytest.param("FROM a\nRUN b", [("FROM", "FROM a", 1, 1), ("RUN", "RUN b", 2, 2)], id="no-final-newline"),
    pytest.param("FROM a\r\nRUN b\r\n", [("FROM", "FROM a", 1, 1), ("RUN", "RUN b", 2, 2)], id="crlf"),
    pytest.param("from a\nRun b\n", [("FROM", "from a", 1, 1), ("RUN", "Run b", 2, 2)], id="lowercase"),
    pytest.param("  FROM a\n\tRUN b  \n", [("FROM", "FROM a", 1, 1), ("RUN", "RUN b  ", 2, 2)], id="indented"),
    pytest.param("FROM\ta\nRUN\tb\n", [("FROM", "FROM\ta", 1, 1), ("RUN", "RUN\tb", 2, 2)], id="tab-after-keyword"),
    pytest.param(
        "# c\n\nFROM a\n  # c2\n\n\nRUN b\n# end\n",
        [("FROM", "FROM a", 3, 3), ("RUN", "RUN b", 7, 7)],
        id="comments-and-blank-lines-between",
    ),
    pytest.param(
        "FROM a\nRUN a \\\n  b \\\n  c\nRUN d\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN a \\\n  b \\\n  c", 2, 4), ("RUN", "RUN d", 5, 5)],
        id="continuation",
    ),
    pytest.param(
        "FROM a\r\nRUN a \\\r\n  b\r\nRUN c\r\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN a \\\r\n  b", 2, 3), ("RUN", "RUN c", 4, 4)],
        id="crlf-continuation",
    ),
    pytest.param(
        "FROM a\nRUN a \\  \t\n  b\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN a \\  \t\n  b", 2, 3)],
        id="blanks-after-escape",
    ),
    pytest.param(
        "FROM a\nRUN a \\\n# c \\\n\n  \n   # d\n b\nRUN e\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN a \\\n# c \\\n\n  \n   # d\n b", 2, 7), ("RUN", "RUN e", 8, 8)],
        id="comment-and-blank-lines-inside-continuation",
    ),
    pytest.param(
        "FROM a\nRUN a \\\nRUN b\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN a \\\nRUN b", 2, 3)],
        id="continued-into-keyword-text",
    ),
    pytest.param("FROM a\nRUN a \\", [("FROM", "FROM a", 1, 1), ("RUN", "RUN a \\", 2, 2)], id="dangling-escape-at-eof"),
    pytest.param(
        "FROM a\nRUN a \\\n# c\n\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN a \\", 2, 2)],
        id="dangling-escape-then-comments-at-eof",
    ),
    pytest.param(
        "FROM a\nRUN a \\\\\nRUN b\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN a \\\\", 2, 2), ("RUN", "RUN b", 3, 3)],
        id="escaped-escape-does-not-continue",
    ),
    pytest.param(
        "# escape=`\nFROM a\nRUN dir c:\\ `\n  /w\n",
        [("FROM", "FROM a", 2, 2), ("RUN", "RUN dir c:\\ `\n  /w", 3, 4)],
        id="backtick-escape",
    ),
    pytest.param(
        "FROM a\nRUN <<EOF\nFROM b\nRUN c\nEOF\nRUN d\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN <<EOF\nFROM b\nRUN c\nEOF", 2, 5), ("RUN", "RUN d", 6, 6)],
        id="heredoc-body-is-not-instructions",
    ),
    pytest.param(
        "FROM a\r\nRUN <<EOF\r\nx\r\nEOF\r\nRUN d\r\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN <<EOF\r\nx\r\nEOF", 2, 4), ("RUN", "RUN d", 5, 5)],
        id="heredoc-crlf",
    ),
    pytest.param(
        "FROM a\nCOPY <<EOF /dst\nx\nEOF",
        [("FROM", "FROM a", 1, 1), ("COPY", "COPY <<EOF /dst\nx\nEOF", 2, 4)],
        id="heredoc-terminator-at-eof",
    ),
    pytest.param(
        "FROM a\nRUN <<A \\\n  <<B\na\nA\nb\nB\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN <<A \\\n  <<B\na\nA\nb\nB", 2, 7)],
        id="heredocs-after-continuation",
    ),
    pytest.param(
        "FROM a\nCMD <<EOF\nRUN x\n",
        [("FROM", "FROM a", 1, 1), ("CMD", "CMD <<EOF", 2, 2), ("RUN", "RUN x", 3, 3)],
        id="no-heredoc-on-cmd",
    ),
    pytest.param(
        "FROM a\nONBUILD RUN <<EOF\nx\nEOF\n",
        [("FROM", "FROM a", 1, 1), ("ONBUILD", "ONBUILD RUN <<EOF\nx\nEOF", 2, 4)],
        id="heredoc-below-onbuild",
    ),
    pytest.param(
        "FROM a\n\\\n  RUN x\n",
        [("FROM", "FROM a", 1, 1), ("RUN", "RUN x", 3, 3)],
        id="stray-escape-line-before-keyword",
    ),
]


@pytest.mark.parametrize(("text", "expected"), SPAN_CASES)
def test_spans(text: str, expected: list) -> None:
    assert spans(text) == expected
    check_invariants(text)


@pytest.mark.parametrize(("text", "expected"), SPAN_CASES)
def test_spans_agree_with_buildkit(text: str, expected: list) -> None:
    check_against_oracle(text)


def test_keyword_and_line_fields() -> None:
    text = "FROM a\n  run --mount=type=cache,target=/root/.cache \\\n      pip install x\n"
    ins = parse(text).instructions[1]
    assert (ins.keyword, text[ins.start : ins.keyword_end], ins.line, ins.end_line) == ("RUN", "run", 2, 3)
    assert text[ins.args_start :].startswith("pip install x")
    assert text[ins.args_start : ins.args_end] == "pip install x"


def test_empty_and_comment_only_files() -> None:
    assert parse("").instructions == ()
    assert parse("# just a comment\n\n").instructions == ()


# --- parser directives ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escape", "directives"),
    [
        ("# syntax=docker/dockerfile:1\nFROM a\n", "\\", {"syntax": "docker/dockerfile:1"}),
        ("#Syntax = docker/dockerfile:1.4  \nFROM a\n", "\\", {"syntax": "docker/dockerfile:1.4"}),
        ("# escape=`\nFROM a\n", "`", {"escape": "`"}),
        ("  # ESCAPE = `\r\nFROM a\r\n", "`", {"escape": "`"}),
        ("# syntax=x\n# escape=`\n# check=skip=all\nFROM a\n", "`", {"syntax": "x", "escape": "`", "check": "skip=all"}),
        # only at the very top: a blank line, a plain comment or an unknown key ends them
        ("\n# escape=`\nFROM a\n", "\\", {}),
        ("# hello\n# escape=`\nFROM a\n", "\\", {}),
        ("# foo=bar\n# escape=`\nFROM a\n", "\\", {}),
        ("FROM a\n# escape=`\n", "\\", {}),
        ("#!/bin/sh\n# escape=`\nFROM a\n", "\\", {}),
    ],
)
def test_directives(text: str, escape: str, directives: dict) -> None:
    df = parse(text)
    assert (df.escape, df.directives) == (escape, directives)


def test_escape_directive_changes_continuation() -> None:
    text = "# escape=`\nFROM a\nRUN a \\\nRUN b `\n  c\n"
    assert [(k, line, end) for k, _, line, end in spans(text)] == [("FROM", 2, 2), ("RUN", 3, 3), ("RUN", 4, 5)]
    check_against_oracle(text)


def test_check_directive_does_not_end_directives() -> None:
    # Current BuildKit knows `check`; the BuildKit in the `dockerfile` package predates it.
    text = "# check=skip=all\n# escape=`\nFROM a\nRUN a `\n  b\n"
    assert spans(text)[1] == ("RUN", "RUN a `\n  b", 4, 5)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("# escape=x\nFROM a\n", 1),
        ("# escape=`\n# escape=\\\nFROM a\n", 2),
        ("# syntax=a\n# syntax=b\nFROM a\n", 2),
    ],
)
def test_bad_directives(text: str, line: int) -> None:
    with pytest.raises(DockerfileSyntaxError) as err:
        parse(text)
    assert err.value.line == line


# --- flags, arguments, JSON ----------------------------------------------------------------


def test_flags() -> None:
    text = (
        "FROM --platform=linux/amd64 python:3.12-alpine AS build\n"
        "RUN --mount=type=cache,target=/root/.cache \\\n"
        '    --mount="type=secret,id=a b" --network=none --privileged \\\n'
        "    pip install x\n"
        "COPY --from=build /a /b\n"
        "RUN -- --not-a-flag\n"
    )
    df = parse(text)
    got = [[(f.name, f.value, text[f.start : f.end]) for f in ins.flags] for ins in df.instructions]
    assert got == [
        [("platform", "linux/amd64", "--platform=linux/amd64")],
        [
            ("mount", "type=cache,target=/root/.cache", "--mount=type=cache,target=/root/.cache"),
            ("mount", "type=secret,id=a b", '--mount="type=secret,id=a b"'),
            ("network", "none", "--network=none"),
            ("privileged", None, "--privileged"),
        ],
        [("from", "build", "--from=build")],
        [],
    ]
    assert [logical_args(df, ins).text for ins in df.instructions] == [
        "python:3.12-alpine AS build",
        "pip install x",
        "/a /b",
        "--not-a-flag",
    ]
    check_against_oracle(text)


def test_flags_only() -> None:
    text = "FROM a\nRUN --privileged   \n"
    ins = parse(text).instructions[1]
    assert ins.args_start == ins.args_end == ins.end == len(text) - 1
    assert logical_args(parse(text), ins).text == ""


def test_flag_split_by_continuation() -> None:
    text = "FROM a\nRUN --mount=type=cache,\\\ntarget=/x echo\n"
    ins = parse(text).instructions[1]
    (flag,) = ins.flags
    assert (flag.value, text[flag.start : flag.end]) == ("type=cache,target=/x", "--mount=type=cache,\\\ntarget=/x")
    check_against_oracle(text)


@pytest.mark.parametrize(
    ("line", "is_json"),
    [
        ('RUN ["apk", "add", "x"]', True),
        ('CMD [ "a" , \\\n  "b" ]', True),
        ('ENTRYPOINT ["a"]   ', True),
        ('SHELL ["/bin/sh", "-c"]', True),
        ('HEALTHCHECK --interval=5s CMD ["curl", "x"]', True),
        ("HEALTHCHECK CMD curl x", False),
        ("HEALTHCHECK NONE", False),
        ("RUN []", True),
        ('RUN ["a"] trailing text', True),  # BuildKit decodes the first JSON value only
        ('COPY ["a b", "/c"]', True),
        ('VOLUME ["/data"]', True),
        ('RUN ["a",', False),
        ("RUN [NaN]", False),
        ("RUN echo [a]", False),
        ("RUN [ -f x ] && y", False),
        ('WORKDIR ["/a"]', False),
    ],
)
def test_json_form(line: str, is_json: bool) -> None:
    text = f"FROM a\n{line}\n"
    assert parse(text).instructions[1].is_json is is_json
    check_against_oracle(text)


def test_json_array_of_non_strings_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as err:
        parse('FROM a\n\nRUN ["a", 1]\n')
    assert err.value.line == 3


# --- heredocs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("RUN <<EOF", [("EOF", False, False)]),
        ("RUN <<-EOF", [("EOF", True, False)]),
        ("RUN <<'EOF'", [("EOF", False, True)]),
        ('RUN <<"EOF"', [("EOF", False, True)]),
        ("RUN <<-'EOF'", [("EOF", True, True)]),
        ("RUN <<E\\OF", [("EOF", False, False)]),  # BuildKit expands unless the word has quotes
        ("RUN E'O'F=1 python3 <<E'O'F", [("EOF", False, True)]),
        ("RUN python3 <<EOF", [("EOF", False, False)]),
        ("RUN cat 2<<EOF", [("EOF", False, False)]),
        ("COPY <<EOF /dst", [("EOF", False, False)]),
        ("ADD --chmod=755 <<EOF /dst", [("EOF", False, False)]),
        ("run <<EOF", [("EOF", False, False)]),
        ("RUN <<A <<-B", [("A", False, False), ("B", True, False)]),
        ("RUN echo '<<EOF'", []),
        ('RUN echo "a <<EOF"', []),
        ("RUN cat <<<EOF", []),
        ("RUN cat<<EOF", []),  # not a word of its own
        ("RUN cat << EOF", []),
        ("RUN echo a\\ <<EOF", []),  # an escaped blank joins the words
        ('RUN ["<<EOF"]', []),
        ("CMD <<EOF", []),
        ("RUN <<EOF it's", []),  # BuildKit's lexer fails on the quote: no heredocs at all
    ],
)
def test_heredoc_words(line: str, expected: list) -> None:
    bodies = "".join(("\t" if strip else "") + "body\n" + ("\t" if strip else "") + name + "\n" for name, strip, _ in expected)
    text = f"FROM a\n{line}\n{bodies}"
    ins = parse(text).instructions[1]
    assert [(h.name, h.strip_tabs, h.quoted) for h in ins.heredocs] == expected
    check_invariants(text)
    check_against_oracle(text)


def test_heredoc_offsets() -> None:
    text = "FROM a\nRUN <<A <<-B\na1\n  A\nA\n\tb1\n\t\tB\r\nRUN c"
    ins = parse(text).instructions[1]
    a, b = ins.heredocs
    assert text[a.body_start : a.body_end] == "a1\n  A\n"  # an indented name does not end <<A
    assert text[a.body_end : a.end] == "A"
    assert text[b.body_start : b.body_end] == "\tb1\n"
    assert text[b.body_end : b.end] == "\t\tB"
    assert ins.end == b.end and ins.end_line == 7
    assert logical_args(parse(text), ins).text == "<<A <<-B"
    check_against_oracle(text)


@pytest.mark.parametrize(
    "text",
    [
        "FROM a\nRUN <<EOF\nx\n",
        "FROM a\nRUN <<EOF\nx\nEOF \n",  # the terminator must be the whole line
        "FROM a\nRUN <<EOF\nx\n\tEOF\n",  # leading tabs only count with <<-
        "FROM a\nRUN <<A <<B\nA\nb\n",
    ],
)
def test_unterminated_heredoc(text: str) -> None:
    with pytest.raises(DockerfileSyntaxError) as err:
        parse(text)
    assert err.value.line == 2
    with pytest.raises(Exception, match="unterminated heredoc"):
        oracle.parse_string(text)


# --- logical text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "logical"),
    [
        ("FROM a\nRUN apk add \\\n    gcc \\\n    musl-dev\n", "apk add     gcc     musl-dev"),
        ("FROM a\r\nRUN apk add \\\r\n    gcc\r\n", "apk add     gcc"),
        ("FROM a\nRUN a \\\n  # comment \\\n\n  \t\n  b\n", "a   b"),
        ("FROM a\nRUN a\\\nb\n", "ab"),
        ("FROM a\nRUN a \\ \\\n b\n", "a \\  b"),
        ("FROM a\nRUN   a b   \n", "a b"),
        ("FROM a\nRUN a \\\n", "a"),
        ("# escape=`\nFROM a\nRUN a `\r\n  b\r\n", "a   b"),
        ("FROM a\nRUN\n", ""),
    ],
)
def test_logical_args(text: str, logical: str) -> None:
    df = parse(text)
    ins = df.instructions[-1]
    got = logical_args(df, ins)
    assert got.text == logical
    check_invariants(text)
    check_against_oracle(text)


def test_logical_span_does_not_swallow_continuations() -> None:
    text = "FROM a\nRUN apk\\\nadd x\n"
    df = parse(text)
    logical = logical_args(df, df.instructions[1])
    assert logical.text == "apkadd x"
    start, end = logical.span(0, 3)
    assert text[start:end] == "apk"
    start, end = logical.span(3, 6)
    assert text[start:end] == "add"


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("FROM a\nfoo bar\n", 2),
        ("FROM a\nRUN a\n  && b\n", 3),  # a forgotten continuation
        ("FROM a\nRUN\\\nx\n", 2),  # keyword runs on into "RUNx"
        ("FROM a\nRU\\\nN x\n", 2),  # BuildKit reads RUN; we cannot give it one span
        ("FROM a\n\\\n", 2),
        ("FROM a\n\\\n# c\n", 2),
    ],
)
def test_syntax_errors(text: str, line: int) -> None:
    with pytest.raises(DockerfileSyntaxError) as err:
        parse(text)
    assert err.value.line == line
    assert isinstance(err.value, ValueError)


# --- the corpus ----------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS, reason="corpus not available")
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.rsplit("/", 1)[-1])
def test_corpus_file(path: str) -> None:
    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    try:
        commands = oracle.parse_string(text)
    except Exception:
        pytest.skip("BuildKit rejects this file")
    unknown = [c for c in commands if c.cmd is None or c.cmd.upper() not in KEYWORDS]
    if unknown:  # BuildKit parses it but cannot build it: we must refuse at the same line
        with pytest.raises(DockerfileSyntaxError) as err:
            parse(text)
        assert err.value.line == unknown[0].start_line
        return
    check_invariants(text)
    check_against_oracle(text)


# --- random input --------------------------------------------------------------------------

_WORD_CHARS = "ab-=/$[]{}\"'\\`<#,: \t"
_words = st.text(alphabet=_WORD_CHARS, max_size=14)
_keyword = st.sampled_from(
    ["RUN", "run", "From", "COPY", "ADD", "CMD", "ENTRYPOINT", "SHELL", "ENV", "LABEL", "HEALTHCHECK", "ONBUILD", "USER", "VOLUME", "WORKDIR", "EXPOSE", "ARG"]
)


@st.composite
def _dockerfile(draw) -> str:
    escape = draw(st.sampled_from(["\\", "`"]))
    lines = ["# escape=`"] if escape == "`" else []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["instruction", "instruction", "instruction", "comment", "blank", "heredoc", "json"]))
        indent = draw(st.sampled_from(["", " ", "\t"]))
        if kind == "comment":
            lines.append(indent + "#" + draw(_words))
        elif kind == "blank":
            lines.append(indent)
        elif kind == "heredoc":
            name = draw(st.sampled_from(["EOF", "A"]))
            dash = draw(st.sampled_from(["", "-"]))
            lines.append(f"{indent}{draw(st.sampled_from(['RUN', 'COPY', 'run']))} {draw(_words)} <<{dash}{name} {draw(_words)}")
            lines.extend(draw(st.lists(st.sampled_from(["RUN x", "x", "\tEOF", "  A", "# c", ""]), max_size=3)))
            lines.append(draw(st.sampled_from(["\t", ""])) + name if dash else name)
        else:
            flags = draw(st.sampled_from(["", "--mount=type=cache,target=/x ", '--a="b c" ']))
            args = draw(_words) if kind == "instruction" else '["a", "b c"]'
            lines.append(f"{indent}{draw(_keyword)} {flags}{args}")
            for _ in range(draw(st.integers(0, 3))):
                lines[-1] += escape + draw(st.sampled_from(["", " ", "\t "]))
                lines.extend(draw(st.lists(st.sampled_from(["# c", "  # c " + escape, "", "  "]), max_size=2)))
                lines.append(draw(st.sampled_from(["", "  ", "\t"])) + draw(_words))
    endings = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines)))
    text = "".join(line + end for line, end in zip(lines, endings))
    if draw(st.booleans()) and text:
        text = text[: -len(endings[-1])]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dockerfile())
def test_random_dockerfiles_keep_invariants(text: str) -> None:
    try:
        check_invariants(text)
    except DockerfileSyntaxError:
        return


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dockerfile())
def test_random_dockerfiles_agree_with_buildkit(text: str) -> None:
    try:
        commands = oracle.parse_string(text)
    except Exception:
        return
    if any(c.cmd is None or c.cmd.upper() not in KEYWORDS for c in commands):
        with pytest.raises(DockerfileSyntaxError):
            parse(text)
        return
    check_against_oracle(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="RUNFOM \t\r\n\\`#<-'\"[]$a{}", max_size=60))
def test_arbitrary_text_raises_only_syntax_errors(text: str) -> None:
    try:
        check_invariants(text)
    except DockerfileSyntaxError:
        return


# --- speed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "FROM a\nRUN x \\\n" + "    && apk add --no-cache package-name \\\n" * 10_000 + "    && true\n",
        "FROM a\n" + "RUN echo hello world\n# comment\n\n" * 10_000,
        "FROM a\nRUN <<EOF\n" + "echo line of a long heredoc body\n" * 10_000 + "EOF\n",
        "FROM a\nRUN cat <<EOF " + "'quoted' \"text\" ${A:-b} " * 10_000 + "\nEOF\n",
        "# syntax=" + " " * 50_000 + "x\nFROM a\nRUN " + " " * 50_000 + "x" + " \\\n" * 5_000 + "\n",
    ],
    ids=["long-continuation", "many-instructions", "long-heredoc", "long-heredoc-line", "long-blank-runs"],
)
def test_linear_time(text: str) -> None:
    started = time.perf_counter()
    df = parse(text)
    for ins in df.instructions:
        logical_args(df, ins)
    assert time.perf_counter() - started < 1.0
