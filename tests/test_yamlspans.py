"""Tests for rewriter.yamlspans: scalar offsets, value-to-text mapping, in-place edits and refusals."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from rewriter import yamlspans as ys


def scalars(text: str) -> list[ys.Scalar]:
    return [n for root in ys.parse(text) for n in ys.walk(root) if isinstance(n, ys.Scalar)]


def value_node(text: str, key: str) -> ys.Node:
    return parsed(text, key)[1]


def parsed(text: str, key: str) -> tuple[list[ys.Node], ys.Node]:
    """The roots, and the node under ``key`` in them (changes must name nodes of the roots given)."""
    roots = ys.parse(text)
    node = ys.get(roots[0], key)
    assert node is not None
    return roots, node


def safe_load(text: str):
    return YAML(typ="safe", pure=True).load(text)


# --- offsets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "raw", "style"),
    [
        ("a: python:3.11-alpine  # c\n", "python:3.11-alpine", None),
        ("a: 'it''s'\n", "'it''s'", "'"),
        ('a: "x\\ty"\n', '"x\\ty"', '"'),
        ("a: &anchor !!str plain\n", "plain", None),
        ("a: &anchor\n  # comment\n  'later'\n", "'later'", "'"),
        ("a: {b: c, d: python:alpine}\n", "python:alpine", None),
    ],
)
def test_scalar_span_is_the_scalar_as_written(text: str, raw: str, style: str | None) -> None:
    node = scalars(text)[-1]
    assert text[node.start : node.end] == raw
    assert node.style == style


def test_block_scalar_starts_at_its_indicator_and_keeps_crlf_offsets() -> None:
    text = "\ufeffa: b\r\nrun: |\r\n  apk add gcc\r\n  echo hi\r\nc: d\r\n"
    node = value_node(text, "run")
    assert isinstance(node, ys.Scalar)
    assert text[node.start] == "|"
    assert node.value == "apk add gcc\necho hi\n"
    assert node.line == 2
    where = ys.layout(text, node)
    assert where is not None and where.newline == "\r\n" and where.indent == 2
    # every character written as itself maps to exactly that character in the file
    for char, origin in zip(node.value, where.origins):
        assert origin is not None
        assert text[origin[0] : origin[1]] == ("\r\n" if char == "\n" else char)


def test_flow_collection_scalars_know_they_are_in_flow_context() -> None:
    text = "a: [x, {b: y}]\nc: z\n"
    flags = {n.value: n.flow for n in scalars(text)}
    assert flags == {"a": False, "x": True, "b": True, "y": True, "c": False, "z": False}


def test_an_alias_is_the_anchored_node_itself() -> None:
    text = "x: &img python:3.11-alpine\nservices:\n  a: {image: *img}\n  b: {image: *img}\n"
    (root,) = ys.parse(text)
    a = ys.get(ys.get(ys.get(root, "services"), "a"), "image")
    b = ys.get(ys.get(ys.get(root, "services"), "b"), "image")
    assert a is b is ys.get(root, "x")
    assert sum(1 for n in ys.walk(root) if n is a) == 1


def test_merge_keys_are_followed_and_own_keys_win() -> None:
    text = "base: &b {image: one, restart: always}\nsvc:\n  <<: *b\n  image: two\n"
    svc = value_node(text, "svc")
    assert [(k, v.value) for k, v in ys.pairs(svc)] == [("image", "two"), ("restart", "always")]
    assert ys.get(svc, "restart").value == "always"


def test_is_str_follows_yaml_typing() -> None:
    (root,) = ys.parse("a: 3.11\nb: '3.11'\nc: !!str 3\nd: true\ne: python:3\nf: !custom x\n")
    assert {k: ys.is_str(v) for k, v in ys.pairs(root)} == {"a": False, "b": True, "c": True, "d": False, "e": True, "f": False}


def test_each_document_has_its_root() -> None:
    assert len(ys.parse("a: 1\n---\nb: 2\n")) == 2
    assert ys.parse("# only a comment\n") == []


# --- layout: which value characters are written as themselves -------------------------------------


@pytest.mark.parametrize(
    ("text", "verbatim"),
    [
        ("a: plain one\n  two\n", "plain one.two"),  # the fold is not a character of the text
        ("a: 'sq ''x'''\n", "sq .x."),
        ('a: "h\\ti \\x41"\n', "h.i ."),
        ("a: >-\n  foo\n  bar\n\n  baz\n", "foo.bar.baz"),
        ("a: |\n  x\n\n  y\n", "x\n\ny\n"),
    ],
)
def test_layout_marks_folds_escapes_and_doubled_quotes(text: str, verbatim: str) -> None:
    node = value_node(text, "a")
    where = ys.layout(text, node)
    assert where is not None
    assert "".join(c if o is not None else "." for c, o in zip(node.value, where.origins)) == verbatim


def test_explicit_indentation_indicator() -> None:
    text = "- |2\n    two\n   one\n"
    (node,) = [n for n in scalars(text)]
    assert node.value == "  two\n one\n"
    assert ys.layout(text, node).indent == 2


# --- edits ----------------------------------------------------------------------------------------


def rewrite_one(text: str, key: str, edits) -> ys.Rewritten:
    roots, node = parsed(text, key)
    return ys.rewrite(text, roots, [ys.ScalarChange(node, tuple(edits))])


@pytest.mark.parametrize(
    ("text", "edit", "expected"),
    [
        ("a: python:3.11-alpine # c\n", (12, 18, "slim-trixie"), "a: python:3.11-slim-trixie # c\n"),
        ("a: 'apk x'\n", (0, 3, "it's"), "a: 'it''s x'\n"),
        ('a: "apk x"\n', (0, 3, 'say "hi"\n'), 'a: "say \\"hi\\"\\n x"\n'),
        ("a: |\n  apk x\n  y\n", (5, 5, "1\n2"), "a: |\n  apk x1\n  2\n  y\n"),
        ("a: |\r\n  apk x\r\n  y\r\n", (3, 6, ""), "a: |\r\n  apky\r\n"),  # across a line break
        ("a: |\n  apk x\n  y\n", (3, 8, ""), "a: |\n  apk"),  # the final line break goes too
    ],
)
def test_edits_are_written_in_the_scalars_style(text: str, edit, expected: str) -> None:
    done = rewrite_one(text, "a", [edit])
    assert done.rejected == []
    assert done.text == expected


@pytest.mark.parametrize(
    ("text", "edit"),
    [
        ("a: apk x\n", (3, 3, ": y")),  # ": " starts a mapping in a plain scalar
        ("a: apk x\n", (5, 5, " #")),  # " #" starts a comment
        ("a: apk x\n", (0, 3, "-")),  # an indicator at the start
        ("a: apk x\n", (4, 5, "")),  # a trailing blank is not part of a plain scalar
        ("{a: apk x}\n", (3, 3, ",")),  # a comma ends a flow item
        ("a: apk\n  x\n", (2, 4, "")),  # across a line fold
        ("a: >\n  apk\n  x\n", (0, 0, "y\n")),  # a line break in a folded block
        ("a: 'apk x'\n", (0, 0, "y\n")),  # a line break in a single-quoted string
        ('a: "\\x61pk"\n', (0, 1, "b")),  # an escape is not the character it reads as
    ],
)
def test_edits_that_would_change_how_the_yaml_reads_are_refused(text: str, edit) -> None:
    done = rewrite_one(text, "a", [edit])
    assert done.text == text
    [(_, reason)] = done.rejected
    assert "cannot be written" in reason


STYLES = {
    "plain": str,
    "single": SingleQuotedScalarString,
    "double": DoubleQuotedScalarString,
    "literal": LiteralScalarString,
    "folded": FoldedScalarString,
}
WORDS = st.text(alphabet=st.sampled_from("ab -:#'\"\\,[]{}&*!|>\t"), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    style=st.sampled_from(sorted(STYLES)),
    lines=st.lists(st.text(alphabet=st.sampled_from("apk add-gcc 'x\"#:"), min_size=1, max_size=15), min_size=1, max_size=3),
    data=st.data(),
    replacement=WORDS,
)
def test_a_written_edit_always_reads_as_the_intended_value(style: str, lines: list[str], data, replacement: str) -> None:
    """Whatever the style and edit: either refused, or the file loads (by ruamel's safe loader,
    not ours) to the intended value, with everything outside the scalar unchanged."""
    value = "\n".join(lines) if style in ("literal", "double") else " ".join(lines)
    out = io.StringIO()
    YAML(typ="rt").dump({"before": 1, "k": STYLES[style](value), "after": [2]}, out)
    text = out.getvalue()
    assume(safe_load(text)["k"] == value)
    node = value_node(text, "k")
    start = data.draw(st.integers(0, len(node.value)))
    end = data.draw(st.integers(start, len(node.value)))
    done = rewrite_one(text, "k", [(start, end, replacement)])
    if done.rejected:
        assert done.text == text
        return
    intended = node.value[:start] + replacement + node.value[end:]
    assert safe_load(done.text) == {"before": 1, "k": intended, "after": [2]}
    assert done.text[: node.start] == text[: node.start]
    tail = len(text) - node.end
    assert done.text[len(done.text) - tail :] == text[node.end :]


def test_a_plain_word_replacement_is_accepted() -> None:
    text = "script: apk add --no-cache gcc\n"
    done = rewrite_one(text, "script", [(0, 3, "apt-get update && apt-get"), (4, 7, "install -y")])
    assert done.text == "script: apt-get update && apt-get install -y --no-cache gcc\n"
    assert safe_load(done.text)["script"] == "apt-get update && apt-get install -y --no-cache gcc"


# --- removing a list item ---------------------------------------------------------------------------


def remove(text: str, index: int) -> ys.Rewritten:
    roots, seq = parsed(text, "s")
    return ys.rewrite(text, roots, [ys.ScalarChange(seq.items[index], remove_from=seq)])


def test_a_block_list_item_is_removed_with_its_line() -> None:
    text = "s:\n  - apk update  # refresh\n  - |\n    pip install .\n\n  - last\nt: 1\n"
    assert remove(text, 0).text == "s:\n  - |\n    pip install .\n\n  - last\nt: 1\n"
    assert remove(text, 1).text == "s:\n  - apk update  # refresh\n  - last\nt: 1\n"
    assert remove(text, 2).text == "s:\n  - apk update  # refresh\n  - |\n    pip install .\n\nt: 1\n"


def test_the_last_line_of_a_file_without_final_newline() -> None:
    text = "s:\r\n  - a\r\n  - apk update"
    assert remove(text, 1).text == "s:\r\n  - a"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("s:\n  - apk update\n", "only item"),
        ("s: [apk update, x]\n", "flow sequence"),
        ("s:\n  - &a apk update\n  - x\n", "anchor"),
        ("s:\n  - - apk update\n    - x\n  - y\n", None),
    ],
)
def test_unsafe_removals_are_refused(text: str, reason: str | None) -> None:
    roots, seq = parsed(text, "s")
    if reason is None:  # a nested list: its item does not sit on its own line
        seq = seq.items[0]
        reason = "line of its own"
    done = ys.rewrite(text, roots, [ys.ScalarChange(seq.items[0], remove_from=seq)])
    assert done.text == text
    assert reason in done.rejected[0][1]


# --- the self-check --------------------------------------------------------------------------------


def test_a_change_whose_text_reads_differently_is_rejected_alone(monkeypatch) -> None:
    text = "a: apk x\nb: apk y\n"
    (root,) = ys.parse(text)
    good = ys.ScalarChange(ys.get(root, "a"), ((0, 3, "apt"),))
    bad = ys.ScalarChange(ys.get(root, "b"), ((0, 3, "apt"),))
    real = ys.text_edits

    def wrong_for_b(text_, change):
        if change is bad:
            return (ys.Edit(change.scalar.start, change.scalar.start, "{"),)  # breaks the YAML
        return real(text_, change)

    monkeypatch.setattr(ys, "text_edits", wrong_for_b)
    done = ys.rewrite(text, [root], [good, bad])
    assert done.text == "a: apt x\nb: apk y\n"
    assert done.applied == [good]
    assert "would not read as intended" in done.rejected[0][1]


def test_changes_that_only_fail_together_raise(monkeypatch) -> None:
    text = "a: apk x\nb: apk y\n"
    (root,) = ys.parse(text)
    changes = [ys.ScalarChange(ys.get(root, k), ((0, 3, "apt"),)) for k in ("a", "b")]
    real = ys._check
    monkeypatch.setattr(ys, "_check", lambda r, t, c: "two at once" if len(c) > 1 else real(r, t, c))
    with pytest.raises(ys.SelfCheckError, match="two at once"):
        ys.rewrite(text, [root], changes)


def test_a_change_that_requires_a_rejected_one_is_dropped() -> None:
    text = "image: python:3.11-alpine\nscript: apk add x\n"
    (root,) = ys.parse(text)
    image, script = ys.get(root, "image"), ys.get(root, "script")
    changes = [
        ys.ScalarChange(image, ((0, 0, "- "),)),  # refused: an indicator at the start
        ys.ScalarChange(script, ((0, 3, "apt-get"),), requires=(image,)),
    ]
    done = ys.rewrite(text, [root], changes)
    assert done.text == text
    assert [reason for _, reason in done.rejected][1] == "a change it depends on (an image) could not be made"


# --- errors and refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a:\n  b: 1\n c: [\n", "YAML does not parse: line 3: "),
        ("a:\n\tb: 1\n", "YAML does not parse: line 2: found character '\\t'"),
        ("a: *nowhere\n", "YAML does not parse: line 1: undefined alias *nowhere"),
        ("a: &a [x, *a]\n", "YAML refused: line 1: alias *a refers to a collection that contains it"),
        ("a: \x01\n", "YAML does not parse: unacceptable character"),
    ],
)
def test_unreadable_yaml_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ys.YamlError) as exc:
        ys.parse(text)
    assert str(exc.value).startswith(message)


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    started = time.perf_counter()
    with pytest.raises(ys.YamlError, match="alias bomb"):
        ys.parse("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "text",
    [
        "".join("  " * i + f"k{i}:\n" for i in range(150)) + "  " * 150 + "v\n",
        "a: " + "[" * 20000 + "]" * 20000 + "\n",
    ],
    ids=["block", "flow"],
)
def test_deep_nesting_is_refused_quickly(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ys.YamlError, match="nesting deeper than 100 levels"):
        ys.parse(text)
    assert time.perf_counter() - started < 3


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "a: " + "[" * 99 + "x" + "]" * 99 + "\n"
    assert scalars(text)[-1].value == "x"


def test_a_comment_after_a_key_whose_value_is_on_the_next_line() -> None:
    """ruamel.yaml's round-trip parser raises NotImplementedError ("overlap in comment") on this valid YAML."""
    text = "services:\n  api:\n    image:    # the image\n      python:3.11-alpine\n\n"
    image = ys.get(ys.get(ys.get(ys.parse(text)[0], "services"), "api"), "image")
    assert image.value == "python:3.11-alpine"
    assert text[image.start : image.end] == "python:3.11-alpine"


