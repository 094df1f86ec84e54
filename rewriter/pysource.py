"""python-image and python-apk-to-apt: python Alpine images named in Python code.

Test and CI code names images as string literals: testcontainers
``DockerContainer("python:3.9-alpine")``, the docker SDK
``client.containers.run("python:3.11-alpine", ...)`` and
``client.images.pull("python", tag="3.11-alpine")``, dagger
``.from_("python:3.11-alpine")``, settings and constants.  libcst finds the
literals and their exact positions; the edits go into the original text, so
everything outside an edited literal stays byte-identical, and each edited
literal keeps its prefix and quote style.

python-image
    A string literal whose whole value is a python Alpine reference (as
    :func:`rewriter.images.is_python_alpine` says) gets the tag
    :func:`rewriter.images.decide` chooses.  A reference that is only part of a
    value is reported, not edited: inside a longer string, built by an f-string,
    ``+``, ``%``, ``.format()`` or implicit concatenation, in a comment, in a
    docstring or another bare string statement.  Other Alpine images stay.

python-apk-to-apt
    In a file where a reference was migrated, apk commands get the same
    translation as a RUN line (:func:`rewriter.rules.apk_to_apt.translate_shell`),
    with the codename of the image they run in: the image of the call chain the
    command is an argument of (``.from_(IMAGE).with_exec([...])``,
    ``containers.run(IMAGE, [...])``), else the file's only migrated codename when
    the file names no other Alpine image.  Three forms:

    - an argv ``["apk", "add", "gcc"]`` becomes ``["sh", "-c", "apt-get update &&
      ..."]``: apt-get needs an ``apt-get update`` first, which one argv cannot say;
    - the script of ``["sh", "-c", "..."]`` is edited in place;
    - a string that starts with ``apk `` and has no shell syntax is wrapped as
      ``"sh -c '...'"`` when the translation needs ``&&``, because the docker SDK
      and testcontainers split such a string into words and run no shell; a
      string that already has shell syntax is run by a shell and is edited in place.

The Python parser (libcst) is imported only for files that mention both
``alpine`` and ``python``: nearly every ``.py`` file costs two substring tests.
"""

from __future__ import annotations

import ast
import re
import shlex
import warnings
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterator

from .edits import Edit, Fix, apply_fixes
from .findings import Change, FileResult, Finding, Severity
from .images import TagDecision, decide, is_python_alpine, note_needs_review, parse_ref
from .settings import Settings

if TYPE_CHECKING:
    import libcst as cst

IMAGE_RULE = "python-image"
APK_RULE = "python-apk-to-apt"

_NEWLINE = re.compile(r"\r\n?|\n")  # libcst's line breaks
_REF_TOKEN = re.compile(r"[\w.\-/:@${}]+")  # a reference-shaped run inside free text
_VARIABLE = "${V}"  # stands for a run-time value; images.py masks it like any variable
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")
_APK_COMMAND = re.compile(r"\bapk\s+(?:add|del|delete|update|upgrade|cache)\b")
_SHELL_SYNTAX = re.compile(r"[;&|`\n<>]|\$\(")
_SHELLS = frozenset({"sh", "bash", "dash"})
_SHELL_FLAGS = re.compile(r"-[a-z]*c[a-z]*")
_APK = frozenset({"apk", "/sbin/apk"})
_IMAGE_METHODS = frozenset({"from_", "run", "create", "pull"})  # dagger, docker SDK
# One escape sequence, or a line break (which the literal's value holds as "\n").
_ESCAPE = re.compile(r"\\(?:\r\n?|\n|x[0-9a-fA-F]{2}|N\{[^}]*\}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)|\r\n?", re.DOTALL)
_SIMPLE_ESCAPES = frozenset("\\'\"abfnrtv")


def fix(text: str, settings: Settings) -> FileResult:
    """Migrate the python Alpine images one Python file names; never raises on bad input."""
    if "alpine" not in text or "python" not in text:
        return FileResult(text, text)
    too_deep = _too_deep(text)
    if too_deep:
        return FileResult(text, text, error=f"Python does not parse: {too_deep}")
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except Exception as exc:  # libcst raises ParserSyntaxError, and others on odd input
        return FileResult(text, text, error=f"Python does not parse: {_parse_error(text, exc)}")
    if module.code != text:  # libcst promises a lossless round trip; edits rely on it
        return FileResult(text, text, error="Python source does not round-trip through libcst; file left unchanged")
    with warnings.catch_warnings():  # evaluating literals such as "\d" warns; the user's code is not ours to lint
        warnings.simplefilter("ignore")
        result = _Migration(text, module, settings).run()
    if result.changed:
        try:
            cst.parse_module(result.new)
        except Exception as exc:
            return FileResult(text, text, error=f"self-check failed, file left unchanged: the rewritten file does not parse ({_parse_error(result.new, exc)})")
    return result


