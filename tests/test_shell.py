"""Tests for rewriter.shell: word splitting with exact offsets."""

from __future__ import annotations

import gc
import re
import shutil
import subprocess
import time
from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rewriter.shell import RESERVED, Command, Script, ShellSyntaxError, Word, parse, quote


def only_command(text: str) -> Command:
    script = parse(text)
    assert len(script.commands) == 1, script.commands
    return script.commands[0]


def word_triples(text: str) -> list[tuple[str, str | None, bool]]:
    return [(w.raw, w.value, w.quoted) for w in only_command(text).words]


def redirect_texts(text: str, command: Command) -> list[str]:
    return [text[a:b] for a, b in command.redirects]


def check_invariants(script: Script) -> None:
    """Spans are in bounds, ordered, non-overlapping and match the raw text."""
    text = script.text
    previous_end = 0
    for command in script.commands:
        parts: list[tuple[int, int]] = []
        for word in (*command.assignments, *command.words):
            assert 0 <= word.start < word.end <= len(text)
            assert text[word.start : word.end] == word.raw
            if word.value is not None and not word.quoted:
                assert word.value == word.raw  # nothing to remove from an unquoted static word
            parts.append((word.start, word.end))
        for start, end in command.redirects:
            assert 0 <= start < end <= len(text)
            parts.append((start, end))
        parts.sort()
        assert parts, command
        for (_, end), (start, _) in zip(parts, parts[1:]):
            assert end <= start
        assert (command.start, command.end) == (parts[0][0], max(e for _, e in parts))
        assert previous_end <= command.start
        previous_end = command.end
        if command.sep_after_span is not None:
            start, end = command.sep_after_span
            assert command.end <= start and text[start:end] == command.sep_after
        if command.sep_before_span is not None:
            start, end = command.sep_before_span
            assert end <= command.start and text[start:end] == command.sep_before
        assert command.in_compound == (command.depth > 0)
    word_spans = [(w.start, w.end) for c in script.commands for w in (*c.words, *c.assignments)]
    for start, end in (*script.comments, *script.heredoc_bodies):
        assert 0 <= start <= end <= len(text)
        assert all(e <= start or end <= s for s, e in word_spans)
    for start, end in script.comments:
        assert text[start] == "#" and "\n" not in text[start:end]


# ---------------------------------------------------------------------------
# Words, quoting and expansions