# --- the C parser reads what the pure one reads ----------------------------------------------------


def _dump(text: str, fast: bool):
    """Every node's fields, or the error: what the rest of dockerfix can see of a parse."""
    try:
        roots = ys._tree(text, fast)
    except (YAMLError, ys.YamlError) as exc:
        return ("error", type(exc).__name__)

    def node(n: ys.Node):
        common = (n.tag, n.anchor, n.line, n.flow, n.size)
        if isinstance(n, ys.Scalar) and n.start == n.end and n.style is None:
            return ("empty", n.tag, n.anchor, n.flow)  # a missing value: no text to edit, its offset differs
        if isinstance(n, ys.Scalar):
            return ("scalar", n.value, n.style, n.plain_implicit, n.start, n.end, *common)
        if isinstance(n, ys.Sequence):
            return ("seq", [node(i) for i in n.items], *common)
        return ("map", [(node(k), node(v)) for k, v in n.pairs], *common)

    return [node(r) for r in roots]


def _assert_fast_reads_like_pure(text: str) -> None:
    try:
        ys._tree(text, fast=True)
    except (YAMLError, ys.YamlError, ys._NotForLibyaml):
        return  # parse() reads it with the pure parser
    pure = _dump(text, fast=False)
    if isinstance(pure, tuple):  # ("error", ...)
        # libyaml reads some valid YAML the pure parser refuses: whitespace-only lines of growing
        # indentation in a block scalar ("k: |\n  \n    \n"), a block scalar's blank first lines
        # indented less than its text.  Reading more valid files is no harm.
        return
    assert _dump(text, fast=True) == pure, text


