"""arch-paths: Alpine's architecture names and library paths, in a migrated stage.

Why: ``apk --print-arch`` does not exist on Debian, and the names differ:
``dpkg --print-architecture`` prints ``amd64``/``arm64``/``armhf``/``i386``/``ppc64el`` where
apk printed ``x86_64``/``aarch64``/``armv7``/``x86``/``ppc64le``, so a download URL or a
``case`` built on the old names breaks.  Alpine keeps libraries in ``/usr/lib``; Debian keeps
them in ``/usr/lib/<triplet>/`` (``x86_64-linux-gnu`` on amd64, ``aarch64-linux-gnu`` on
arm64), so an ``LD_PRELOAD`` of ``/usr/lib/libjemalloc.so.2`` loads nothing.  And
``MUSL_LOCPATH`` only tells musl where its locales are.

What::

    RUN ARCH="$(apk --print-arch)" && wget https://example.org/tool-${ARCH}.tar.gz
    RUN ARCH="$(dpkg --print-architecture)" && wget https://example.org/tool-${ARCH}.tar.gz
    # reported: $ARCH is used in a URL, check the download names

    ENV MUSL_LOCPATH=/usr/share/i18n/locales/musl LANG=C.UTF-8
    ENV LANG=C.UTF-8

``apk --print-arch`` becomes ``dpkg --print-architecture`` anywhere in a RUN (``$( )``
included), with a warning when the value reaches a URL or is compared with Alpine's names.
``MUSL_LOCPATH`` is removed from ENV (the whole ENV when it was its only variable).
Reported, not changed (the right path depends on the architecture): ``LD_PRELOAD`` and
``LD_LIBRARY_PATH`` under ``/usr/lib`` or ``/lib``, and musl or gcompat libraries in them.
"""

from __future__ import annotations

import re

from ..dockerfile import Instruction, logical_args
from ..edits import Edit, Fix
from ..findings import Change, Finding, RuleOutput, Severity
from . import apk_to_apt
from .context import DockerfileContext
from .shellview import run_views

RULE_ID = "arch-paths"
SUMMARY = "apk --print-arch -> dpkg --print-architecture; report Alpine library paths in ENV; drop MUSL_LOCPATH"

DPKG_ARCH = "dpkg --print-architecture"
MUSL_ONLY = frozenset({"MUSL_LOCPATH"})
LIBRARY_VARIABLES = frozenset({"LD_PRELOAD", "LD_LIBRARY_PATH"})
_PRINT_ARCH = re.compile(r"(?<![\w/.-])(?:/sbin/)?apk\s+--print-arch\b")
_ALPINE_ARCHES = re.compile(r"\b(?:x86_64|aarch64|armv7|armhf|ppc64le|x86)\b")
_ALPINE_LIB = re.compile(r"^/(?:usr/)?lib/(?P<name>[^/]+\.so[.0-9]*)$")
_MUSL_LIB = re.compile(r"(?:^|/)(?:ld-musl|libc\.musl|libgcompat)")


def check(ctx: DockerfileContext) -> RuleOutput:
    out = RuleOutput()
    for stage in ctx.stages:
        if apk_to_apt.target_codename(ctx, stage) is None:
            continue
        for ins in stage.instructions:
            if ctx.ignores(ins, RULE_ID):
                continue
            if ins.keyword == "RUN":
                _print_arch(ctx, ins, out)
            elif ins.keyword == "ENV":
                _env(ctx, ins, out)
    return out


def _print_arch(ctx: DockerfileContext, ins: Instruction, out: RuleOutput) -> None:
    views = run_views(ctx.df, ins)
    if not isinstance(views, list):
        return
    edits: list[Edit] = []
    for view in views:
        for match in _PRINT_ARCH.finditer(view.text):
            edits.append(Edit(*view.span(match.start(), match.end()), DPKG_ARCH))
            out.findings.append(Finding(RULE_ID, ctx.line_of(view.at(match.start())), *_arch_report(view.text, match.start())))
    if edits:
        before = ctx.df.text[ins.start : ins.end]
        out.fixes.append(Fix(tuple(edits)))
        out.changes.append(Change(RULE_ID, ins.line, before, _apply(before, ins.start, edits)))


