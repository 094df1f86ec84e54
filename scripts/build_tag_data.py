"""Build rewriter/data/python-tags.txt from the shared fact file python-tags-all.txt.

Keeps every tag except the Windows (``windowsservercore``) ones, which dockerfix
never reads or emits, and fails on any tag it does not understand, so that a new
tag form or a new Debian codename is noticed here rather than mis-decided later
(add a new codename to ``rewriter/codenames.py`` first).

    python scripts/build_tag_data.py /work/shared/data/python-tags-all.txt \
        --snapshot "37079fb (2026-08-21)"
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from rewriter.codenames import CODENAMES
from rewriter.images import VERSION_PATTERN

OUTPUT = Path(__file__).resolve().parent.parent / "rewriter" / "data" / "python-tags.txt"
_CODENAME = "|".join(CODENAMES)
_VARIANT = rf"alpine(?:\d+\.\d+)?|slim(?:-(?:{_CODENAME}))?|(?:{_CODENAME})|onbuild|latest"
_KNOWN = re.compile(rf"(?:{VERSION_PATTERN})|(?:(?:{VERSION_PATTERN})-)?(?:{_VARIANT})")


def build(source: Path, snapshot: str) -> str:
    tags = [line.strip() for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    if tags != sorted(tags) or len(set(tags)) != len(tags):
        sys.exit(f"{source}: not sorted in byte order or has duplicates")
    kept = [t for t in tags if "windowsservercore" not in t]
    unknown = [t for t in kept if not _KNOWN.fullmatch(t)]
    if unknown:
        sys.exit(f"{source}: tags of an unknown form (new codename?): {', '.join(unknown[:20])}")
    header = [
        "# Tags of the official Docker image `python` (library/python), one per line, sorted",
        "# in byte order: every tag ever listed in any state of library/python in",
        "# docker-library/official-images, Windows tags left out.",
        f"# Snapshot: {snapshot}.",
        f"# {len(kept)} tags; source: python-tags-all.txt of the dockerfix fact data.",
        "# Rebuild: python scripts/build_tag_data.py <python-tags-all.txt> --snapshot '<commit (date)>'",
    ]
    return "\n".join(header + kept) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="python-tags-all.txt")
    parser.add_argument("--snapshot", required=True, help="official-images commit and date of the source")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    args.output.write_text(build(args.source, args.snapshot), encoding="utf-8")


if __name__ == "__main__":
    main()
