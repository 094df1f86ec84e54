"""YAML scalars with exact offsets in the original text, and edits made inside them.

Compose files and CI configurations are edited like Dockerfiles: the text is never
re-emitted, only the characters of a few scalars change, so comments, quoting, key
order, indentation, anchors and blank lines stay byte-identical.

The tree comes from the events of ruamel.yaml's safe parser: nodes only, nothing is
constructed, so no tag can build an object.  libyaml's C parser (ruamel.yaml.clib) reads a
file ten times faster than the pure Python one; it reads YAML 1.1, so it is used only where it
gives the same events (see :func:`parse`), and anything it rejects is read again by the pure
Python parser, whose answer (or error) is the one that counts.  An alias is the very node
its anchor names (one edit site, however often it is used).  Nesting deeper than
:data:`MAX_DEPTH` and aliases that expand to more than :data:`MAX_EXPANDED` nodes
("billion laughs") are refused while the events stream in, before anything grows.

An edit to a scalar is given in the coordinates of its value (what a program
reading the YAML sees) and written back in the scalar's own style: escaped in a
double-quoted string, ``''`` in a single-quoted one, re-indented in a literal
block.  When the new value cannot be written in that style without changing how the
YAML reads (``: `` in a plain string, a line break in a folded block) the edit is
refused with a reason.  :func:`rewrite` re-parses the result and checks that it
reads as the same data apart from the intended values before returning it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator, Union

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode

from .edits import Edit, Fix, apply_fixes
from .findings import Change as ResultChange
from .findings import FileResult, Finding, Severity

MAX_DEPTH = 100  # nested collections; real configuration files stay below 20
MAX_EXPANDED = 200_000  # nodes the aliases would add if each were expanded (a file's own nodes are bounded by its size)

STR_TAG = "tag:yaml.org,2002:str"


class YamlError(Exception):
    """The text cannot be read as YAML, or is refused; the message is meant for the user."""


class SelfCheckError(Exception):
    """The rewritten text does not read as the intended data; nothing may be written."""


@dataclass(eq=False)
class Scalar:
    value: str
    style: str | None  # None (plain), "'", '"', "|" or ">"
    tag: str | None  # an explicit tag, e.g. "!reference" or STR_TAG
    anchor: str | None
    plain_implicit: bool  # a plain scalar whose type comes from its text (``3.11`` is a float)
    start: int  # the scalar itself, after any anchor and tag
    end: int
    line: int  # 1-based line of ``start``
    flow: bool  # inside a flow collection (``[...]``, ``{...}``)
    size: int = 1  # nodes, with every alias expanded


@dataclass(eq=False)
class Sequence:
    items: list[Node]
    tag: str | None
    anchor: str | None
    line: int  # where the node's properties (or its first item) are
    flow: bool
    size: int = 1


@dataclass(eq=False)
class Mapping:
    pairs: list[tuple[Node, Node]]
    tag: str | None
    anchor: str | None
    line: int
    flow: bool
    size: int = 1


Node = Union[Scalar, Sequence, Mapping]


class LineIndex:
    """1-based line numbers of offsets in one text."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


# --- reading ------------------------------------------------------------------------------


def _events(text: str, fast: bool) -> Iterator[object]:
    if fast:
        return _c_events(text)
    # A YAML() object costs far less than the pure parse itself; a fresh one per call keeps this
    # thread-safe.  The safe parser gives the same events as the round-trip one without collecting
    # comments (the text edits keep them anyway), a third faster, and it reads the valid
    # ``key:  # note`` followed by the value on the next line, where the round-trip parser raises
    # NotImplementedError.
    return YAML(typ="safe", pure=True).parse(text)


def _c_events(text: str) -> Iterator[object]:
    # libyaml's parser used directly: YAML(pure=False).parse builds a loader class per call, which
    # costs more than the parse of a Compose file.
    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


try:
    from ruamel.yaml.cyaml import CParser  # ruamel.yaml.clib, a dependency on CPython
except ImportError:  # another Python implementation: the pure parser reads everything
    CParser = None
