"""What a run did, for machines and for people: JSON, SARIF 2.1.0, a pull-request body in Markdown,
and the pieces of the text output.  Pure functions of the per-file reports; the CLI prints them.

The JSON document is versioned: ``"schema": "dockerfix/report/v1"``, described by the JSON
Schema in ``data/report.schema.json``.  A new key may be added within v1; a key is never removed
or changed in meaning without a new version.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from typing import Iterable, Sequence
from urllib.parse import quote

from . import __version__
from .findings import Change, FileResult, Finding, PackageChange, Severity

SCHEMA = "dockerfix/report/v1"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
HOME = "https://pypi.org/project/dockerfix/"
SARIF_LEVEL = {Severity.INFO: "note", Severity.WARNING: "warning", Severity.ERROR: "error"}
WHY = (
    "Alpine Linux is built on musl libc, and PyPI's prebuilt wheels for compiled packages "
    "(cryptography, numpy, psycopg2, pillow, ...) are mostly built for glibc (manylinux): on Alpine, "
    "pip often has to compile them from source, which makes builds slow, needs compilers and `-dev` "
    "packages in the image, and makes the image bigger. The `python:<version>-slim-<codename>` images "
    "are Debian, with glibc, where those wheels install as they are."
)


@dataclass(frozen=True)
class FileReport:
    """One processed file as the reports see it.  The file's text is not kept."""

    path: str  # as shown to the user: relative to the current folder when below it
    kind: str
    changed: bool = False  # the migration changes the file (in --write mode: and it was written)
    written: bool = False
    changes: tuple[Change, ...] = ()
    findings: tuple[Finding, ...] = ()
    packages: tuple[PackageChange, ...] = ()
    error: str | None = None  # the file could not be processed (or written); it is unchanged
    diff: str = ""  # the unified diff, when one was asked for

    @classmethod
    def of(cls, path: str, kind: str, result: FileResult, written: bool = False, diff: str = "") -> FileReport:
        return cls(
            path, kind, result.changed and result.error is None, written, tuple(result.changes),
            tuple(result.findings), tuple(result.packages), result.error, diff,
        )


@dataclass
class Totals:
    """Counts over a run, kept as files are processed (so the reports need not be kept for them)."""

    files: int = 0
    changed: int = 0
    errors: int = 0
    findings: dict[str, int] = field(default_factory=dict)  # severity -> count

    def add(self, report: FileReport) -> None:
        self.files += 1
        self.changed += report.changed
        self.errors += report.error is not None
        for finding in report.findings:
            self.findings[finding.severity.value] = self.findings.get(finding.severity.value, 0) + 1

    @property
    def unchanged(self) -> int:
        return self.files - self.changed - self.errors


# --- text ------------------------------------------------------------------------------------


def finding_line(path: str, finding: Finding) -> str:
    return f"{path}:{finding.line}: {finding.rule}: {finding.message}"


def summary_line(mode: str, totals: Totals) -> str:
    verb = {"write": "migrated", "check": "would be migrated", "diff": "would be migrated"}[mode]
    noun = "file" if totals.changed == 1 else "files"
    parts = [f"{totals.changed} {noun} {verb}", f"{totals.unchanged} unchanged"]
    if totals.findings:
        nouns = {"info": "note", "warning": "warning", "error": "error"}  # "2 notes" reads better than "2 infos"
        parts.append(", ".join(f"{n} {nouns.get(k, k)}{'s' if n != 1 else ''}" for k, n in sorted(totals.findings.items())))
    if totals.errors:
        parts.append(f"{totals.errors} error{'s' if totals.errors != 1 else ''}")
    return "dockerfix: " + ", ".join(parts) + "."


_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m"}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


def colour_diff(diff: str) -> str:
    """ANSI colours for a unified diff: headers bold, removals red, additions green, hunks cyan."""
    out = []
    for line in diff.splitlines(keepends=True):
        body = line.rstrip("\n")
        ending = line[len(body) :]
        if line.startswith(("--- ", "+++ ")):
            out.append(f"{_BOLD}{body}{_RESET}{ending}")
        elif line[:1] in _COLOURS:
            out.append(f"{_COLOURS[line[0]]}{body}{_RESET}{ending}")
        else:
            out.append(line)
    return "".join(out)


# --- JSON ------------------------------------------------------------------------------------


