"""Python sources: behaviour the fixtures do not show (errors, ambiguity, layout, literal escapes)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewriter.files import DOCKERFILE, PYTHON, Target, kind_of, walk
from rewriter.pysource import APK_RULE, IMAGE_RULE, _Literal, _literal_edits, fix
from rewriter.settings import Settings


def run(source: str, **settings) -> tuple[str, list[str]]:
    result = fix(textwrap.dedent(source), Settings(**settings))
    assert result.error is None, result.error
    return result.new, [f"{f.line}: {f.rule}: {f.message}" for f in result.findings]


def test_files_without_alpine_do_not_load_libcst() -> None:
    code = (
        "import sys\n"
        "from rewriter.pysource import fix\n"
        "from rewriter.settings import Settings\n"
        "r = fix('IMAGE = \"python:3.11-slim\"\\n', Settings())\n"
        "assert not r.changed and not r.findings and r.error is None\n"
        "print('libcst' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_python_files_are_found_and_named_python(tmp_path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "ci.py").write_text("x = 1\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-alpine\n")
    (tmp_path / "notes.txt").write_text("")
    assert list(walk(str(tmp_path))) == [
        Target(str(tmp_path / "Dockerfile"), DOCKERFILE),
        Target(os.path.join(str(tmp_path), "pkg", "ci.py"), PYTHON),
    ]
    assert kind_of("tools/dockerfile.py") == PYTHON
    assert kind_of("conftest.PY") == PYTHON


def test_a_file_that_does_not_parse_is_an_error_not_a_traceback() -> None:
    text = 'IMAGE = "python:3.11-alpine"\nprint "hello"\n'
    result = fix(text, Settings())
    assert result.new == text
    assert result.error is not None and result.error.startswith("Python does not parse: line 2: ")


def test_multiline_argv_keeps_its_brackets_and_indentation() -> None:
    new, findings = run(
        """\
        ctr = (
            dag.container()
            .from_("python:3.12-alpine")
            .with_exec(
                [
                    "apk",
                    "add",
                    "--no-cache",
                    "gcc",
                ]
            )
        )
        """
    )
    assert findings == []
    assert new == textwrap.dedent(
        """\
        ctr = (
            dag.container()
            .from_("python:3.12-slim-trixie")
            .with_exec(
                [
                    "sh", "-c", "apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*",
                ]
            )
        )
        """
    )


def test_argv_that_needs_no_shell_stays_an_argv() -> None:
    new, _ = run('c = DockerContainer("python:3.12-alpine").exec(("apk", "del", "gcc"))\n')
    assert new == 'c = DockerContainer("python:3.12-slim-trixie").exec(("apt-get", "purge", "-y", "--auto-remove", "gcc"))\n'


def test_shell_script_with_escapes_is_edited_in_place() -> None:
    source = 'ctr.from_("python:3.12-alpine").with_exec(["sh", "-c", "apk add --no-cache gcc \\\\\\n && make\\tall"])\n'
    new, findings = run(source)
    assert findings == []
    assert new == (
        'ctr.from_("python:3.12-slim-trixie").with_exec(["sh", "-c", "apt-get update && apt-get install -y'
        ' --no-install-recommends gcc && rm -rf /var/lib/apt/lists/* \\\\\\n && make\\tall"])\n'
    )


def test_shell_string_outside_an_argv() -> None:
    # already shell syntax: a shell runs it, edited in place; plain words: wrapped in sh -c
    new, _ = run(
        """\
        c = DockerContainer("python:3.12-alpine")
        c.exec("apk add gcc && make")
        c.exec('apk add gcc')
        """
    )
    assert new.splitlines()[1:] == [
        'c.exec("apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/* && make")',
        "c.exec('sh -c \\'apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*\\'')",
    ]


def test_raw_string_that_cannot_hold_the_translation_is_reported() -> None:
    source = "c = DockerContainer('python:3.12-alpine')\nc.exec(r'apk add gcc')\n"
    new, findings = run(source)
    assert new == source.replace("3.12-alpine", "3.12-slim-trixie")
    assert findings == [f"2: {APK_RULE}: the translated command cannot be written in this literal style; translate it by hand"]


def test_apk_commands_that_cannot_be_translated_are_reported() -> None:
    new, findings = run(
        """\
        c = DockerContainer("python:3.12-alpine")
        c.exec(["apk", "add", *PACKAGES])
        c.exec(["apk", "add", "python3-dev"])
        c.exec(["apk", "add", "no-such-package-zz"])
        c.exec("set -e; apk add gcc")
        """
    )
    assert new.splitlines()[1:] == [
        'c.exec(["apk", "add", *PACKAGES])',
        'c.exec(["apk", "add", "python3-dev"])',
        'c.exec(["apk", "add", "no-such-package-zz"])',
        'c.exec("set -e; apk add gcc")',
    ]
    assert findings == [
        f"2: {APK_RULE}: apk argv with arguments computed at run time: not translated; translate it by hand",
        f"3: {APK_RULE}: python3-dev: dropped, the official python image ships its own headers in /usr/local/include",
        f"3: {APK_RULE}: nothing is left to install on Debian (see the dropped packages): remove this command by hand",
        f"4: {APK_RULE}: no-such-package-zz: no known Debian package for trixie; left unchanged (map it with --map no-such-package-zz=DEBIAN-NAME)",
        f"5: {APK_RULE}: apk command inside a longer string: not translated; translate it by hand",
    ]


def test_different_codenames_in_one_file_are_not_guessed() -> None:
    source = 'OLD = "python:3.6-alpine"\nNEW = "python:3.12-alpine"\nctr.with_exec(["apk", "add", "gcc"])\n'
    new, findings = run(source)
    assert new.splitlines()[2] == 'ctr.with_exec(["apk", "add", "gcc"])'
    assert findings[-1] == (
        f"3: {APK_RULE}: the python images of this file were migrated to different Debian releases"
        " (bullseye, trixie): not translated; translate this apk command by hand"
    )


def test_apk_without_a_migrated_python_image_is_left_alone() -> None:
    source = 'ctr = dag.container().from_("alpine:3.19").with_exec(["apk", "add", "gcc"])\nX = f"python:{V}-alpine"\n'
    new, findings = run(source)
    assert new == source
    assert findings == [f"2: {IMAGE_RULE}: python Alpine image python:{{...}}-alpine is built by an f-string: not rewritten; change it by hand"]


def test_rules_can_be_switched_off() -> None:
    source = 'c = DockerContainer("python:3.12-alpine").exec(["apk", "add", "gcc"])\n'
    new, _ = run(source, ignore=frozenset({APK_RULE}))
    assert new == source.replace("3.12-alpine", "3.12-slim-trixie")
    new, findings = run(source, ignore=frozenset({IMAGE_RULE}))
    assert (new, findings) == (source, [])


def test_escaped_reference_keeps_its_escapes() -> None:
    new, _ = run('IMAGE = "python:3.11\\x2dalpine"\n')
    assert new == 'IMAGE = "python:3.11\\x2dslim-trixie"\n'


# --- editing inside a literal ---------------------------------------------------------------

_STYLES = st.tuples(st.sampled_from(["", "r", "b", "rb", "u", "R"]), st.sampled_from(['"', "'", '"""', "'''"]))