FAST_PARSER = CParser is not None
# Texts libyaml (YAML 1.1) reads otherwise than the pure parser (YAML 1.2): a byte order mark
# (libyaml's offsets skip it), NEL and the Unicode line and paragraph separators (line breaks in
# YAML 1.1 only), a document end marker ``...`` (libyaml also ends a block scalar there).
# tests/test_yamlspans.py compares the two parsers.  (Tabs that YAML allows as blanks, which the
# pure parser refuses, libyaml reads, as Compose's own parser does.)
_PURE_ONLY = re.compile("[\ufeff\x85\u2028\u2029]|^[.][.][.]", re.MULTILINE)
# What libyaml reads otherwise, seen only once parsed: tags beyond plain ``!name`` and ``!!name``,
# a comment right after a block scalar's indicator (``|#``), a document that is not a mapping.
_PLAIN_TAG = re.compile(r"tag:yaml\.org,2002:[A-Za-z]+|![A-Za-z0-9_-]+")
_BLOCK_INDICATOR = re.compile(r"[|>][-+1-9]{0,2}(?:[ \t\r\n]|$)")


class _NotForLibyaml(Exception):
    """The C parser's reading may differ from YAML 1.2's: the text is read by the pure parser."""


def _parse_error(exc: YAMLError) -> YamlError:
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        where = f"line {mark.line + 1}: " if mark is not None else ""
        return YamlError(f"YAML does not parse: {where}{problem}")
    return YamlError(f"YAML does not parse: {' '.join(str(exc).split())}")


def _scalar_start(text: str, index: int, end: int) -> int:
    """Skip the anchor and tag written before a scalar (and the blanks or comments after them)."""
    while index < end and text[index] in "&!":
        while index < end and text[index] not in " \t\r\n":
            index += 1
        while index < end and text[index] in " \t\r\n#":
            if text[index] == "#":
                while index < end and text[index] not in "\r\n":
                    index += 1
            else:
                index += 1
    return index


@lru_cache(maxsize=8)
def parse(text: str) -> list[Node]:
    """The root node of each document; YamlError when the text does not parse or is refused.

    The nodes are read-only by convention: the result is kept for the next reader of the same text
    (a Compose file's links, then its migration)."""
    if FAST_PARSER and not _PURE_ONLY.search(text):
        try:
            return _tree(text, fast=True)
        except (YAMLError, YamlError, _NotForLibyaml):
            pass  # the pure parser's answer (or error) counts: ``[python:3.11-alpine]`` is YAML 1.2 only
    try:
        return _tree(text, fast=False)
    except YAMLError as exc:
        raise _parse_error(exc) from None


