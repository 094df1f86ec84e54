"""Minimal text edits over the original text, applied like ruff applies fixes.

Parsers only locate spans; rules return `Edit`s.  Every character outside an
edit survives unchanged, which is what keeps comments, CRLF, tabs and keyword
case intact.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement`` (offsets into the original)."""

    start: int
    end: int
    replacement: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad edit span {self.start}:{self.end}")


@dataclass(frozen=True)
class Fix:
    """Edits that must be applied together or not at all."""

    edits: tuple[Edit, ...]
    removes_instructions: int = 0  # whole instructions this fix deletes (for the self-check)

    @property
    def start(self) -> int:
        return min(e.start for e in self.edits)

    @property
    def end(self) -> int:
        return max(e.end for e in self.edits)


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: order would be ambiguous
    return a.start < b.end and b.start < a.end


def apply_fixes(text: str, fixes: list[Fix]) -> tuple[str, list[Fix]]:
    """Apply non-overlapping fixes whole; return the new text and the fixes skipped.

    Fixes are taken in source order; one that overlaps an already accepted
    fix is skipped as a unit (the caller may run the rules again).
    """
    accepted: list[Edit] = []
    skipped: list[Fix] = []
    for fix in sorted((f for f in fixes if f.edits), key=lambda f: (f.start, f.end)):
        edits = sorted(e for e in fix.edits if not (e.start == e.end and not e.replacement))
        if any(_overlaps(e, a) for e in edits for a in accepted) or any(
            _overlaps(x, y) for i, x in enumerate(edits) for y in edits[i + 1 :]
        ):
            skipped.append(fix)
            continue
        accepted.extend(edits)
    out: list[str] = []
    pos = 0
    for edit in sorted(accepted):
        out.append(text[pos : edit.start])
        out.append(edit.replacement)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out), skipped