WORDS = [
    ("echo hello  world", [("echo", "echo", False), ("hello", "hello", False), ("world", "world", False)]),
    ("echo 'a b' \"c d\"", [("echo", "echo", False), ("'a b'", "a b", True), ('"c d"', "c d", True)]),
    ('echo "a\\"b\\\\c\\$d\\`e"', [("echo", "echo", False), ('"a\\"b\\\\c\\$d\\`e"', 'a"b\\c$d`e', True)]),
    ('echo "a\\nb"', [("echo", "echo", False), ('"a\\nb"', "a\\nb", True)]),  # \n is not an escape in ""
    ("echo a\\ b \\$x", [("echo", "echo", False), ("a\\ b", "a b", True), ("\\$x", "$x", True)]),
    ("echo pre'mid'\"post\"", [("echo", "echo", False), ("pre'mid'\"post\"", "premidpost", True)]),
    ("echo '' \"\"", [("echo", "echo", False), ("''", "", True), ('""', "", True)]),
    ("echo \"it's\" 'say \"hi\"'", [("echo", "echo", False), ('"it\'s"', "it's", True), ("'say \"hi\"'", 'say "hi"', True)]),
    ("echo a#b", [("echo", "echo", False), ("a#b", "a#b", False)]),
    ("echo x\\", [("echo", "echo", False), ("x\\", "x\\", True)]),  # trailing backslash stays literal
    ("ec\\\nho hi", [("ec\\\nho", "echo", True), ("hi", "hi", False)]),  # continuation inside a word
    ("echo a \\\n b", [("echo", "echo", False), ("a", "a", False), ("b", "b", False)]),
    ("echo --opt=a:b,c.d/e@f%g+h", [("echo", "echo", False), ("--opt=a:b,c.d/e@f%g+h", "--opt=a:b,c.d/e@f%g+h", False)]),
    ("echo ünïcødé", [("echo", "echo", False), ("ünïcødé", "ünïcødé", False)]),
    # expansions make a word dynamic
    ("echo $VAR", [("echo", "echo", False), ("$VAR", None, False)]),
    ("echo ${VAR:-x y}", [("echo", "echo", False), ("${VAR:-x y}", None, False)]),
    ('echo "${a:-"b c"}"d', [("echo", "echo", False), ('"${a:-"b c"}"d', None, True)]),
    ("echo ${a#'}'}", [("echo", "echo", False), ("${a#'}'}", None, False)]),
    ('echo "$HOME"/x', [("echo", "echo", False), ('"$HOME"/x', None, True)]),
    ("echo $1 $@ $? $$", [("echo", "echo", False), ("$1", None, False), ("$@", None, False), ("$?", None, False), ("$$", None, False)]),
    ("echo $", [("echo", "echo", False), ("$", None, False)]),
    ("echo $(cat pkgs.txt)", [("echo", "echo", False), ("$(cat pkgs.txt)", None, False)]),
    ("echo $(echo ')' \")\" a\\)) tail", [("echo", "echo", False), ("$(echo ')' \")\" a\\))", None, False), ("tail", "tail", False)]),
    ('echo "$(echo "in \\"q\\"" )"x', [("echo", "echo", False), ('"$(echo "in \\"q\\"" )"x', None, True)]),
    ("echo $(case x in a) echo 1;; esac) z", [("echo", "echo", False), ("$(case x in a) echo 1;; esac)", None, False), ("z", "z", False)]),
    ("echo $(# comment )\n)", [("echo", "echo", False), ("$(# comment )\n)", None, False)]),
    ("echo `date +%s` x", [("echo", "echo", False), ("`date +%s`", None, False), ("x", "x", False)]),
    ("echo `echo \\`inner\\``", [("echo", "echo", False), ("`echo \\`inner\\``", None, False)]),
    ("echo $((1 + (2 * 3)))", [("echo", "echo", False), ("$((1 + (2 * 3)))", None, False)]),
    ("echo $((a) | b)", [("echo", "echo", False), ("$((a) | b)", None, False)]),  # subshell, not arithmetic
    ("echo $'a\\'b c'", [("echo", "echo", False), ("$'a\\'b c'", None, True)]),
    ("diff <(ls a) >(cat)", [("diff", "diff", False), ("<(ls a)", None, False), (">(cat)", None, False)]),
    # globs, brace expansion and tilde
    ("rm -rf /var/cache/apk/*", [("rm", "rm", False), ("-rf", "-rf", False), ("/var/cache/apk/*", None, False)]),
    ("echo a?b [ab] '*' \\*", [("echo", "echo", False), ("a?b", None, False), ("[ab]", None, False), ("'*'", "*", True), ("\\*", "*", True)]),
    ("[ -f x ]", [("[", "[", False), ("-f", "-f", False), ("x", "x", False), ("]", "]", False)]),
    ("echo {a,b} {1..3} {} x{y}", [("echo", "echo", False), ("{a,b}", None, False), ("{1..3}", None, False), ("{}", "{}", False), ("x{y}", "x{y}", False)]),
    ("echo ~/x a~b '~'", [("echo", "echo", False), ("~/x", None, False), ("a~b", "a~b", False), ("'~'", "~", True)]),
]


@pytest.mark.parametrize(("text", "expected"), WORDS)
def test_words(text: str, expected: list[tuple[str, str | None, bool]]) -> None:
    assert word_triples(text) == expected
    check_invariants(parse(text))


def test_word_offsets_are_exact() -> None:
    text = "  apk add  --no-cache\t'py3-pip'  "
    words = only_command(text).words
    assert [(w.start, w.end) for w in words] == [(2, 5), (6, 9), (11, 21), (22, 31)]
    assert words[3].value == "py3-pip"


SH = shutil.which("sh")