def _tree(text: str, fast: bool) -> list[Node]:
    lines = LineIndex(text)
    roots: list[Node] = []
    anchors: dict[str, Node] = {}
    stack: list[Sequence | Mapping] = []
    pending_key: list[Node | None] = []
    expanded = 0  # nodes added by expanding the aliases
    root: Node | None = None

    def add(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1]
        if isinstance(parent, Sequence):
            parent.items.append(node)
        elif pending_key[-1] is None:
            pending_key[-1] = node
        else:
            parent.pairs.append((pending_key[-1], node))
            pending_key[-1] = None
        parent.size += node.size

    for event in _events(text, fast):
        mark = event.start_mark
        if isinstance(event, (ScalarEvent, MappingStartEvent, SequenceStartEvent)):
            anchor = event.anchor
            tag = str(event.tag) if event.tag is not None else None
            if fast and tag is not None and not _PLAIN_TAG.fullmatch(tag):
                raise _NotForLibyaml
            flow = bool(stack and stack[-1].flow)
            if isinstance(event, ScalarEvent):
                value = event.value
                style = event.style or None  # libyaml writes a plain scalar's style as ""
                if style == ">":
                    value = value.replace("\a", "")  # ruamel marks the folds of a folded block
                end = event.end_mark.index
                start = _scalar_start(text, mark.index, end)
                if fast and style in ("|", ">") and not _BLOCK_INDICATOR.match(text, start):
                    raise _NotForLibyaml
                node: Node = Scalar(value, style, tag, anchor, bool(event.implicit[0]) and style is None, start, end, lines.line_of(start), flow)
                add(node)
            else:
                if len(stack) >= MAX_DEPTH:
                    raise YamlError(f"YAML refused: line {mark.line + 1}: nesting deeper than {MAX_DEPTH} levels")
                flow = flow or bool(event.flow_style)
                if isinstance(event, MappingStartEvent):
                    node = Mapping([], tag, anchor, mark.line + 1, flow)
                else:
                    node = Sequence([], tag, anchor, mark.line + 1, flow)
                stack.append(node)
                pending_key.append(None)
            if anchor is not None:
                anchors[anchor] = node
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            node = stack.pop()
            pending_key.pop()
            add(node)
        elif isinstance(event, AliasEvent):
            target = anchors.get(event.anchor)
            if target is None:
                raise YamlError(f"YAML does not parse: line {mark.line + 1}: undefined alias *{event.anchor}")
            if any(target is open_node for open_node in stack):
                raise YamlError(f"YAML refused: line {mark.line + 1}: alias *{event.anchor} refers to a collection that contains it")
            expanded += target.size
            add(target)
        elif isinstance(event, DocumentEndEvent):
            if fast and not isinstance(root, Mapping):
                raise _NotForLibyaml  # Compose and CI files are mappings; the readings of a root scalar differ
            if root is not None:
                roots.append(root)
            root = None
            anchors.clear()  # an anchor names a node of its own document only
        if expanded > MAX_EXPANDED:
            raise YamlError(
                f"YAML refused: line {mark.line + 1}: aliases expand to more than {MAX_EXPANDED} nodes (an alias bomb?)"
            )
    return roots


# --- looking things up ---------------------------------------------------------------------


def is_str(node: Node | None) -> bool:
    """A scalar a program reads as a string (not a number, boolean, null or custom tag)."""
    if not isinstance(node, Scalar):
        return False
    if node.tag is not None:
        return node.tag == STR_TAG
    return not node.plain_implicit or _resolve(node.value) == STR_TAG


def _resolve(value: str) -> str:
    return str(_RESOLVER.resolve(ScalarNode, value, (True, False)))


_RESOLVER = YAML(typ="rt", pure=True).resolver


def pairs(node: Node | None, _depth: int = 0) -> list[tuple[str, Node]]:
    """A mapping's string keys and values, merge keys (``<<: *base``) resolved, own keys first."""
    if not isinstance(node, Mapping) or _depth > MAX_DEPTH:
        return []
    own: list[tuple[str, Node]] = []
    merged: list[tuple[str, Node]] = []
    for key, value in node.pairs:
        if isinstance(key, Scalar) and key.value == "<<" and key.style is None and key.tag is None:
            sources = value.items if isinstance(value, Sequence) else [value]
            for source in sources:
                merged.extend(pairs(source, _depth + 1))
        elif isinstance(key, Scalar):
            own.append((key.value, value))
    seen = {k for k, _ in own}
    result = list(own)
    for key, value in merged:
        if key not in seen:
            seen.add(key)
            result.append((key, value))
    return result


