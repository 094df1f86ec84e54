"""Unified diffs that ``git apply`` accepts: a/ b/ headers, no timestamps."""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def _lines(text: str) -> list[str]:
    """Split after each "\\n" only (str.splitlines also splits on \\f, \\x1c, U+2028 ...)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def unified_diff(old: str, new: str, path: str, context: int = 3) -> str:
    """Diff ``old`` -> ``new`` for ``path`` (shown relative, with a/ and b/ prefixes)."""
    if old == new:
        return ""
    out: list[str] = []
    for line in difflib.unified_diff(
        _lines(old), _lines(new), f"a/{path}", f"b/{path}", n=context, lineterm="\n"
    ):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
            continue
        if not line.endswith("\n"):
            out.append(line + "\n" + NO_NEWLINE)
        else:
            out.append(line)
    return "".join(out)