@pytest.mark.skipif(SH is None, reason="needs a POSIX sh")
@pytest.mark.parametrize(
    "text", [text for text, expected in WORDS if all(value is not None for _, value, _ in expected) and "[" not in text]
)
def test_static_values_agree_with_sh(text: str) -> None:
    """Our quote removal gives what a real shell passes to the command."""
    words = only_command(text).words
    args = " ".join(w.raw for w in words[1:])
    out = subprocess.run([SH, "-c", f"printf '%s\\0' {args}"], capture_output=True, text=True, check=True).stdout
    assert out.split("\0")[:-1] == [w.value for w in words[1:]]


# ---------------------------------------------------------------------------
# Operators and separators


def test_list_operators() -> None:
    text = "a && b || c; d | e |& f & g\nh"
    commands = parse(text).commands
    assert [c.words[0].value for c in commands] == list("abcdefgh")
    assert [c.sep_before for c in commands] == [None, "&&", "||", ";", "|", "|&", "&", "\n"]
    assert [c.sep_after for c in commands] == ["&&", "||", ";", "|", "|&", "&", "\n", None]
    for command in commands[:-1]:
        assert command.sep_after_span is not None
        start, end = command.sep_after_span
        assert text[start:end] == command.sep_after
    assert commands[1].sep_before_span == commands[0].sep_after_span == (2, 4)


def test_linebreaks_after_operators_are_not_separators() -> None:
    commands = parse("a &&\n\n b;\n c |\n d").commands
    assert [c.sep_before for c in commands] == [None, "&&", ";", "|"]


def test_operators_need_no_spaces() -> None:
    text = "a&&b||c;d|e&f"
    commands = parse(text).commands
    assert [c.words[0].raw for c in commands] == list("abcdef")
    assert [c.sep_after for c in commands] == ["&&", "||", ";", "|", "&", None]


def test_set_eux_is_an_ordinary_command() -> None:
    commands = parse("set -eux; apk add x").commands
    assert [w.value for w in commands[0].words] == ["set", "-eux"]
    assert commands[0].sep_after == ";" and commands[1].depth == 0


# ---------------------------------------------------------------------------
# Redirections and assignments

REDIRECTS = [
    ("apk add foo>=1.2", ["apk", "add", "foo"], [">=1.2"]),  # the unquoted version-constraint trap
    ("apk add foo<2 bar", ["apk", "add", "foo", "bar"], ["<2"]),
    ('apk add "foo>=1.2"', ["apk", "add", "foo>=1.2"], []),
    ("apk add 'foo<2'", ["apk", "add", "foo<2"], []),
    ("cmd >/dev/null 2>&1", ["cmd"], [">/dev/null", "2>&1"]),
    ("cmd > out.log arg", ["cmd", "arg"], ["> out.log"]),
    ("cmd >>log <in 2>>err", ["cmd"], [">>log", "<in", "2>>err"]),
    ("cmd &>/dev/null", ["cmd"], ["&>/dev/null"]),
    ("cmd &>> all.log", ["cmd"], ["&>> all.log"]),
    ('cmd <<< "a b"', ["cmd"], ['<<< "a b"']),
    ("cmd >&2 3<>rw 4<&- >|f", ["cmd"], [">&2", "3<>rw", "4<&-", ">|f"]),
    (">f echo hi", ["echo", "hi"], [">f"]),
    ("echo 2 >f", ["echo", "2"], [">f"]),  # a separated number is an argument
    ("echo a2>f", ["echo", "a2"], [">f"]),  # digits count as fd only as a whole word
    ("cmd > >(tee log)", ["cmd"], ["> >(tee log)"]),
    ("cmd < <(ls)", ["cmd"], ["< <(ls)"]),
]


@pytest.mark.parametrize(("text", "words", "redirects"), REDIRECTS)
def test_redirects(text: str, words: list[str], redirects: list[str]) -> None:
    command = only_command(text)
    assert [w.value for w in command.words] == words
    assert redirect_texts(text, command) == redirects
    check_invariants(parse(text))


def test_redirect_then_separator() -> None:
    text = "apk add x 2>/dev/null || true"
    first, second = parse(text).commands
    assert redirect_texts(text, first) == ["2>/dev/null"]
    assert first.end == text.index(" ||") and first.sep_after == "||"
    assert second.words[0].value == "true"