def get(node: Node | None, key: str) -> Node | None:
    """The value under ``key`` in a mapping (merge keys included), else None."""
    for name, value in pairs(node):
        if name == key:
            return value
    return None


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` once, aliases not followed twice."""
    seen: set[int] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, Sequence):
            todo.extend(reversed(current.items))
        elif isinstance(current, Mapping):
            for key, value in reversed(current.pairs):
                todo.extend((value, key))


# --- where each character of a value comes from --------------------------------------------

Origin = tuple[int, int]  # the original text's span of one value character


@dataclass(frozen=True)
class Layout:
    """For each value character, the text it is written as, or None when it is not written as itself
    (a fold, an escape, a chomped or doubled quote): edits may only touch the first kind."""

    origins: tuple[Origin | None, ...]
    indent: int = 0  # block scalars: the content indentation
    newline: str = "\n"


_BREAK = re.compile(r"\r\n|\r|\n")
_BLOCK_HEADER = re.compile(r"[|>]([+-]?)([1-9]?)([+-]?)[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n|$)")
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def layout(text: str, scalar: Scalar) -> Layout | None:
    """Where each character of ``scalar.value`` is written; None if that cannot be established."""
    if scalar.style in ("|", ">"):
        return _block_layout(text, scalar)
    return _flow_layout(text, scalar)


def _flow_layout(text: str, scalar: Scalar) -> Layout | None:
    quoted = scalar.style in ("'", '"')
    i, stop = (scalar.start + 1, scalar.end - 1) if quoted else (scalar.start, scalar.end)
    chars: list[str] = []
    origins: list[Origin | None] = []
    while i < stop:
        c = text[i]
        if c in " \t":
            j = i
            while j < stop and text[j] in " \t":
                j += 1
            if j < stop and text[j] in "\r\n":  # white space before a line break is not content
                i = j
                continue
            chars.extend(text[i:j])
            origins.extend((k, k + 1) for k in range(i, j))
            i = j
        elif c in "\r\n":  # a line fold: one break reads as a space, n breaks as n-1 newlines
            breaks, j = 0, i
            while j < stop and (m := _BREAK.match(text, j)):
                breaks += 1
                j = m.end()
                while j < stop and text[j] in " \t":
                    j += 1
            fold = " " if breaks == 1 else "\n" * (breaks - 1)
            chars.extend(fold)
            origins.extend([None] * len(fold))
            i = j
        elif scalar.style == "'" and c == "'":
            chars.append("'")
            origins.append(None)
            i += 2
        elif scalar.style == '"' and c == "\\":
            nxt = text[i + 1]
            if nxt in "\r\n":  # an escaped line break joins the lines
                j = _BREAK.match(text, i + 1).end()
                while j < stop and text[j] in " \t":
                    j += 1
                i = j
            elif nxt in _HEX_ESCAPES:
                digits = text[i + 2 : i + 2 + _HEX_ESCAPES[nxt]]
                chars.append(chr(int(digits, 16)))
                origins.append(None)
                i += 2 + len(digits)
            else:
                chars.append(_ESCAPES.get(nxt, nxt))
                origins.append(None)
                i += 2
        else:
            chars.append(c)
            origins.append((i, i + 1))
            i += 1
    if "".join(chars) != scalar.value:
        return None
    return Layout(tuple(origins))


def _block_layout(text: str, scalar: Scalar) -> Layout | None:
    header = _BLOCK_HEADER.match(text, scalar.start)
    if header is None:
        return None
    chomp = header[1] or header[3]
    lines: list[tuple[int, int, int]] = []  # (start, end of content, end of line break)
    pos = header.end()
    while pos < scalar.end:
        brk = _BREAK.search(text, pos, scalar.end)
        lines.append((pos, brk.start(), brk.end()) if brk else (pos, scalar.end, scalar.end))
        pos = brk.end() if brk else scalar.end
    newline = "\r\n" if "\r\n" in text[header.start() : scalar.end] else "\n"
    indents = [len(text[s:e]) - len(text[s:e].lstrip(" ")) for s, e, _ in lines if text[s:e].strip(" \t")]
    if not indents:
        return Layout(()) if scalar.value == "" else None
    candidates = range(indents[0], 0, -1) if header[2] else (indents[0],)
    for indent in candidates:
        found = _block_candidate(text, scalar, lines, indent, chomp)
        if found is not None:
            return Layout(tuple(found), indent, newline)
    return None


def _block_candidate(text, scalar, lines, indent, chomp) -> list[Origin | None] | None:
    """The origins of a block scalar's value read with ``indent``; None when that is not its value."""
    literal = scalar.style == "|"
    contents: list[tuple[int, int] | None] = []  # per line: (content start, end), None if empty
    for start, end, _ in lines:
        line = text[start:end]
        if len(line) - len(line.lstrip(" ")) >= indent and line[indent:]:
            contents.append((start + indent, end))
        elif line.strip(" ") == "":
            contents.append(None)
        else:
            return None
    filled = [i for i, c in enumerate(contents) if c is not None]
    if not filled:
        return None

    def breaks(first: int, stop: int) -> None:
        """The line breaks of lines first..stop-1, each read as a newline."""
        for k in range(first, stop):
            chars.append("\n")
            origins.append((lines[k][1], lines[k][2]) if literal else None)

    chars: list[str] = []
    origins: list[Origin | None] = []
    breaks(0, filled[0])  # leading empty lines
    for number, following in zip(filled, filled[1:]):
        start, end = contents[number]
        chars.extend(text[start:end])
        origins.extend((k, k + 1) for k in range(start, end))
        normal = not text[start].isspace() and not text[contents[following][0]].isspace()
        if literal or not normal:
            breaks(number, following)
        else:  # folded: a single break reads as a space, the first of several is dropped
            fold = " " if following == number + 1 else "\n" * (following - number - 1)
            chars.extend(fold)
            origins.extend([None] * len(fold))
    last = filled[-1]
    start, end = contents[last]
    chars.extend(text[start:end])
    origins.extend((k, k + 1) for k in range(start, end))
    if chomp != "-" and lines[last][2] > lines[last][1]:  # clip and keep: the last line's break
        breaks(last, last + 1)
    if chomp == "+":  # keep: the trailing empty lines too
        for k in range(last + 1, len(lines)):
            if lines[k][2] > lines[k][1]:
                chars.append("\n")
                origins.append(None)
    if "".join(chars) != scalar.value:
        return None
    return origins


# --- edits -----------------------------------------------------------------------------------

_PLAIN_START_FORBIDDEN = set("-?:,[]{}#&*!|>'\"%@` \t")