def _too_deep(text: str) -> str | None:
    """Why CPython's parser refuses ``text`` as nested too deeply, if it does.  libcst's native parser
    has no such limit: it overflows its stack and the whole process dies, so it must not see such text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<file>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (RecursionError, MemoryError):
        return "nested too deeply"
    except SyntaxError as err:
        if "too many" in str(err.msg):  # "too many nested parentheses", "too many levels of indentation"
            return f"line {err.lineno}: {err.msg}"
    except ValueError:  # NUL bytes: libcst gives the message
        pass
    return None


def _parse_error(text: str, exc: Exception) -> str:
    """``line N: message``, from CPython's parser when it agrees that the text is invalid (clearer messages)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<file>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as err:
        return f"line {err.lineno}: {err.msg}"
    except Exception:  # noqa: S110 - fall back to libcst's own message
        pass
    line = getattr(exc, "raw_line", None) or 1
    message = str(getattr(exc, "message", exc)).removeprefix("parser error: ").splitlines()[0]
    return f"line {line}: {message}"


@dataclass
class _Literal:
    """A simple string literal: its node, where it is, how it is written and what it holds."""

    node: cst.SimpleString
    start: int
    end: int
    value: str

    @property
    def prefix(self) -> str:
        return self.node.prefix

    @property
    def quote(self) -> str:
        return self.node.quote