def test_assignments() -> None:
    text = 'FOO=1 BAR="x y" PATH+=:/bin cmd arg=1 X=2'
    command = only_command(text)
    assert [(w.raw, w.value) for w in command.assignments] == [("FOO=1", "FOO=1"), ('BAR="x y"', "BAR=x y"), ("PATH+=:/bin", "PATH+=:/bin")]
    assert [w.raw for w in command.words] == ["cmd", "arg=1", "X=2"]
    assert command.start == 0 and command.end == len(text)


def test_assignment_only_and_array() -> None:
    command = only_command("a=(1 'two' 3) b=2")
    assert [w.raw for w in command.assignments] == ["a=(1 'two' 3)", "b=2"]
    assert command.words == ()
    assert command.assignments[0].value is None
    assert [w.raw for w in only_command('"A"=1 x').words] == ['"A"=1', "x"]  # quoted name: not an assignment


# ---------------------------------------------------------------------------
# Comments and heredocs


def test_comments_only_at_word_start() -> None:
    text = "apk add x # trailing comment\necho a#b '#c' \"#d\";#e"
    script = parse(text)
    assert [text[a:b] for a, b in script.comments] == ["# trailing comment", "#e"]
    assert [w.value for w in script.commands[0].words] == ["apk", "add", "x"]
    assert [w.value for w in script.commands[1].words] == ["echo", "a#b", "#c", "#d"]


def test_heredoc_body_is_skipped() -> None:
    text = "cat <<EOF > /etc/x && apk add y\nline 'unbalanced $x\nEOF\napk del z"
    script = parse(text)
    assert [text[a:b] for a, b in script.heredoc_bodies] == ["line 'unbalanced $x\n"]
    cat, add, delete = script.commands
    assert redirect_texts(text, cat) == ["<<EOF", "> /etc/x"]
    assert [w.value for w in add.words] == ["apk", "add", "y"] and add.sep_before == "&&"
    assert [w.value for w in delete.words] == ["apk", "del", "z"] and delete.sep_before == "\n"
    check_invariants(script)


def test_heredoc_variants() -> None:
    text = "cat <<-'END' <<\"B\"\n\tbody1\n\tEND\nbody2\nB\necho done"
    script = parse(text)
    assert [text[a:b] for a, b in script.heredoc_bodies] == ["\tbody1\n", "body2\n"]
    assert [c.words[0].value for c in script.commands] == ["cat", "echo"]


def test_heredoc_line_continuation_hides_terminator() -> None:
    """In an expanding body, ``\\<newline>`` joins lines, so ``E`` is not alone."""
    text = "cat <<E\na \\\nE\nE\necho x"
    script = parse(text)
    assert [text[a:b] for a, b in script.heredoc_bodies] == ["a \\\nE\n"]
    joined = "cat <<E\n&\n\\\nE\necho y"  # "\\" + newline + "E" joins to "E"
    script = parse(joined)
    assert [joined[a:b] for a, b in script.heredoc_bodies] == ["&\n"]
    assert [c.words[0].value for c in script.commands] == ["cat", "echo"]
    quoted = "cat <<'E'\na \\\nE\necho x"
    script = parse(quoted)
    assert [quoted[a:b] for a, b in script.heredoc_bodies] == ["a \\\n"]
    assert [c.words[0].value for c in script.commands] == ["cat", "echo"]


def test_unterminated_heredoc_runs_to_end() -> None:
    text = "cat <<EOF\nno terminator"
    script = parse(text)
    assert [text[a:b] for a, b in script.heredoc_bodies] == ["no terminator"]
    assert len(script.commands) == 1


def test_here_string_is_not_a_heredoc() -> None:
    script = parse("cat <<<word\necho next")
    assert script.heredoc_bodies == ()
    assert [c.words[0].value for c in script.commands] == ["cat", "echo"]


# ---------------------------------------------------------------------------
# Compound commands