def test_the_c_parser_is_installed() -> None:
    # ruamel.yaml.clib is a dependency on CPython; without it Compose and CI files are read ten times slower
    assert ys.FAST_PARSER


@pytest.mark.parametrize("path", sorted(str(p) for p in (Path(__file__).parent / "fixtures").glob("*/*") if p.suffix in (".yml", ".yaml")))
def test_the_c_parser_reads_every_yaml_fixture_like_the_pure_one(path: str) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        _assert_fast_reads_like_pure(f.read())


YAML_LINES = st.lists(
    st.tuples(
        st.sampled_from(["", "  ", "    ", "- ", "  - "]),
        st.sampled_from(["", "", "k: ", "key:", "image: ", "script:", "'q': ", "x-a: &an "]),
        st.lists(st.sampled_from(["a", "b:", "c: ", "- ", "'q: r'", '"x\\"y"', "[p, q]", "{k: v}", "[a:b]", "&an ", "*an", "!!str ", "!reference ", "|", ">-", "# c", " ", ":", "-", "?", "${X:-python:3.11-alpine}", "%", "@", "é", "\\", "---", "...", "%YAML 1.2", "'two", "lines'", '"\\/\\x41\\u00e9"', "!", "<<: *an", "? ", ",", "\u00a0", "\u3000", "\t", " \t# t"]), max_size=5),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=int(os.environ.get("PARITY_EXAMPLES", 3000)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAML_LINES, st.sampled_from(["\n", "\r\n"]))
def test_the_c_parser_reads_generated_yaml_like_the_pure_one(lines, newline: str) -> None:
    _assert_fast_reads_like_pure(newline.join(indent + key + "".join(words) for indent, key, words in lines) + newline)


def test_a_big_document_without_aliases_is_not_taken_for_an_alias_bomb() -> None:
    items = ys.MAX_EXPANDED + 10
    [root] = ys.parse("a: [" + "x, " * items + "]\n")
    assert len(ys.get(root, "a").items) == items