@dataclass
class _Migration:
    """One file's pass: collect the literals, decide, translate, edit."""

    text: str
    module: cst.Module
    settings: Settings
    result: FileResult = field(init=False)
    fixes: list[Fix] = field(default_factory=list)
    parents: dict = field(default_factory=dict)
    positions: dict = field(default_factory=dict)
    migrated: dict[int, TagDecision] = field(default_factory=dict)  # literal start -> decision
    other_alpine: list[str] = field(default_factory=list)  # non-python Alpine images named in code
    handled: set[int] = field(default_factory=set)  # literal starts already taken care of

    line_starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.result = FileResult(self.text, self.text)
        self.line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]

    # --- positions -------------------------------------------------------------------------

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.positions[node]
        return self.offset(where.start.line, where.start.column), self.offset(where.end.line, where.end.column)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset)

    def literal(self, node: cst.SimpleString) -> _Literal:
        start, end = self.span(node)
        value = node.evaluated_value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        return _Literal(node, start, end, value)

    # --- the pass --------------------------------------------------------------------------

    def run(self) -> FileResult:
        import libcst as cst
        from libcst.metadata import MetadataWrapper, PositionProvider

        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        strings, comments, sequences, tag_calls = [], [], [], []
        for node, parent in _walk(self.module):
            self.parents[node] = parent
            if isinstance(node, cst.Comment):
                comments.append(node)
            elif isinstance(node, (cst.List, cst.Tuple)):
                sequences.append(node)
            elif _is_pull_with_tag(node):
                tag_calls.append(node)
            if _template(node) is not None and _template(parent) is None and not _formats(node, parent):
                strings.append(node)
        if self.settings.rule_enabled(IMAGE_RULE):
            for call in tag_calls:
                self.pull_with_tag(call)
            for node in strings:
                self.image_string(node)
            for comment in comments:
                start, _ = self.span(comment)
                self.report_tokens(comment.value, start, "in a comment")
        codenames = {d.codename for d in self.migrated.values()}
        if codenames and self.settings.rule_enabled(APK_RULE):
            self.apk_commands(sequences, strings, codenames)
        new, skipped = apply_fixes(self.text, self.fixes)
        for skipped_fix in skipped:
            self.finding(APK_RULE, skipped_fix.start, "this apk command change overlaps another change and was not made: make it by hand")
        self.result.new = new
        self.result.findings.sort(key=lambda f: (f.line, f.rule))
        return self.result

    def finding(self, rule: str, offset: int, message: str, severity: Severity = Severity.WARNING) -> None:
        self.result.findings.append(Finding(rule, self.line_of(offset), message, severity))

    # --- python-image ----------------------------------------------------------------------

    def image_string(self, node: cst.BaseExpression) -> None:
        """A maximal string expression: rewrite its whole-reference literals, or report what it builds."""
        import libcst as cst

        start, end = self.span(node)
        if isinstance(self.parents.get(node), cst.Expr):  # a docstring, or a string used as a comment
            self.report_tokens(self.text[start:end], start, "in a docstring or bare string")
            return
        literals = [self.literal(leaf) for leaf in _leaves(node)]
        whole = [lit for lit in literals if is_python_alpine(lit.value) and lit.start not in self.handled]
        for lit in whole:
            self.rewrite_image(lit)
        for lit in literals:
            self.note_other_alpine(lit.value)
        if whole or any(lit.start in self.handled for lit in literals):
            return
        if isinstance(node, cst.SimpleString):
            self.report_tokens(self.text[start:end], start, "inside a longer string")
            return
        built = _template(node).strip()
        if is_python_alpine(built):
            shown = built.replace(_VARIABLE, "{...}")
            self.finding(IMAGE_RULE, start, f"python Alpine image {shown} is built by {_how(node)}: not rewritten; change it by hand")
        else:
            self.report_tokens(built, start, f"inside a string built by {_how(node)}", where=self.text[start:end])

    def rewrite_image(self, lit: _Literal, decision: TagDecision | None = None, shift: int = 0) -> None:
        """Rewrite a literal holding a reference (``shift``: where the literal's value starts in it)."""
        decision = decision or decide(lit.value, self.settings.codename)
        self.handled.add(lit.start)
        if decision is None:
            return
        for note in decision.notes:
            severity = Severity.WARNING if note_needs_review(decision, note) else Severity.INFO
            self.finding(IMAGE_RULE, lit.start, note, severity)
        if decision.new is None:
            return
        value_edits = [(s - shift, e - shift, r) for s, e, r in decision.edits]
        edits = _literal_edits(lit, value_edits) if all(s >= 0 for s, _, _ in value_edits) else None
        if edits is None:
            self.finding(IMAGE_RULE, lit.start, f"{decision.old} -> {decision.new}: the literal's escapes or raw prefix do not allow an exact rewrite; change it by hand")
            return
        self.fixes.append(Fix(tuple(edits)))
        self.migrated[lit.start] = decision
        self.result.changes.append(Change(IMAGE_RULE, self.line_of(lit.start), decision.old, decision.new))

    def pull_with_tag(self, call: cst.Call) -> None:
        """``images.pull("python", tag="3.11-alpine")``: the tag literal is rewritten on its own."""
        import libcst as cst

        repo_arg = next((a for a in call.args if a.keyword and a.keyword.value == "repository"), None)
        repo_arg = repo_arg or next((a for a in call.args if a.keyword is None), None)
        tag_arg = next(a for a in call.args if a.keyword and a.keyword.value == "tag")
        if repo_arg is None or not isinstance(repo_arg.value, cst.SimpleString):
            return
        repo = self.literal(repo_arg.value).value
        parsed = parse_ref(repo)
        if parsed is None or parsed.tag is not None or parsed.digest is not None:
            return
        if not isinstance(tag_arg.value, cst.SimpleString):
            built = _template(tag_arg.value)
            if built is not None and is_python_alpine(f"{repo}:{built}"):
                start, _ = self.span(tag_arg.value)
                self.finding(IMAGE_RULE, start, f"python Alpine tag for {repo} is built by {_how(tag_arg.value)}: not rewritten; change it by hand")
            return
        tag = self.literal(tag_arg.value)
        if is_python_alpine(f"{repo}:{tag.value}"):
            self.rewrite_image(tag, decide(f"{repo}:{tag.value}", self.settings.codename), shift=len(repo) + 1)

    def report_tokens(self, text: str, start: int, where_said: str, where: str | None = None) -> None:
        """Report each python Alpine reference found in free text (``where``: the source to find its line in)."""
        source = where if where is not None else text
        for token in _ref_tokens(text):
            found = source.find(token)
            at = start + found if found >= 0 else start
            shown = token.replace(_VARIABLE, "{...}")
            self.finding(IMAGE_RULE, at, f"python Alpine image {shown} {where_said}: not rewritten; change it by hand")

    def note_other_alpine(self, value: str) -> None:
        parsed = parse_ref(value)
        if parsed is not None and not is_python_alpine(value) and (parsed.name == "alpine" or "alpine" in (parsed.tag or "")):
            self.other_alpine.append(value)

    # --- python-apk-to-apt -----------------------------------------------------------------

    def apk_commands(self, sequences: list, strings: list, codenames: set[str | None]) -> None:
        import libcst as cst

        seen: set[int] = set()
        for seq in sequences:
            elements = [e.value for e in seq.elements]
            if not elements or not isinstance(elements[0], cst.SimpleString):
                continue
            head = self.literal(elements[0])
            if head.value in _APK:
                seen.add(head.start)
                codename = self.codename_for(seq, codenames)
                if codename:
                    self.apk_argv(seq, codename)
            elif (
                head.value.rsplit("/", 1)[-1] in _SHELLS
                and len(elements) >= 3
                and all(isinstance(e, cst.SimpleString) for e in elements[:3])
                and _SHELL_FLAGS.fullmatch(self.literal(elements[1]).value)
            ):
                script = self.literal(elements[2])
                seen.add(script.start)
                if _APK_COMMAND.search(script.value) and (codename := self.codename_for(seq, codenames)):
                    self.apk_string(script, codename, in_shell=True)
        for node in strings:
            if not isinstance(node, cst.SimpleString) or isinstance(self.parents.get(node), cst.Expr):
                continue
            lit = self.literal(node)
            if lit.start in seen or not _APK_COMMAND.search(lit.value):
                continue
            if not lit.value.startswith("apk "):
                self.finding(APK_RULE, lit.start, "apk command inside a longer string: not translated; translate it by hand")
            elif codename := self.codename_for(node, codenames):
                self.apk_string(lit, codename, in_shell=bool(_SHELL_SYNTAX.search(lit.value)))

    def codename_for(self, node: cst.CSTNode, codenames: set[str | None]) -> str | None:
        """The codename of the image an apk command runs in; None (reported when unclear) to leave it."""
        image = self.image_of(node)
        if image is not None:
            decision = self.migrated.get(image.start)
            return decision.codename if decision else None  # another image, or one not migrated
        start, _ = self.span(node)
        if self.other_alpine:
            self.finding(APK_RULE, start, f"apk command in a file that also uses {self.other_alpine[0]}: not translated; translate it by hand if it runs in the python image")
            return None
        if len(codenames) > 1:
            names = ", ".join(sorted(c for c in codenames if c))
            self.finding(APK_RULE, start, f"the python images of this file were migrated to different Debian releases ({names}): not translated; translate this apk command by hand")
            return None
        return next(iter(codenames))

    def image_of(self, node: cst.CSTNode) -> _Literal | None:
        """The image literal of the call chain ``node`` is an argument of, if the code says it."""
        import libcst as cst

        current = node
        while isinstance(self.parents.get(current), (cst.Element, cst.List, cst.Tuple, cst.Arg)):
            current = self.parents[current]
        call = self.parents.get(current)
        if not isinstance(current, cst.Arg) or not isinstance(call, cst.Call):
            return None
        link: cst.BaseExpression = call
        while True:
            if isinstance(link, cst.Call):
                image = _image_argument(link)
                if image is not None:
                    return self.literal(image)
                link = link.func
            elif isinstance(link, cst.Attribute):
                link = link.value
            else:
                return None

    def apk_argv(self, seq: cst.List | cst.Tuple, codename: str) -> None:
        import libcst as cst

        start, _ = self.span(seq)
        values = [e.value for e in seq.elements]
        if not all(isinstance(v, cst.SimpleString) for v in values):
            self.finding(APK_RULE, start, "apk argv with arguments computed at run time: not translated; translate it by hand")
            return
        literals = [self.literal(v) for v in values]
        script = " ".join(shlex.quote(lit.value) for lit in literals)
        translation = self.translate(script, codename, lambda _offset: self.line_of(start))
        if translation is None:
            return
        translated = _apply(script, translation)
        words = shlex.split(translated) if not _SHELL_SYNTAX.search(translated) else ["sh", "-c", translated]
        first, last = literals[0], literals[-1]
        between = self.text[first.end : literals[1].start] if len(literals) > 1 else ", "
        separator = between if "\n" not in between and "#" not in between else ", "
        inner = self.text[first.start : last.end]
        if "#" in _outside(inner, [(lit.start - first.start, lit.end - first.start) for lit in literals]):
            self.finding(APK_RULE, start, "apk argv with comments inside: not translated; translate it by hand")
            return
        rendered = [_render(word, first.prefix, first.quote) for word in words]
        if any(r is None for r in rendered):
            self.finding(APK_RULE, start, "the translated command cannot be written in this literal style; translate it by hand")
            return
        self.fixes.append(Fix((Edit(first.start, last.end, separator.join(rendered)),)))
        self.result.changes.append(Change(APK_RULE, self.line_of(start), inner, separator.join(rendered)))

    def apk_string(self, lit: _Literal, codename: str, in_shell: bool) -> None:
        first_line = self.line_of(lit.start)
        translation = self.translate(lit.value, codename, lambda offset: first_line + lit.value.count("\n", 0, offset))
        if translation is None:
            return
        translated = _apply(lit.value, translation)
        if not in_shell and _SHELL_SYNTAX.search(translated):
            translated = f"sh -c {shlex.quote(translated)}"
            translation = [(0, len(lit.value), translated)]
        edits = _literal_edits(lit, translation)
        if edits is None:
            self.finding(APK_RULE, lit.start, "the translated command cannot be written in this literal style; translate it by hand")
            return
        self.fixes.append(Fix(tuple(edits)))
        self.result.changes.append(Change(APK_RULE, self.line_of(lit.start), lit.value, translated))

    def translate(self, script: str, codename: str, line_of) -> list[tuple[int, int, str]] | None:
        """Edits that translate the shell text, or None (with the reasons as findings) when it stays."""
        from .rules.apk_to_apt import translate_shell

        translation = translate_shell(script, codename, self.settings.package_overrides, line_of)
        self.result.findings.extend(replace(f, rule=APK_RULE) for f in translation.findings)
        if translation.removes_all:
            self.result.findings.append(
                Finding(APK_RULE, line_of(0), f"{translation.removes_all}: remove this command by hand")
            )
            return None
        if not translation.edits:
            return None
        return [(e.start, e.end, e.replacement) for e in translation.edits]