COMPOUNDS = [
    # text, [(first word, depth)] for every reported command
    (
        "if [ -f x ]; then apk add a; elif true; then b; else apk add c; fi && echo ok",
        [("[", 1), ("apk", 1), ("true", 1), ("b", 1), ("apk", 1), ("echo", 0)],
    ),
    ("if true; then if false; then deep; fi; fi", [("true", 1), ("false", 2), ("deep", 2)]),
    ("for p in a b; do apk add $p; done; after", [("apk", 1), ("after", 0)]),
    ("for p in a b\ndo\n  x\ndone", [("x", 1)]),
    ("for p; do x; done", [("x", 1)]),
    ("for ((i=0; i<3; i++)); do echo $i; done", [("echo", 1)]),
    ("while read l; do echo $l; done < file", [("read", 1), ("echo", 1)]),
    ("until false; do break; done", [("false", 1), ("break", 1)]),
    ('case "$x" in a|b) echo 1;; (*) echo 2;; esac', [("echo", 1), ("echo", 1)]),
    ("case x in\n  a) one\n     two ;;\n  *) ;;\nesac", [("one", 1), ("two", 1)]),
    ("case x in a) if y; then z; fi;; esac", [("y", 2), ("z", 2)]),
    ("case x in esac", []),
    ("case x in (esac) y;; esac", [("y", 1)]),
    ("f() { apk add x; }; f", [("apk", 1), ("f", 0)]),
    ("f ()\n{\n  x\n}", [("x", 1)]),
    ("function g { echo; }", [("echo", 1)]),
    ("function h() ( echo )", [("echo", 1)]),
    ("(cd /x && make) && y", [("cd", 1), ("make", 1), ("y", 0)]),
    ("{ a; b; } > log", [("a", 1), ("b", 1)]),
    ("{ { a; } }", [("a", 2)]),
    ("((i++)); echo", [("echo", 0)]),
    ("((a) ; (b))", [("a", 2), ("b", 2)]),  # not arithmetic: nested subshells
    ("! grep -q x f && y", [("grep", 0), ("y", 0)]),
    ("[[ -f a && $x == y || ( a < b ) ]] && echo yes", [("[[", 0), ("echo", 0)]),
    ("x=$(if a; then b; fi) c", [("c", 0)]),  # commands inside $( ) belong to a word
    ("echo if then fi", [("echo", 0)]),  # reserved words are only special first
    ("'if' x", [("if", 0)]),
    ("A=1 if", [("if", 0)]),
]


@pytest.mark.parametrize(("text", "expected"), COMPOUNDS)
def test_compounds(text: str, expected: list[tuple[str, int]]) -> None:
    script = parse(text)
    assert [(c.words[0].value, c.depth) for c in script.commands] == expected
    check_invariants(script)


def test_separators_around_compounds() -> None:
    commands = parse("a; if b; then c; fi && d").commands
    assert [(c.sep_before, c.sep_after) for c in commands] == [(None, ";"), (None, ";"), (None, ";"), ("&&", None)]


def test_double_bracket_words() -> None:
    command = parse("[[ $v =~ ^(a|b)$ && -n x ]]; y").commands[0]
    assert [w.raw for w in command.words] == ["[[", "$v", "=~", "^(a|b)$", "&&", "-n", "x", "]]"]
    assert command.sep_after == ";"


# ---------------------------------------------------------------------------
# Realistic RUN lines


def test_build_deps_run_line() -> None:
    text = (
        "set -eux; apk add --no-cache --virtual .build-deps gcc musl-dev && "
        "pip install -r requirements.txt && apk del .build-deps && rm -rf /var/cache/apk/*"
    )
    commands = parse(text).commands
    assert [[w.value for w in c.words] for c in commands] == [
        ["set", "-eux"],
        ["apk", "add", "--no-cache", "--virtual", ".build-deps", "gcc", "musl-dev"],
        ["pip", "install", "-r", "requirements.txt"],
        ["apk", "del", ".build-deps"],
        ["rm", "-rf", None],
    ]
    assert [c.sep_after for c in commands] == [";", "&&", "&&", "&&", None]
    assert all(c.depth == 0 and not c.in_compound for c in commands)
    add = commands[1]
    assert text[add.start : add.end] == "apk add --no-cache --virtual .build-deps gcc musl-dev"