@dataclass(frozen=True, eq=False)
class ScalarChange:
    """An intended change: new text for parts of a scalar's value, or removal of a block sequence item."""

    scalar: Scalar
    edits: tuple[tuple[int, int, str], ...] = ()  # (start, end, replacement) within ``scalar.value``
    remove_from: Sequence | None = None
    requires: tuple[Scalar, ...] = ()  # only applied if the changes of these scalars are

    @property
    def new_value(self) -> str:
        out, pos = [], 0
        for start, end, replacement in sorted(self.edits):
            out += [self.scalar.value[pos:start], replacement]
            pos = end
        return "".join(out) + self.scalar.value[pos:]


def text_edits(text: str, change: ScalarChange) -> tuple[Edit, ...] | str:
    """The edits of the original text that make a change, or why it cannot be written in place."""
    if change.remove_from is not None:
        removal = _removal(text, change.remove_from, change.scalar)
        return removal if isinstance(removal, str) else (removal,)
    scalar = change.scalar
    where = layout(text, scalar)
    if where is None:
        return "the YAML string is written in a form dockerfix cannot edit in place"
    edits = []
    for start, end, replacement in change.edits:
        edit = _value_edit(text, scalar, where, start, end, replacement)
        if isinstance(edit, str):
            return edit
        edits.append(edit)
    return tuple(edits)


def _value_edit(text: str, scalar: Scalar, where: Layout, start: int, end: int, replacement: str) -> Edit | str:
    origins = where.origins
    unwritable = f"the new text cannot be written in this {_style_name(scalar)} YAML string without changing how it reads"
    if start < end:
        span = origins[start:end]
        if any(o is None for o in span):
            return unwritable
        for i in range(start, end - 1):
            gap = text[origins[i][1] : origins[i + 1][0]]
            if gap and not (scalar.style == "|" and scalar.value[i] == "\n" and gap.strip(" ") == ""):
                return unwritable
        raw_start, raw_end = origins[start][0], origins[end - 1][1]
        if scalar.style == "|" and scalar.value[end - 1] == "\n" and end < len(origins) and origins[end] is not None:
            if text[raw_end : origins[end][0]].strip(" ") == "":  # the next line's indentation goes with its break
                raw_end = origins[end][0]
    elif start < len(origins) and origins[start] is not None:
        raw_start = raw_end = origins[start][0]
    elif start > 0 and origins[start - 1] is not None and scalar.value[start - 1] != "\n":
        raw_start = raw_end = origins[start - 1][1]
    else:
        return unwritable
    encoded = _encode(text, scalar, where, raw_start, raw_end, replacement)
    if encoded is None:
        return unwritable
    return Edit(raw_start, raw_end, encoded)