def _literal(prefix: str, quote: str, value: str):
    import libcst as cst

    node = cst.parse_expression(f"{prefix}{quote}{value}{quote}")
    evaluated = node.evaluated_value
    return _Literal(node, 0, len(node.value), evaluated.decode("latin-1") if isinstance(evaluated, bytes) else evaluated)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")  # literals such as "\\d"
@given(
    style=_STYLES,
    chars=st.lists(st.sampled_from(["a", " ", "'", '"', "\\\\", "\\n", "\\t", "\\x41", "\\\n", "\n", "\\d", "é"]), max_size=12),
    cut=st.tuples(st.integers(0, 20), st.integers(0, 20)),
    replacement=st.sampled_from(["", "x", "it's", 'a "b"', "back\\slash", "two\nlines"]),
)
def test_literal_edits_change_exactly_the_value(style, chars, cut, replacement) -> None:
    prefix, quote = style
    body = "".join(chars)
    if "r" in prefix.lower():
        body = body.replace("\\", "")  # keep raw literals valid
    if len(quote) == 1:
        body = body.replace("\n", "")
    if "b" in prefix.lower():
        body = body.replace("é", "e")
    if (quote[0] in body) or body.endswith("\\"):
        body = body.replace(quote[0], "")
    try:
        lit = _literal(prefix, quote, body)
    except Exception:  # an invalid literal made of the pieces: nothing to test
        return
    start, end = sorted(min(c, len(lit.value)) for c in cut)
    edits = _literal_edits(lit, [(start, end, replacement)])
    wanted = lit.value[:start] + replacement + lit.value[end:]
    if edits is None:
        # refused only when a raw literal cannot hold the replacement or an edge falls inside an escape
        assert "\\" in body or "r" in prefix.lower()
        return
    new = lit.node.value
    for edit in sorted(edits, reverse=True):
        new = new[: edit.start] + edit.replacement + new[edit.end :]
    value = ast.literal_eval(new)
    assert (value.decode("latin-1") if isinstance(value, bytes) else value) == wanted
    # the text before the first edit and after the last is untouched
    first, last = min(e.start for e in edits), max(e.end for e in edits)
    assert new.startswith(lit.node.value[:first]) and new.endswith(lit.node.value[last:])