# --- tree helpers (no libcst import at module level: these take its nodes) ---------------------


def _walk(root: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, cst.CSTNode | None]]:
    """Every node with its parent, in source order; iterative, since long chains nest deeply."""
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        stack.extend((child, node) for child in reversed(node.children))


def _template(node: object) -> str | None:
    """The text a string expression builds, run-time parts as ``${V}``; None if it builds no string."""
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value.decode("latin-1") if isinstance(value, bytes) else value
    if isinstance(node, cst.FormattedString):
        return "".join(p.value if isinstance(p, cst.FormattedStringText) else _VARIABLE for p in node.parts)
    if isinstance(node, cst.ConcatenatedString):
        left, right = _template(node.left), _template(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.BinaryOperation):
        left = _template(node.left)
        if isinstance(node.operator, cst.Modulo) and left is not None:
            return _PERCENT_FIELD.sub(_VARIABLE, left)
        if isinstance(node.operator, cst.Add):
            right = _template(node.right)
            if left is not None or right is not None:
                return (left if left is not None else _VARIABLE) + (right if right is not None else _VARIABLE)
        return None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        base = _template(node.func.value)
        return _FORMAT_FIELD.sub(_VARIABLE, base) if base is not None else None
    return None


def _formats(node: object, parent: object) -> bool:
    """``node`` is the string that ``parent`` calls ``.format`` on: the call is the string expression."""
    import libcst as cst

    return isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "format"


