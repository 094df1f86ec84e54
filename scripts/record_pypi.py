"""Record PyPI answers for the offline tests: ``python scripts/record_pypi.py NAME[==VERSION]...``.

Writes ``tests/data/pypi/<name>.json`` (the project's PEP 691 page) and
``<wheel>.metadata`` files in the layout of dockerfix's own cache
(``DOCKERFIX_PYPI_CACHE`` points the tests at it).  To keep them small a page keeps
only the releases named and the ``--newest`` newest ones, and of those only the
sdists and the Linux and pure-Python wheels; a metadata file keeps only the header
lines dockerfix reads, for the one wheel per release dockerfix reads it from.
Re-running with the same arguments refreshes the files (README.md there lists
the command that made them).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rewriter import wheels  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "pypi"
# sdists, pure-Python wheels and Linux wheels for the two architectures the tests use
_KEPT = re.compile(r"-(?:manylinux|musllinux)[^-]*_(?:x86_64|aarch64)\.whl$|-any\.whl$|\.(?:tar\.gz|zip|tar\.bz2)$")


def record(name: str, pins: set[str], newest: int, out: Path, download: Path) -> list[str]:
    fetched = wheels.PyPI(cache=download, max_age=0)
    project = fetched.project(name)
    releases = sorted(project.releases, reverse=True)
    finals = [v for v in releases if not v.is_prerelease]
    keep = set(finals[:newest]) | {Version(p) for p in pins}
    missing = keep - set(releases)
    if missing:
        raise SystemExit(f"{name}: no files for {', '.join(map(str, missing))}")
    kept_files = {f.filename for v in keep for f in project.releases[v] if _KEPT.search(f.filename)}
    page = json.loads((download / f"{name}.json").read_text("utf-8"))
    page["files"] = [f for f in page["files"] if f["filename"] in kept_files]
    files = ",\n".join(json.dumps(f, sort_keys=True) for f in page.pop("files"))
    head = json.dumps(page, sort_keys=True)[:-1]
    (out / f"{name}.json").write_text(f'{head}, "files": [\n{files}\n]}}\n', "utf-8")
    written = [f"{name}.json"]
    for version in sorted(keep):
        wheel = wheels.metadata_wheel(f for f in project.releases[version] if f.filename in kept_files)
        if wheel is None:
            continue
        fetched.requires_dist(wheel)
        text = (download / f"{wheel.filename}.metadata").read_text("utf-8")
        (out / f"{wheel.filename}.metadata").write_text(text, "utf-8")
        written.append(f"{wheel.filename}.metadata")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("projects", nargs="+", metavar="NAME[==VERSION]")
    parser.add_argument("--newest", type=int, default=2, help="also keep this many newest final releases (default 2)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, set[str]] = {}
    for spec in args.projects:
        name, _, pin = spec.partition("==")
        wanted.setdefault(canonicalize_name(name), set()).update([pin] if pin else [])
    with tempfile.TemporaryDirectory() as download:
        for name, pins in wanted.items():
            for written in record(name, pins, args.newest, args.out, Path(download)):
                print(f"wrote {args.out / written}")


if __name__ == "__main__":
    main()