def to_json(reports: Sequence[FileReport], totals: Totals, mode: str, wheels: dict | None = None) -> str:
    """The run as a ``dockerfix/report/v1`` document (see data/report.schema.json); ``wheels`` is
    ``dockerfix explain``'s data (``--wheels``)."""
    document = {
        "schema": SCHEMA,
        "tool": {"name": "dockerfix", "version": __version__},
        "mode": mode,
        "files": [_file_json(report) for report in reports],
        "totals": {
            "files": totals.files,
            "changed": totals.changed,
            "unchanged": totals.unchanged,
            "errors": totals.errors,
            "findings": {s.value: totals.findings.get(s.value, 0) for s in Severity},
        },
    }
    if wheels is not None:
        document["wheels"] = wheels
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _file_json(report: FileReport) -> dict:
    return {
        "path": _posix(report.path),
        "kind": report.kind,
        "changed": report.changed,
        "written": report.written,
        "changes": [{"rule": c.rule, "line": c.line, "before": c.before, "after": c.after} for c in report.changes],
        "findings": [
            {"rule": f.rule, "line": f.line, "message": f.message, "severity": f.severity.value} for f in report.findings
        ],
        "packages": [
            {"line": p.line, "alpine": p.alpine, "debian": list(p.debian), "decision": p.decision, "reason": p.reason}
            for p in report.packages
        ],
        "error": report.error,
    }


# --- SARIF -----------------------------------------------------------------------------------


def to_sarif(reports: Sequence[FileReport]) -> str:
    """SARIF 2.1.0 for code scanning: every finding is a result, and so is every change not written
    (``--check``/``--diff``); files that could not be processed are tool notifications."""
    results: list[tuple[str, dict]] = []
    notifications = []
    for report in reports:
        for finding in report.findings:
            results.append((finding.rule, _result(finding.rule, SARIF_LEVEL[finding.severity], finding.message, report.path, finding.line)))
        if not report.written:
            for change in report.changes:
                message = f"dockerfix would rewrite this: {_one_line(change.before)} -> {_one_line(change.after)}"
                results.append((change.rule, _result(change.rule, "warning", message, report.path, change.line)))
        if report.error:
            notifications.append(
                {"level": "error", "message": {"text": f"{report.path}: {report.error}"}, "locations": [_location(report.path, None)]}
            )
    descriptors = _rule_descriptors(rule for rule, _ in results)
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    for rule, result in results:
        result["ruleIndex"] = index[rule]
    run = {
        "tool": {"driver": {"name": "dockerfix", "version": __version__, "informationUri": HOME, "rules": descriptors}},
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "results": [result for _, result in results],
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False) + "\n"


def _result(rule: str, level: str, message: str, path: str, line: int) -> dict:
    return {"ruleId": rule, "level": level, "message": {"text": message}, "locations": [_location(path, line)]}


def _location(path: str, line: int | None) -> dict:
    if os.path.isabs(path):
        artifact = {"uri": "file://" + quote(_posix(path))}
    else:
        artifact = {"uri": quote(_posix(path)), "uriBaseId": "%SRCROOT%"}
    physical: dict = {"artifactLocation": artifact}
    if line is not None:
        physical["region"] = {"startLine": max(line, 1)}
    return {"physicalLocation": physical}


def _rule_descriptors(used: Iterable[str]) -> list[dict]:
    """The registry's rules (with their summary and documentation), then any other rule id used."""
    from .rules import RULES

    descriptors = []
    for rule in RULES:
        doc = (rule.__doc__ or "").strip()
        descriptors.append(
            {
                "id": rule.RULE_ID,
                "name": rule.RULE_ID,
                "shortDescription": {"text": rule.SUMMARY},
                "fullDescription": {"text": doc.split("\n\n")[0] if doc else rule.SUMMARY},
                "help": {"text": doc or rule.SUMMARY},
                "defaultConfiguration": {"level": "warning"},
            }
        )
    known = {d["id"] for d in descriptors}
    for rule_id in sorted(set(used) - known):
        descriptors.append({"id": rule_id, "name": rule_id, "shortDescription": {"text": rule_id}})
    return descriptors


# --- Markdown --------------------------------------------------------------------------------