def test_dynamic_package_list() -> None:
    command = only_command("apk add $(cat pkgs.txt) $EXTRA")
    assert [w.value for w in command.words] == ["apk", "add", None, None]


def test_joined_continuation_with_comment_free_text() -> None:
    text = "apk update &&     apk add --no-cache \\\n    git curl"
    first, second = parse(text).commands
    assert [w.value for w in second.words] == ["apk", "add", "--no-cache", "git", "curl"]
    assert first.sep_after == "&&"


def test_crlf_text() -> None:
    script = parse("apk add a b\r\necho c\r\n")
    assert [[w.raw for w in c.words] for c in script.commands] == [["apk", "add", "a", "b"], ["echo", "c"]]


# ---------------------------------------------------------------------------
# Errors

ERRORS = [
    ("echo 'abc", 5),
    ('echo "abc', 5),
    ("echo $(abc", 5),
    ("echo `abc", 5),
    ("echo ${abc", 5),
    ("echo $'abc", 5),
    ('echo "$(echo \'x)"', 13),
    ("echo $((1 + 2)", 5),
    ("if true; then echo", 0),
    ("for x in a; do echo; ", 0),
    ("while true; do echo; don", 0),
    ("case x in a) echo;;", 0),
    ("{ echo }", 0),
    ("(echo", 0),
    ("echo; fi", 6),
    ("echo )", 5),
    ("then x", 0),
    ("apk add x &&", 10),
    ("a | ", 2),
    ("; a", 0),
    ("a && && b", 5),
    ("echo >", 5),
    ("echo >#x", 5),
    ("{ }", 2),
    ("( )", 2),
    ("if true; then fi", 14),
    ("while; do x; done", 5),
    ("for x in a; do done", 15),
    ("a | ! b", 4),
    ("echo 2> ;", 6),
    ("echo a (", 7),
    ("f ( x", 4),
    ("if true; then x; fi y", 20),
    ("for x in a; echo; done", 12),
    ("a;; b", 1),
    ("[[ -f x", 0),
    ("in x", 0),
    ("]] x", 0),
    ("case x in (esac) ;; esac )", 25),
]


@pytest.mark.parametrize(("text", "offset"), ERRORS)
def test_syntax_errors(text: str, offset: int) -> None:
    with pytest.raises(ShellSyntaxError) as info:
        parse(text)
    assert info.value.offset == offset
    assert isinstance(info.value, ValueError)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("text", [text for text, _ in ERRORS])
def test_errors_are_errors_for_bash(text: str) -> None:
    result = subprocess.run(["bash", "-n", "-c", text], capture_output=True)
    assert result.returncode != 0


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ShellSyntaxError):
        parse("echo " + "$(" * 500 + ")" * 500)


# ---------------------------------------------------------------------------
# quote()


@pytest.mark.parametrize(
    ("word", "quoted"),
    [
        ("gcc", "gcc"),
        ("libstdc++6", "libstdc++6"),
        ("curl=7.88.1-10", "curl=7.88.1-10"),
        ("/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"),
        ("", "''"),
        ("a b", "'a b'"),
        ("foo>=1.2", "'foo>=1.2'"),
        ("$HOME", "'$HOME'"),
        ("*.pyc", "'*.pyc'"),
        ("it's", "'it'\"'\"'s'"),
        ("~", "'~'"),
        ("#x", "'#x'"),
    ],
)
def test_quote(word: str, quoted: str) -> None:
    assert quote(word) == quoted


# ---------------------------------------------------------------------------
# Properties

SHELLISH = st.text(alphabet="ab01 \t\n;&|()<>{}[]$'\"`\\#*?=~-!", max_size=40)
TOKENS = st.lists(
    st.sampled_from(
        [*sorted(RESERVED), "in", "a", "b=1", "x", "$v", "$(a)", "${v}", "'q q'", '"d $v"', "`c`",
         ";", ";;", "&&", "||", "|", "&", "\n", "(", ")", ">f", "2>&1", "<<E", "E", "#c", "))", "(("]
    ),
    max_size=25,
).map(" ".join)


