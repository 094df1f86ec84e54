"""Minimal text edits over the original text, applied like ruff applies fixes.

Parsers only locate spans; rules return `Edit`s.  Every character outside an
edit survives unchanged, which is what keeps comments, CRLF, tabs and keyword
case intact.
"""

from __future__ import annotations

from bisect import bisect_right
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
    adds_instructions: int = 0  # whole instructions this fix inserts (for the self-check)

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


class _Disjoint:
    """Sorted, pairwise non-overlapping edits: a clash check is one bisection, so a file
    with many fixes (or one fix with many edits) costs n log n, not n squared."""

    def __init__(self) -> None:
        self.edits: list[Edit] = []
        self.ends: list[int] = []  # non-decreasing, because the edits are disjoint

    def clashes(self, edit: Edit) -> bool:
        """Whether ``edit`` overlaps a held edit, exactly as ``_overlaps`` decides."""
        k = bisect_right(self.ends, edit.start)  # the first held edit ending after edit.start
        if k < len(self.edits) and _overlaps(edit, self.edits[k]):
            return True
        return k > 0 and _overlaps(edit, self.edits[k - 1])  # an insertion at the same point

    def add(self, edit: Edit) -> None:
        k = bisect_right(self.edits, edit)
        self.edits.insert(k, edit)
        self.ends.insert(k, edit.end)


def apply_fixes(text: str, fixes: list[Fix]) -> tuple[str, list[Fix]]:
    """Apply non-overlapping fixes whole; return the new text and the fixes skipped.

    Fixes are taken in source order; one that overlaps an already accepted
    fix (or itself) is skipped as a unit (the caller may run the rules again).
    """
    accepted = _Disjoint()
    skipped: list[Fix] = []
    for fix in sorted((f for f in fixes if f.edits), key=lambda f: (f.start, f.end)):
        own = _Disjoint()
        for edit in sorted(e for e in fix.edits if not (e.start == e.end and not e.replacement)):
            if accepted.clashes(edit) or own.clashes(edit):
                skipped.append(fix)
                break
            own.add(edit)
        else:
            for edit in own.edits:
                accepted.add(edit)
    out: list[str] = []
    pos = 0
    for edit in accepted.edits:
        out.append(text[pos : edit.start])
        out.append(edit.replacement)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out), skipped