def _leaves(node: cst.CSTNode) -> Iterator[cst.SimpleString]:
    """The simple string literals a string expression is built from."""
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        yield node
    elif isinstance(node, cst.ConcatenatedString):
        yield from _leaves(node.left)
        yield from _leaves(node.right)
    elif isinstance(node, cst.BinaryOperation):
        for side in (node.left, node.right):
            if _template(side) is not None:
                yield from _leaves(side)
    elif isinstance(node, cst.Call):
        yield from _leaves(node.func.value)


def _how(node: cst.CSTNode) -> str:
    import libcst as cst

    if isinstance(node, cst.FormattedString):
        return "an f-string"
    if isinstance(node, cst.ConcatenatedString):
        return "implicit concatenation"
    if isinstance(node, cst.BinaryOperation):
        return "`%` formatting" if isinstance(node.operator, cst.Modulo) else "`+` concatenation"
    return "`.format()`"


def _is_pull_with_tag(node: object) -> bool:
    """The docker SDK's ``images.pull(repository, tag=...)`` and ``api.pull(...)``."""
    import libcst as cst

    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "pull"
        and any(a.keyword and a.keyword.value == "tag" for a in node.args)
    )


def _image_argument(call: cst.Call) -> cst.SimpleString | None:
    """The image a call names: ``from_(IMAGE)``, ``containers.run(IMAGE)``, ``*Container(IMAGE)``, ``image=IMAGE``."""
    import libcst as cst

    keyword = next((a.value for a in call.args if a.keyword and a.keyword.value == "image"), None)
    if isinstance(keyword, cst.SimpleString):
        return keyword
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if name not in _IMAGE_METHODS and not name.endswith("Container"):
        return None
    first = next((a.value for a in call.args if a.keyword is None and not a.star), None)
    if isinstance(first, cst.SimpleString):
        value = first.evaluated_value
        if parse_ref(value.decode("latin-1") if isinstance(value, bytes) else value) is not None:
            return first
    return None