@settings(max_examples=600, deadline=None)
@given(st.one_of(SHELLISH, TOKENS))
@example("cat <<E\nE\n")
@example("a=(b) c")
@example("$((")
def test_parse_is_total_and_spans_are_consistent(text: str) -> None:
    try:
        script = parse(text)
    except ShellSyntaxError as error:
        assert 0 <= error.offset <= len(text)
        return
    check_invariants(script)


SAFE_IN_COMMAND_POSITION = st.text(alphabet=st.characters(blacklist_characters="\x00")).filter(
    lambda s: s not in RESERVED and not re.match(r"[A-Za-z_][A-Za-z0-9_]*\+?=", s)
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00")))
@example("it's")
@example("a=b")
@example("if")
def test_quote_round_trips_as_argument(s: str) -> None:
    assert parse("x " + quote(s)).commands[0].words[1].value == s


@settings(max_examples=400, deadline=None)
@given(SAFE_IN_COMMAND_POSITION)
@example("\n")
@example("-")
def test_quote_round_trips_in_command_position(s: str) -> None:
    assert parse(quote(s)).commands[0].words[0].value == s


def test_bare_assignment_like_words_stay_bare() -> None:
    """``pkg=version`` must stay readable in emitted apt-get lines."""
    script = parse("apt-get install -y " + quote("curl=7.88"))
    assert [w.value for w in script.commands[0].words][-1] == "curl=7.88"


# ---------------------------------------------------------------------------
# Linear time

SCALING_INPUTS = {
    "run_line": lambda n: "apk add --no-cache gcc 'a b' \"$X\" ${Y:-z} $(cat f) && " * (n // 55) + "true",
    "many_commands": lambda n: "a;" * (n // 2),
    "long_cond_word": lambda n: "[[ " + "a(" * (n // 2) + " ]]",
    "nested_subshells": lambda n: "(" * (n // 6) + "a" + ") ; b" * (n // 6 - 1) + ")",
    "long_dquote": lambda n: 'echo "' + "$a " * (n // 3) + '"',
    "braces": lambda n: "echo " + "a{" * (n // 4) + "}" * (n // 4),
    "continuations": lambda n: "echo " + "a\\\n" * (n // 3),
    "heredoc": lambda n: "cat <<E\n" + "a\\\n" * (n // 3) + "E\n",
    "heredoc_tabs": lambda n: "cat <<-E\n" + "\t\\\n" * (n // 3) + "E\n",
    "comments": lambda n: "# c\n" * (n // 4),
}


def _best_time(text: str) -> float:
    best = float("inf")
    for _ in range(5):
        gc.disable()  # collector pauses grow with live objects and blur the measurement
        try:
            started = time.perf_counter()
            parse(text)
            best = min(best, time.perf_counter() - started)
        finally:
            gc.enable()
    return best


@pytest.mark.parametrize("make", SCALING_INPUTS.values(), ids=SCALING_INPUTS.keys())
def test_time_grows_linearly(make: Callable[[int], str]) -> None:
    """8x the input must cost about 8x the time; quadratic code would cost 64x.

    A complexity guard, not a speed target (those are in bench/): the bound sits between
    linear and quadratic with room for a loaded machine.
    """
    small, large = make(20_000), make(160_000)
    assert _best_time(large) < 32 * max(_best_time(small), 1e-3)


def test_one_megabyte_run_line() -> None:
    """About 0.4 s on a slow 2-core box; the generous bound only catches a blow-up."""
    chunk = (
        'apk add --no-cache --virtual .build-deps gcc musl-dev "py3-foo>=1.2" libffi-dev '
        "&& pip install -r requirements.txt && apk del .build-deps; "
    )
    line = chunk * (1_000_000 // len(chunk) + 1)
    started = time.perf_counter()
    script = parse(line)
    assert time.perf_counter() - started < 10.0
    assert len(script.commands) == 3 * line.count("; ")
    assert script.commands[-1].words[-1].end == len(line) - 2
