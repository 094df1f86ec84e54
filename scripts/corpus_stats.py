"""Count what dockerfix does to a folder of real files: for the notes on issues and for regressions.

Usage: python scripts/corpus_stats.py ../shared/corpus/files [--codename C]
Prints files per kind and outcome, changes per rule, findings per rule and severity, and the
package names that were left unknown.
"""

from __future__ import annotations

import argparse
import collections
import os
import re

from rewriter.api import fix_text
from rewriter.files import kind_of
from rewriter.settings import Settings
from rewriter.source import SourceError, read_source


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--codename")
    args = parser.parse_args()
    settings = Settings(codename=args.codename)
    outcome: collections.Counter[str] = collections.Counter()
    changes: collections.Counter[str] = collections.Counter()
    findings: collections.Counter[str] = collections.Counter()
    unknown: collections.Counter[str] = collections.Counter()
    for name in sorted(os.listdir(args.folder)):
        path = os.path.join(args.folder, name)
        kind = kind_of(path)
        if kind is None:
            continue
        try:
            result = fix_text(read_source(path).text, kind, settings)
        except SourceError:
            outcome[f"{kind}: unreadable"] += 1
            continue
        state = "error" if result.error else "changed" if result.changed else "unchanged"
        outcome[f"{kind}: {state}"] += 1
        for change in result.changes:
            changes[change.rule] += 1
        for finding in result.findings:
            findings[f"{finding.rule} ({finding.severity.value})"] += 1
            match = re.match(r"(\S+): no known Debian package", finding.message)
            if match:
                unknown[match.group(1)] += 1
    for title, counter in (("files", outcome), ("changes by rule", changes), ("findings by rule", findings), ("unknown packages", unknown)):
        print(f"## {title}")
        for key, count in sorted(counter.items()):
            print(f"{count:6}  {key}")


if __name__ == "__main__":
    main()
