"""fix_text: one file's text in, a FileResult out.  No printing, no file system."""

from __future__ import annotations

import importlib

from . import dockerfile, stages
from .edits import apply_fixes
from .files import DOCKERFILE, HANDLERS
from .findings import FileResult, Finding, Severity
from .rules import RULE_IDS, RULES
from .rules.context import ALL_RULES, DockerfileContext
from .settings import Settings


class SelfCheckError(Exception):
    """The rewritten text failed its self-check; nothing is written."""


def fix_text(text: str, kind: str = DOCKERFILE, settings: Settings | None = None) -> FileResult:
    """Migrate one file's text.  Unreadable input gives a result with ``error`` set."""
    settings = settings or Settings()
    if kind != DOCKERFILE:
        if kind not in HANDLERS:
            raise ValueError(f"unknown file kind {kind!r}")
        module, function = HANDLERS[kind].split(":")
        # heavy parsers (ruamel.yaml, libcst) are imported only when a file of their kind comes
        return getattr(importlib.import_module(module, __package__), function)(text, settings)
    try:
        return _fix_dockerfile(text, settings)
    except dockerfile.DockerfileSyntaxError as exc:
        return FileResult(text, text, error=str(exc))  # the message starts with "line N: "
    except SelfCheckError as exc:
        return FileResult(text, text, error=f"self-check failed, file left unchanged: {exc}")


def _fix_dockerfile(text: str, settings: Settings) -> FileResult:
    parsed = dockerfile.parse(text)
    ctx = DockerfileContext(parsed, stages.analyse(parsed, settings.codename, settings.migrate_copy_targets), settings)
    result = FileResult(text, text)
    fixes = []
    rule_of: dict[int, str] = {}  # id(fix) -> the rule that made it
    for pragma in ctx.pragmas.values():
        for rule_id in sorted(pragma.rules - {ALL_RULES} - set(RULE_IDS)):
            result.findings.append(Finding("pragma", pragma.line, f"unknown rule id `{rule_id}` in `# dockerfix: ignore=` (dockerfix --list-rules lists them)"))
    for rule in RULES:
        if not settings.rule_enabled(rule.RULE_ID):
            continue
        output = ctx.drop_ignored(rule.RULE_ID, rule.check(ctx))
        fixes.extend(output.fixes)
        rule_of.update((id(fix), rule.RULE_ID) for fix in output.fixes)
        result.findings.extend(output.findings)
        result.changes.extend(output.changes)
        result.packages.extend(output.packages)
    new, skipped = apply_fixes(text, fixes)
    for fix in skipped:  # overlapping fixes from two rules: keep the first, say so (a second run would
        # not make it either: the stage is no longer on Alpine then)
        message = f"a change of rule {rule_of[id(fix)]} here overlaps another rule's change and was not made: make it by hand"
        result.findings.append(Finding("internal", ctx.line_of(fix.start), message, Severity.WARNING))
    removed = sum(f.removes_instructions - f.adds_instructions for f in fixes if f not in skipped)
    changed_count = any(f.removes_instructions or f.adds_instructions for f in fixes if f not in skipped)
    _self_check(parsed, new, removed, changed_count)
    result.new = new
    result.findings.sort(key=lambda f: (f.line, f.rule))
    return result


def _self_check(old: dockerfile.Dockerfile, new_text: str, removed: int, changed_count: bool = False) -> None:
    """The rewritten file must parse, with the same instructions (less the ones removed on purpose,
    plus the ones added on purpose: ``removed`` is the net number removed)."""
    if new_text == old.text:
        return
    try:
        new = dockerfile.parse(new_text)
    except dockerfile.DockerfileSyntaxError as exc:
        raise SelfCheckError(f"the rewritten file does not parse ({exc})") from None
    if len(new.instructions) != len(old.instructions) - removed:
        raise SelfCheckError(
            f"{len(old.instructions)} instructions before, {len(new.instructions)} after ({removed} removed on purpose)"
        )
    if not changed_count and [i.keyword for i in new.instructions] != [i.keyword for i in old.instructions]:
        raise SelfCheckError("instruction keywords changed")
    before = _count_with_dockerfile_parse(old.text)
    if before == len(old.instructions):  # only where both parsers read the original alike (not heredocs, blank continuation lines)
        after = _count_with_dockerfile_parse(new_text)
        if after != before - removed:
            raise SelfCheckError(f"a second parser (dockerfile-parse) counts {before} instructions before, {after} after")


def _count_with_dockerfile_parse(text: str) -> int:
    """An independent reading of the instruction count, so one parser's blind spot cannot hide a break."""
    import io

    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(fileobj=io.BytesIO())
    parser.content = text
    return sum(1 for item in parser.structure if item["instruction"] != "COMMENT")