# --- text helpers --------------------------------------------------------------------------


def _ref_tokens(text: str) -> list[str]:
    """Python Alpine references written in free text (comments, docstrings, longer strings)."""
    found = []
    for match in _REF_TOKEN.finditer(text):
        token = match[0].rstrip(".:,-")
        if "alpine" in token and is_python_alpine(token) and token not in found:
            found.append(token)
    return found


def _outside(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the given spans."""
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(text[pos:start])
        pos = end
    return "".join(out) + text[pos:]


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    return apply_fixes(text, [Fix(tuple(Edit(*e) for e in edits))])[0]


def _evaluate(literal: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(literal)
    except (SyntaxError, ValueError):
        return None
    return value.decode("latin-1") if isinstance(value, bytes) else value if isinstance(value, str) else None


def _escape(value: str, quote: str, raw: bool, is_bytes: bool) -> str | None:
    """``value`` as the body of a literal of this style; None when the style cannot hold it."""
    if is_bytes and not value.isascii():
        return None
    if raw:
        single_line = len(quote) == 1
        bad = "\\" in value or quote[0] in value or (single_line and ("\n" in value or "\r" in value))
        return None if bad else value
    value = value.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])
    if len(quote) == 1:
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value


def _render(value: str, prefix: str, quote: str) -> str | None:
    flags = prefix.lower()
    body = _escape(value, quote, "r" in flags, "b" in flags)
    if body is None:
        return None
    literal = f"{prefix}{quote}{body}{quote}"
    return literal if _evaluate(literal) == value else None


def _value_offsets(body: str, raw: bool, is_bytes: bool) -> list[int | None]:
    """For each position in the literal's value, its position in the body (None: inside an escape)."""
    offsets: list[int | None] = []
    pos = 0
    for match in (_NEWLINE if raw else _ESCAPE).finditer(body):
        offsets.extend(range(pos, match.start()))
        piece = match[0]
        if piece[0] != "\\":
            produced = 1  # a line break, "\n" in the value
        elif piece[1] in "\r\n":
            produced = 0  # a line continuation
        elif piece[1] in "NuU":
            produced = 1 if not is_bytes else len(piece)
        elif piece[1] in "x01234567" or piece[1] in _SIMPLE_ESCAPES:
            produced = 1
        else:
            produced = 2  # an unknown escape keeps its backslash
        offsets.extend([match.start(), *[None] * (produced - 1)][:produced])
        pos = match.end()
    offsets.extend(range(pos, len(body)))
    offsets.append(len(body))
    return offsets


def _literal_edits(lit: _Literal, value_edits: list[tuple[int, int, str]]) -> list[Edit] | None:
    """File edits that change ``lit``'s value as ``value_edits`` say, keeping its prefix, quotes and escapes."""
    flags = lit.prefix.lower()
    raw, is_bytes = "r" in flags, "b" in flags
    body_start = lit.start + len(lit.prefix) + len(lit.quote)
    body = lit.node.value[len(lit.prefix) + len(lit.quote) : -len(lit.quote)]
    offsets = _value_offsets(body, raw, is_bytes)
    if len(offsets) != len(lit.value) + 1:
        return None
    local: list[Edit] = []
    for start, end, replacement in value_edits:
        escaped = _escape(replacement, lit.quote, raw, is_bytes)
        if offsets[start] is None or offsets[end] is None or escaped is None:
            return None
        local.append(Edit(offsets[start], offsets[end], escaped))
    new_body, skipped = apply_fixes(body, [Fix(tuple(local))])
    if skipped or _evaluate(f"{lit.prefix}{lit.quote}{new_body}{lit.quote}") != _apply(lit.value, value_edits):
        return None
    return [Edit(body_start + e.start, body_start + e.end, e.replacement) for e in local]
