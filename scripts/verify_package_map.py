#!/usr/bin/env python3
"""Check rewriter/data/packages.toml (and busybox-applets.toml) against Debian's real package indexes.

For every supported codename, every Debian name the map can emit must exist
in that release (amd64, main, <rel> + -updates + -security), and the whole
set must install together with `apt-get -s install --no-install-recommends`
on a fresh python slim image. The apt work is done by debcheck
(../shared/tools/debcheck next to the repository, or --debcheck PATH), which
runs apt in private state directories and caches the indexes under
~/.cache/debcheck (about 130 MB per release on the first run).

--update-names rewrites rewriter/data/debian-names.txt: the real Debian names
that `lookup` may offer as suggestions for unknown Alpine names (the obvious
forms of every Alpine name in ../shared/data/alpine-packages.tsv).

Exit status: 0 all good, 1 some name or set failed, 2 debcheck missing or a
release could not be checked.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rewriter.packages import CODENAMES, suggestion_candidates, tomllib  # noqa: E402

MAP_PATH = REPO / "rewriter" / "data" / "packages.toml"
APPLETS_PATH = REPO / "rewriter" / "data" / "busybox-applets.toml"
NAMES_PATH = REPO / "rewriter" / "data" / "debian-names.txt"
DEFAULT_DEBCHECK = REPO.parent / "shared" / "tools" / "debcheck"
DEFAULT_ALPINE_TSV = REPO.parent / "shared" / "data" / "alpine-packages.tsv"
UNCHECKED = "could not be checked"


def debian_names_by_codename(table: dict) -> dict[str, dict[str, list[str]]]:
    """codename -> Debian name -> Alpine names that emit it."""
    result: dict[str, dict[str, list[str]]] = {c: defaultdict(list) for c in CODENAMES}
    for alpine, entry in table.items():
        value = entry.get("debian")
        if value is None:
            continue
        for codename in CODENAMES:
            names = value[codename] if isinstance(value, dict) else value
            for name in [names] if isinstance(names, str) else names:
                if name:
                    result[codename][name].append(alpine)
    return result


def run_debcheck(debcheck: Path, codename: str, names: list[str], offline: bool) -> dict:
    cmd = [sys.executable, str(debcheck), "--release", codename, "--from-file", "-", "--json", "-"]
    if offline:
        cmd.append("--offline")
    proc = subprocess.run(
        cmd, input="\n".join(names) + "\n", capture_output=True, text=True, check=False
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = {"exit": proc.returncode, "releases": []}
    report["log"] = proc.stderr
    return report


def check_codename(
    debcheck: Path, codename: str, emitted: dict[str, list[str]], table: dict, offline: bool
) -> list[str]:
    """Return failure lines for one codename (empty list = OK)."""
    report = run_debcheck(debcheck, codename, sorted(emitted), offline)
    releases = report.get("releases") or [{}]
    release = releases[0]
    if "error" in release or not release.get("packages"):
        return [f"{codename}: {UNCHECKED}: {release.get('error') or report['log'].strip()}"]
    failures = []
    for package in release["packages"]:
        name, status = package["spec"], package.get("status")
        users = ", ".join(sorted(emitted.get(name, [])))
        if status == "real":
            continue
        providers = package.get("providers") or []
        if status == "virtual" and len(providers) == 1:
            if all(table[alpine].get("reason") for alpine in emitted.get(name, [])):
                continue
            failures.append(
                f"{codename}: {name} is virtual (provided by {providers[0]}); "
                f"name the real package or explain it in a reason (used by {users})"
            )
            continue
        close = ", ".join(package.get("suggestions") or [])
        detail = {
            "virtual": f"virtual with several providers: {', '.join(providers[:6])}",
            "missing": "does not exist" + (f" (close: {close})" if close else ""),
        }.get(status or "", f"status {status}")
        failures.append(f"{codename}: {name} {detail} (used by {users})")
    if release.get("installable") is not True:
        failures.append(
            f"{codename}: the set is not installable together "
            "(apt-get -s install --no-install-recommends):"
        )
        failures.extend(f"    {line}" for line in release.get("apt_error", "").splitlines())
    return failures


def update_names(debcheck: Path, alpine_tsv: Path, offline: bool) -> int:
    """Write the suggestion name list: obvious Debian forms of Alpine names that exist."""
    with alpine_tsv.open(encoding="utf-8", newline="") as f:
        alpine = [row["name"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    wanted = {c for name in alpine for c in suggestion_candidates(name)}
    present: dict[str, list[str]] = defaultdict(list)
    for codename in CODENAMES:
        cmd = [sys.executable, str(debcheck), "--list-names", "--release", codename]
        if offline:
            cmd.append("--offline")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{codename}: debcheck --list-names failed:\n{proc.stderr}", file=sys.stderr)
            return 2
        for name in set(proc.stdout.split()) & wanted:
            present[name].append(codename)
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name, codenames in present.items():
        groups[tuple(codenames)].append(name)
    lines = [
        "# Real Debian package names (amd64, main) that dockerfix may suggest for an",
        "# Alpine name it does not know: the obvious forms of every Alpine package name",
        "# (see rewriter.packages.suggestion_candidates). Generated by",
        "# scripts/verify_package_map.py --update-names; do not edit by hand.",
    ]
    for codenames in sorted(groups, key=lambda cs: [CODENAMES.index(c) for c in cs]):
        lines.append("")
        lines.append(f"[{' '.join(codenames)}]")
        lines.extend(sorted(groups[codenames]))
    NAMES_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {NAMES_PATH.relative_to(REPO)}: {len(present)} names")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debcheck", type=Path, default=DEFAULT_DEBCHECK, help="path to debcheck")
    parser.add_argument("--codename", action="append", choices=CODENAMES, help="default: all")
    parser.add_argument("--offline", action="store_true", help="use cached indexes only")
    parser.add_argument("--update-names", action="store_true", help="rewrite debian-names.txt")
    parser.add_argument("--alpine-tsv", type=Path, default=DEFAULT_ALPINE_TSV)
    args = parser.parse_args(argv)

    if not args.debcheck.is_file():
        print(
            f"debcheck not found at {args.debcheck}; it lives in shared/tools next to "
            "the repository, or pass --debcheck PATH",
            file=sys.stderr,
        )
        return 2
    if args.update_names:
        return update_names(args.debcheck, args.alpine_tsv, args.offline)

    table = tomllib.loads(MAP_PATH.read_text(encoding="utf-8"))["packages"]
    emitted = debian_names_by_codename(table)
    # busybox-applets adds these Debian packages (the table's keys) for commands slim lacks
    applets = tomllib.loads(APPLETS_PATH.read_text(encoding="utf-8"))["packages"]
    for codename in CODENAMES:
        for name in applets:
            emitted[codename][name].append("busybox-applets.toml")
    failures: list[str] = []
    started = time.monotonic()
    for codename in args.codename or CODENAMES:
        t0 = time.monotonic()
        result = check_codename(args.debcheck, codename, emitted[codename], table, args.offline)
        state = "FAIL" if result else "ok"
        print(f"{codename}: {len(emitted[codename])} names, {state} ({time.monotonic() - t0:.1f}s)")
        failures.extend(result)
    print(f"total {time.monotonic() - started:.1f}s")
    if not failures:
        return 0
    print("\n".join(failures), file=sys.stderr)
    if all(UNCHECKED in line for line in failures):
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