def _style_name(scalar: Scalar) -> str:
    return {None: "plain", "'": "single-quoted", '"': "double-quoted", "|": "literal block", ">": "folded block"}[scalar.style]


def _encode(text: str, scalar: Scalar, where: Layout, start: int, end: int, replacement: str) -> str | None:
    """The replacement as written in the scalar's style, or None when it cannot be."""
    style = scalar.style
    if style == '"':
        escaped = replacement.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return None if any(ord(c) < 32 and c != "\t" for c in escaped) else escaped
    if "\n" in replacement or "\r" in replacement:
        if style != "|":
            return None
        return replacement.replace("\n", where.newline + " " * where.indent)
    if style == "'":
        return replacement.replace("'", "''")
    if style == ">":
        return replacement
    # plain: the new text must read as the same single plain scalar
    before = text[start - 1] if start > scalar.start else ""
    after = text[end] if end < scalar.end else ""
    window = before + replacement + after
    if ": " in window or ":\t" in window or " #" in window or "\t#" in window:
        return None
    if "\t" in replacement:  # YAML allows a tab in a plain scalar, but not every reader does (ruamel's pure parser)
        return None
    if not after and (window.endswith((":", " ", "\t")) or not window):
        return None
    if not before and window[:1] in _PLAIN_START_FORBIDDEN:
        return None
    if scalar.flow and any(c in ",[]{}" for c in replacement):
        return None
    return replacement


def _removal(text: str, sequence: Sequence, item: Scalar) -> Edit | str:
    """Delete a block sequence item's lines, or say why that is not safe."""
    if sequence.flow:
        return "it is an item of a flow sequence ([...])"
    if item.anchor is not None:
        return "it carries an anchor that other places may use"
    if len(sequence.items) <= 1:
        return "it is the only item of its list"
    line_start = text.rfind("\n", 0, item.start) + 1
    if not re.fullmatch(r"[ \t]*-[ \t]+", text[line_start : item.start]):
        return "its list item does not sit on a line of its own"
    if item.style in ("|", ">"):
        end = item.end
    else:
        rest = re.compile(r"[ \t]*(?:#[^\r\n]*)?(\r\n|\r|\n|$)").match(text, item.end)
        if rest is None:
            return "something follows it on its line"
        end = rest.end()
    if end == len(text) and not text.endswith(("\n", "\r")):  # the last line: take the line break before it
        line_start -= 2 if text[max(line_start - 2, 0) : line_start] == "\r\n" else 1
        line_start = max(line_start, 0)
    return Edit(line_start, end, "")


# --- rewriting with a self-check --------------------------------------------------------------


@dataclass
class Rewritten:
    text: str
    applied: list[ScalarChange] = field(default_factory=list)
    rejected: list[tuple[ScalarChange, str]] = field(default_factory=list)  # with the reason


def rewrite(text: str, roots: list[Node], changes: list[ScalarChange]) -> Rewritten:
    """Apply the changes that can be written in place and that keep the YAML reading as intended.

    Raises SelfCheckError when even the accepted changes together do not.
    """
    result = Rewritten(text)
    candidates: list[tuple[ScalarChange, tuple[Edit, ...]]] = []
    for change in changes:
        edits = text_edits(text, change)
        if isinstance(edits, str):
            result.rejected.append((change, edits))
        else:
            candidates.append((change, edits))
    candidates = _with_requirements(candidates, result)
    if not candidates:
        return result
    new = _apply(text, candidates)
    problem = _check(roots, new, [c for c, _ in candidates])
    if problem is not None:  # find the culprits one by one
        kept = []
        for change, edits in candidates:
            alone = _check(roots, _apply(text, [(change, edits)]), [change])
            if alone is None:
                kept.append((change, edits))
            else:
                result.rejected.append((change, f"the edited YAML would not read as intended ({alone})"))
        candidates = _with_requirements(kept, result)
        if not candidates:
            return result
        new = _apply(text, candidates)
        problem = _check(roots, new, [c for c, _ in candidates])
        if problem is not None:
            raise SelfCheckError(problem)
    result.text = new
    result.applied = [c for c, _ in candidates]
    return result