def _arch_report(text: str, at: int) -> tuple[str, Severity]:
    """What to tell about one ``apk --print-arch``: a warning when its value meets Alpine's names or a URL."""
    names = "amd64/arm64/armhf/i386/ppc64el where apk printed x86_64/aarch64/armv7/x86/ppc64le"
    assigned = re.search(r"([A-Za-z_][A-Za-z0-9_]*)=[\"']?(?:\$\(|`)\s*$", text[:at])
    variable = assigned.group(1) if assigned else None
    if variable:
        use = re.compile(r"\$(?:\{" + variable + r"\}|" + variable + r"\b)")
        for word in re.finditer(r"\S+", text):
            if "://" in word.group() and use.search(word.group()):
                return f"apk --print-arch -> {DPKG_ARCH}; ${variable} is used in a URL: Debian prints {names}, check the download names", Severity.WARNING
    if _ALPINE_ARCHES.search(text):
        return f"apk --print-arch -> {DPKG_ARCH}; this RUN compares with Alpine's architecture names: Debian prints {names}", Severity.WARNING
    return f"apk --print-arch -> {DPKG_ARCH} (Debian prints {names})", Severity.INFO


def _env(ctx: DockerfileContext, ins: Instruction, out: RuleOutput) -> None:
    logical = logical_args(ctx.df, ins)
    assignments = apk_to_apt.read_assignments(logical.text, "ENV")
    musl = [a for a in assignments if a.name in MUSL_ONLY]
    for assignment in assignments:
        if assignment.name in LIBRARY_VARIABLES and assignment.value:
            value = logical.text[slice(*assignment.value)]
            for message in _library_reports(assignment.name, value):
                out.findings.append(Finding(RULE_ID, ins.line, message))
    if not musl:
        return
    names = ", ".join(a.name for a in musl)
    if len(musl) == len(assignments):
        fix = Fix((apk_to_apt.remove_instruction(ctx.df.text, ins),), removes_instructions=1)
        after = ""
    else:
        edits = []
        for assignment in musl:
            start, end = assignment.start, assignment.end
            while start > 0 and logical.text[start - 1] in " \t":
                start -= 1
            if start == 0:  # the first assignment: take the blanks after it instead
                start = assignment.start
                while end < len(logical.text) and logical.text[end] in " \t":
                    end += 1
            edits.append(Edit(*logical.span(start, end), ""))
        fix = Fix(tuple(edits))
        before = ctx.df.text[ins.start : ins.end]
        after = _apply(before, ins.start, list(fix.edits))
    out.fixes.append(fix)
    out.changes.append(Change(RULE_ID, ins.line, ctx.df.text[ins.start : ins.end], after))
    out.findings.append(Finding(RULE_ID, ins.line, f"{names} removed: it only tells musl where its locales are (glibc has C.UTF-8 built in; other locales need Debian's locales package)", Severity.INFO))


def _library_reports(name: str, value: str) -> list[str]:
    """What is wrong, on Debian, with each Alpine library path in LD_PRELOAD/LD_LIBRARY_PATH."""
    reports = []
    for path in re.split(r"[:\s]+", value):
        if not path:
            continue
        if _MUSL_LIB.search(path):
            reports.append(f"{name}: {path} is a musl/gcompat library, Debian has none: remove it")
            continue
        library = _ALPINE_LIB.match(path)
        if library:
            reports.append(f"{name}: {path} is Alpine's library path; on Debian it is /usr/lib/x86_64-linux-gnu/{library.group('name')} (amd64; aarch64-linux-gnu on arm64): fix the path by hand")
        elif name == "LD_LIBRARY_PATH" and path.rstrip("/") in ("/usr/lib", "/lib"):
            reports.append(f"{name}: {path} holds Alpine's libraries; Debian's are in /usr/lib/x86_64-linux-gnu (amd64; aarch64-linux-gnu on arm64): fix the path by hand")
    return reports


def _apply(before: str, offset: int, edits: list[Edit]) -> str:
    out, pos = [], 0
    for edit in sorted(edits, key=lambda e: e.start):
        out.append(before[pos : edit.start - offset])
        out.append(edit.replacement)
        pos = edit.end - offset
    out.append(before[pos:])
    return "".join(out)
