"""copied-scripts: Alpine-isms in shell scripts a migrated stage copies from the build context."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ENTRYPOINT = """#!/bin/ash
set -e
# su-exec in a comment is no call
if [ "$1" = "serve" ]; then
  exec su-exec app "$@"
fi
apk add --no-cache curl
exec /sbin/tini -- "$@"
"""


def run(tmp_path: Path, dockerfile: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / "docker-entrypoint.sh").write_text(ENTRYPOINT)
    (tmp_path / "notes.txt").write_text("apk add su-exec\n")  # no shell script: not read
    (tmp_path / "bin").mkdir(exist_ok=True)
    (tmp_path / "bin" / "start").write_text("#!/usr/bin/env sh\nsu-exec app python\n")  # a script by its #! line
    return subprocess.run([sys.executable, "-m", "rewriter", "--diff", *args, "."], cwd=tmp_path, capture_output=True, text=True, timeout=60)


def findings(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stderr.splitlines() if "copied-scripts:" in line]


def test_each_alpine_ism_of_a_copied_script_is_reported_at_the_copy(tmp_path: Path) -> None:
    done = run(tmp_path, "FROM python:3.12-alpine\nCOPY docker-entrypoint.sh notes.txt bin/start /usr/local/bin/\nENTRYPOINT [\"docker-entrypoint.sh\"]\n")
    assert findings(done) == [
        "Dockerfile:2: copied-scripts: docker-entrypoint.sh:1 starts with #!/bin/ash: Debian has no ash; use #!/bin/sh (dash) or #!/bin/bash",
        "Dockerfile:2: copied-scripts: docker-entrypoint.sh:5 calls su-exec: Debian has gosu instead (same arguments; dockerfix installs it for su-exec)",
        "Dockerfile:2: copied-scripts: docker-entrypoint.sh:7 calls apk: Debian has apt-get; translate it as dockerfix translates the RUN lines",
        "Dockerfile:2: copied-scripts: docker-entrypoint.sh:8 calls /sbin/tini: Debian's tini is /usr/bin/tini",
        "Dockerfile:2: copied-scripts: bin/start:2 calls su-exec: Debian has gosu instead (same arguments; dockerfix installs it for su-exec)",
    ]


def test_only_migrated_stages_and_context_files(tmp_path: Path) -> None:
    dockerfile = (
        "FROM alpine:3.20 AS tools\nCOPY docker-entrypoint.sh /\n"  # not migrated: stays on Alpine
        "FROM python:3.12-alpine\nCOPY --from=tools /docker-entrypoint.sh /\n"  # from another stage
        "COPY ${SCRIPT} *.sh https://example.org/x.sh /\n"  # not plain context paths
    )
    assert findings(run(tmp_path, dockerfile)) == []


def test_the_rule_can_be_ignored(tmp_path: Path) -> None:
    done = run(tmp_path, "FROM python:3.12-alpine\nCOPY docker-entrypoint.sh /\n", "--ignore", "copied-scripts")
    assert findings(done) == [] and done.returncode == 0


def test_lines_are_counted_as_the_shell_counts_them(tmp_path: Path) -> None:
    from rewriter.rules.copied_scripts import _alpine_isms

    script = tmp_path / "x.sh"
    script.write_text("echo a\f; apk add curl\nsu-exec app true\n")  # a form feed ends no shell line
    assert [line for line, _ in _alpine_isms(str(script))] == [1, 2]


def test_only_calls_count_and_only_inside_the_context(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "entry.sh").write_text(
        '#!/bin/sh\n[ $# -gt 0 ] && exec su-exec app "$@"\nif [ "${1#-}" != "$1" ]; then apk add curl; fi\n'
        'echo "Tip: do not use su-exec"\nset -- su-exec redis "$@"\n# apk add in a comment\n'
    )
    (tmp_path / "outside.sh").write_text("#!/bin/sh\nsu-exec app x\n")
    (context / "link.sh").symlink_to("../outside.sh")
    (context / "Dockerfile").write_text("FROM python:3.12-alpine\nCOPY entry.sh link.sh /d/\n")
    done = subprocess.run([sys.executable, "-m", "rewriter", "--diff", "."], cwd=context, capture_output=True, text=True, timeout=60)
    assert [f.split("copied-scripts: ")[1].split(" ")[0] for f in findings(done)] == ["entry.sh:2", "entry.sh:3", "entry.sh:5"]