def _with_requirements(candidates, result: Rewritten):
    """Drop the changes whose required scalars are no longer changed (to a fixed point)."""
    while True:
        changed = {id(c.scalar) for c, _ in candidates}
        dropped = [(c, e) for c, e in candidates if any(id(s) not in changed for s in c.requires)]
        if not dropped:
            return candidates
        for change, _ in dropped:
            result.rejected.append((change, "a change it depends on (an image) could not be made"))
        candidates = [(c, e) for c, e in candidates if all(c is not d for d, _ in dropped)]


def _apply(text: str, candidates) -> str:
    new, skipped = apply_fixes(text, [Fix(edits) for _, edits in candidates])
    if skipped:
        raise SelfCheckError("two changes overlap")
    return new


def _check(roots: list[Node], new_text: str, changes: list[ScalarChange]) -> str | None:
    """None when ``new_text`` reads as ``roots`` with the changes made; else what differs."""
    try:
        new_roots = parse(new_text)
    except YamlError as exc:
        return str(exc)
    values = {id(c.scalar): c.new_value for c in changes if c.remove_from is None}
    removed = {id(c.scalar) for c in changes if c.remove_from is not None}
    if len(new_roots) != len(roots):
        return "the number of documents changed"
    seen: dict[int, Node] = {}
    todo = list(zip(roots, new_roots))
    while todo:
        old, new = todo.pop()
        if id(old) in seen:
            if seen[id(old)] is not new:
                return f"line {new.line}: an alias no longer refers to the same node"
            continue
        seen[id(old)] = new
        if type(old) is not type(new) or old.tag != new.tag or old.anchor != new.anchor:
            return f"line {new.line}: a node changed its kind, tag or anchor"
        if isinstance(old, Scalar):
            want = values.get(id(old), old.value)
            if new.value != want or new.style != old.style:
                return f"line {new.line}: read {new.value!r}, expected {want!r}"
            if id(old) in values and old.plain_implicit and _resolve(new.value) != _resolve(old.value):
                return f"line {new.line}: the new value would no longer read as a string"
        elif isinstance(old, Sequence):
            kept = [i for i in old.items if id(i) not in removed]
            if len(kept) != len(new.items):
                return f"line {new.line}: a list changed length"
            todo.extend(zip(kept, new.items))
        else:
            if len(old.pairs) != len(new.pairs):
                return f"line {new.line}: a mapping changed size"
            for (ok, ov), (nk, nv) in zip(old.pairs, new.pairs):
                todo.extend(((ok, nk), (ov, nv)))
    return None


# --- from planned changes to a FileResult ---------------------------------------------------


@dataclass
class Planned:
    """A change with what to report when it is made, and how to say it was not."""

    change: ScalarChange
    rule: str
    before: str
    after: str
    notes: list[Finding] = field(default_factory=list)  # reported when the change is made
    refused: str = "not changed"  # reported as "<refused>: <reason>" when it cannot be made


def finish(text: str, roots: list[Node], planned: list[Planned], findings: list[Finding]) -> FileResult:
    """Apply the planned changes (with the self-check) and report what was done and what was not."""
    by_change = {id(p.change): p for p in planned}
    try:
        done = rewrite(text, roots, [p.change for p in planned])
    except SelfCheckError as exc:
        return FileResult(text, text, error=f"self-check failed, file left unchanged: {exc}")
    result = FileResult(text, done.text, findings=list(findings))
    for change in done.applied:
        plan = by_change[id(change)]
        result.findings.extend(plan.notes)
        result.changes.append(ResultChange(plan.rule, change.scalar.line, plan.before, plan.after))
    for change, reason in done.rejected:
        plan = by_change[id(change)]
        result.findings.append(Finding(plan.rule, change.scalar.line, f"{plan.refused}: {reason}", Severity.WARNING))
    result.findings.sort(key=lambda f: (f.line, f.rule))
    result.changes.sort(key=lambda c: c.line)
    return result