def to_markdown(
    reports: Sequence[FileReport], totals: Totals, mode: str, command: Sequence[str], link_base: str | None = None,
    wheels: dict | None = None,
) -> str:
    """A pull-request body: why, the image changes, the package translations, what to check, how to
    reproduce.  Line numbers are those of the files before the change; ``link_base`` (e.g.
    ``https://github.com/OWNER/REPO/blob/BASE-SHA/``) turns each ``path:line`` into a link."""
    out = ["## Move Python images from Alpine (musl) to Debian slim (glibc)", "", WHY, ""]
    if wheels and wheels.get("verdicts"):  # the same reason, for this project's own requirements
        out += ["For this repository's requirements (PyPI, `dockerfix explain`):", ""]
        out += [f"- {_one_line(verdict)}" for verdict in wheels["verdicts"]] + [""]
    noun = "file" if totals.changed == 1 else "files"
    verb = "migrated" if mode == "write" else "would migrate"
    out += [f"dockerfix {__version__} {verb} {totals.changed} {noun}.", ""]
    out += _images_section(reports, link_base)
    out += _packages_section(reports, link_base)
    out += _review_section(reports, link_base)
    out += _errors_section(reports)
    out += ["### Reproduce", "", "```sh", f"pip install 'dockerfix=={__version__}'", shlex.join(command), "```", ""]
    return "\n".join(out)


def is_image_change(change: Change) -> bool:
    """Image reference rewrites: the rules that move images are named ``...-image``."""
    return change.rule.endswith("-image")


def _images_section(reports: Sequence[FileReport], link_base: str | None) -> list[str]:
    rows = [
        f"| {_where(r.path, c.line, link_base)} | {_code(c.before)} | {_code(c.after)} |"
        for r in reports
        if r.changed
        for c in r.changes
        if is_image_change(c)
    ]
    if not rows:
        return []
    return ["### Images", "", "| Where | Before | After |", "|---|---|---|", *rows, ""]


_DECISION_ORDER = {"map": 0, "drop": 1, "pypi": 2, "unknown": 3}
_OUTCOMES = {"drop": "dropped", "pypi": "removed (pip-install it)", "unknown": "**not translated**"}


def _packages_section(reports: Sequence[FileReport], link_base: str | None) -> list[str]:
    """One row per Alpine package and outcome, with every place it appears."""
    places: dict[tuple[str, str, tuple[str, ...], str], list[str]] = {}
    for report in reports:
        for p in report.packages:
            places.setdefault((p.decision, p.alpine, p.debian, p.reason), []).append(_where(report.path, p.line, link_base))
    if not places:
        return []
    rows = []
    for (decision, alpine, debian, reason), where in sorted(places.items(), key=lambda kv: (_DECISION_ORDER.get(kv[0][0], 9), kv[0][1:])):
        outcome = _OUTCOMES.get(decision) or " ".join(_code(d) for d in debian)
        rows.append(f"| {_code(alpine)} | {outcome} | {_cell(reason)} | {', '.join(dict.fromkeys(where))} |")
    return ["### Packages (Alpine -> Debian)", "", "| Alpine | Debian | Note | Where |", "|---|---|---|---|", *rows, ""]


def _review_section(reports: Sequence[FileReport], link_base: str | None) -> list[str]:
    checks = [
        f"- [ ] {_where(r.path, f.line, link_base)} ({f.rule}): {_inline(f.message)}"
        for r in reports
        for f in r.findings
        if f.severity is not Severity.INFO
    ]
    notes = [
        f"- {_where(r.path, f.line, link_base)} ({f.rule}): {_inline(f.message)}"
        for r in reports
        for f in r.findings
        if f.severity is Severity.INFO
    ]
    out = []
    if checks:
        out += ["### Check before merging", "", *checks, ""]
    if notes:
        out += ["<details><summary>Notes on the choices made</summary>", "", *notes, "", "</details>", ""]
    return out


def _errors_section(reports: Sequence[FileReport]) -> list[str]:
    errors = [f"- {_code(r.path)}: {_inline(r.error)}" for r in reports if r.error]
    return ["### Files dockerfix could not process (left unchanged)", "", *errors, ""] if errors else []


def _where(path: str, line: int, link_base: str | None) -> str:
    shown = f"{_posix(path)}:{line}"
    if link_base is None or os.path.isabs(path):
        return _code(shown)
    return f"[{_code(shown)}]({link_base}{quote(_posix(path))}#L{line})"


def _code(text: str) -> str:
    """``text`` as a Markdown code span that survives a table cell."""
    text = _one_line(text).replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _inline(text: str) -> str:
    return " ".join(text.split())


def _one_line(text: str) -> str:
    """A multi-line instruction on one line: continuations joined, runs of blanks collapsed."""
    return " ".join(text.replace("\\\r\n", " ").replace("\\\n", " ").split())


def _posix(path: str) -> str:
    return path.replace(os.sep, "/")
