"""The command as users and tools run it: the exit-code contract through a real process, what goes
to which stream, explain-package, the pre-commit hook and the GitHub Action's script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from rewriter.files import kind_of

ROOT = Path(__file__).parent.parent
ALPINE = "FROM python:3.8-alpine\nRUN apk add --no-cache gcc musl-dev\n"
MIGRATED = (
    "FROM python:3.8-slim-bookworm\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*\n"
)
CLEAN = "FROM debian:bookworm-slim\nRUN apt-get update\n"
BROKEN = b"FROM python:3.8-alpine\n\xff\n"


def dockerfix(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rewriter", *args], cwd=cwd, input=stdin, capture_output=True, timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


def project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return tmp_path


# --- the exit-code contract ------------------------------------------------------------------------

SITUATIONS = {
    "nothing to change": {"Dockerfile": CLEAN},
    "changes pending": {"Dockerfile": ALPINE, "other/Dockerfile": CLEAN},
    "a file cannot be processed": {"Dockerfile": ALPINE, "bad/Dockerfile": BROKEN},
}
# (situation, mode) -> exit code
EXPECTED = {
    ("nothing to change", "--diff"): 0, ("nothing to change", "--write"): 0, ("nothing to change", "--check"): 0,
    ("changes pending", "--diff"): 0, ("changes pending", "--write"): 0, ("changes pending", "--check"): 1,
    ("a file cannot be processed", "--diff"): 123, ("a file cannot be processed", "--write"): 123,
    ("a file cannot be processed", "--check"): 123,
}


@pytest.mark.parametrize("situation, mode", sorted(EXPECTED), ids=[f"{s}|{m}" for s, m in sorted(EXPECTED)])
def test_exit_codes(tmp_path: Path, situation: str, mode: str) -> None:
    files = SITUATIONS[situation]
    project(tmp_path, files)
    done = dockerfix(mode, ".", cwd=tmp_path)
    assert done.returncode == EXPECTED[situation, mode], done.stderr.decode()
    migrates = files.get("Dockerfile") == ALPINE
    written = (tmp_path / "Dockerfile").read_text() == MIGRATED
    assert written is (mode == "--write" and migrates)  # --write writes even when another file fails
    assert (b"+FROM python:3.8-slim-bookworm" in done.stdout) is (mode == "--diff" and migrates)
    if "bad/Dockerfile" in files:
        assert (tmp_path / "bad" / "Dockerfile").read_bytes() == BROKEN
        assert b"bad/Dockerfile: error: not valid UTF-8" in done.stderr


@pytest.mark.parametrize("mode", ["--diff", "--write", "--check"])
@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option", "."], ["--codename", "potato", "."], [], ["--format", "json", "--diff", "."], ["--select", "nope", "."],
        ["--map", "gcc=gcc;rm -rf /", "."], ["--map", "gcc=GCC", "."], [".", ""], ["-", "-"],
        ["--format", "json", "--output", "missing/report.json", "."], ["--format", "markdown", "--output", "Dockerfile/x.md", "."],
    ],
    ids=[
        "unknown option", "bad value", "no path", "two things on stdout", "unknown rule", "shell text as a package",
        "not a Debian name", "empty path", "stdin twice", "report folder missing", "report under a file",
    ],
)
def test_usage_errors_exit_2_and_touch_nothing(tmp_path: Path, mode: str, args: list[str]) -> None:
    project(tmp_path, {"Dockerfile": ALPINE})
    done = dockerfix(*([mode] if "--diff" not in args else []), *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr.decode()
    assert (tmp_path / "Dockerfile").read_text() == ALPINE


@pytest.mark.parametrize("mode, line", [("--check", b"would migrate sub/Dockerfile\n"), ("--write", b"migrated sub/Dockerfile\n")])
def test_check_and_write_name_the_files_they_would_change_or_changed(tmp_path: Path, mode: str, line: bytes) -> None:
    project(tmp_path, {"sub/Dockerfile": ALPINE, "ok/Dockerfile": "FROM python:3.12-slim\n"})
    done = dockerfix(mode, ".", cwd=tmp_path)
    assert line in done.stderr
    assert b"ok/Dockerfile" not in done.stderr  # unchanged files are not named
    assert b"sub/Dockerfile" not in dockerfix("--diff", "ok", cwd=tmp_path).stderr


def test_stdin_as_a_filter_stands_alone(tmp_path: Path) -> None:
    project(tmp_path, {"Dockerfile": ALPINE})
    done = dockerfix("-", "Dockerfile", cwd=tmp_path, stdin=ALPINE.encode())
    assert done.returncode == 2 and b"'-' with other paths" in done.stderr and done.stdout == b""
    done = dockerfix("--diff", "-", "Dockerfile", cwd=tmp_path, stdin=ALPINE.encode())
    assert done.returncode == 0 and done.stdout.count(b"+FROM python:3.8-slim-bookworm") == 2


def test_a_bad_configuration_exits_2(tmp_path: Path) -> None:
    project(tmp_path, {"Dockerfile": ALPINE, ".dockerfix.toml": "codename = 'bookworm'\nmaps = {}\n"})
    done = dockerfix("--write", ".", cwd=tmp_path)
    assert done.returncode == 2 and b"unknown key 'maps'" in done.stderr
    assert (tmp_path / "Dockerfile").read_text() == ALPINE


def test_a_missing_path_is_an_error_but_the_others_run(tmp_path: Path) -> None:
    project(tmp_path, {"Dockerfile": ALPINE})
    done = dockerfix("--write", "nope", "Dockerfile", cwd=tmp_path)
    assert done.returncode == 123
    assert b"nope: error: no such file or folder" in done.stderr
    assert b"1 file migrated, 0 unchanged" in done.stderr
    assert (tmp_path / "Dockerfile").read_text() == MIGRATED


def test_write_then_check_is_clean(tmp_path: Path) -> None:
    project(tmp_path, {"a/Dockerfile": ALPINE, "b/Dockerfile": ALPINE})
    assert dockerfix("--check", ".", cwd=tmp_path).returncode == 1
    assert dockerfix("--write", ".", cwd=tmp_path).returncode == 0
    assert dockerfix("--check", ".", cwd=tmp_path).returncode == 0


# --- streams ---------------------------------------------------------------------------------------


def test_report_formats_own_stdout_and_suppress_the_diff(tmp_path: Path) -> None:
    project(tmp_path, {"Dockerfile": ALPINE})
    done = dockerfix("--format", "json", ".", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith(b"{") and b"+++ b/Dockerfile" not in done.stdout
    assert done.stderr.endswith(b"dockerfix: 1 file would be migrated, 0 unchanged, 1 note.\n")


def test_explicit_diff_with_a_report_file(tmp_path: Path) -> None:
    project(tmp_path, {"Dockerfile": ALPINE})
    done = dockerfix("--diff", "--format", "sarif", "--output", "report.sarif", ".", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith(b"--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert b'"version": "2.1.0"' in (tmp_path / "report.sarif").read_bytes()


def test_output_is_for_report_formats(tmp_path: Path) -> None:
    project(tmp_path, {"Dockerfile": ALPINE})
    done = dockerfix("--output", "x.txt", ".", cwd=tmp_path)
    assert done.returncode == 2 and b"--output is for --format json, sarif or markdown" in done.stderr


def test_stdin_filter_and_stdin_report(tmp_path: Path) -> None:
    done = dockerfix("-", cwd=tmp_path, stdin=ALPINE.encode())
    assert done.returncode == 0 and done.stdout == MIGRATED.encode()
    done = dockerfix("--format", "json", "--stdin-filename", "app/Dockerfile", "-", cwd=tmp_path, stdin=ALPINE.encode())
    assert done.returncode == 0 and b'"path": "app/Dockerfile"' in done.stdout and b"apt-get" in done.stdout
    done = dockerfix("--write", "--format", "json", "-", cwd=tmp_path, stdin=ALPINE.encode())
    assert done.returncode == 2


def test_a_filter_never_swallows_its_input(tmp_path: Path) -> None:
    done = dockerfix("-", cwd=tmp_path, stdin=BROKEN)
    assert done.returncode == 123 and done.stdout == BROKEN


def test_quiet_drops_informational_notes(tmp_path: Path) -> None:
    project(tmp_path, {"Dockerfile": "FROM python:3.8-alpine\nRUN apk add --no-cache gcc python3-dev\n"})
    loud = dockerfix("--check", ".", cwd=tmp_path)
    quiet = dockerfix("--check", "-q", ".", cwd=tmp_path)
    assert b"python3-dev: dropped" in loud.stderr and b"python3-dev: dropped" not in quiet.stderr


# --- explain-package ------------------------------------------------------------------------------


def test_explain_package(tmp_path: Path) -> None:
    done = dockerfix("explain-package", "musl-dev", "python3-dev", "--codename", "bookworm", cwd=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("musl-dev on Debian bookworm: apt-get install libc6-dev (")
    assert lines[1].startswith("python3-dev on Debian bookworm: dropped, nothing to install (")


def test_explain_package_every_codename_and_unknown_names(tmp_path: Path) -> None:
    done = dockerfix("explain-package", "no-such-alpine-package", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.decode().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "no-such-alpine-package on Debian bullseye", "no-such-alpine-package on Debian bookworm", "no-such-alpine-package on Debian trixie",
    ]
    assert all("no known Debian package" in line for line in lines)


def test_explain_package_uses_the_configuration_and_map(tmp_path: Path) -> None:
    project(tmp_path, {".dockerfix.toml": "[packages]\nlibfoo = ['libfoo1', 'libfoo-dev']\nlibbar = 'libbaz'\n"})
    done = dockerfix("explain-package", "libfoo", "libbar", "--codename", "trixie", "--map", "libbar=", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.decode().splitlines() == [
        "libfoo on Debian trixie: apt-get install libfoo1 libfoo-dev (configured mapping)",
        "libbar on Debian trixie: dropped, nothing to install (dropped by configuration)",
    ]


def test_a_file_named_like_the_subcommand(tmp_path: Path) -> None:
    project(tmp_path, {"explain-package": ALPINE})
    done = dockerfix("--check", "./explain-package", cwd=tmp_path)
    assert done.returncode == 1


# --- the pre-commit hook ----------------------------------------------------------------------------


def hook() -> dict:
    (entry,) = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return entry


def test_hook_definition() -> None:
    entry = hook()
    assert entry["id"] == "dockerfix" and entry["entry"] == "dockerfix --check"
    assert entry["pass_filenames"] is True and entry["language"] == "python"


@pytest.mark.parametrize(
    "name",
    ["Dockerfile", "svc/Dockerfile.prod", "svc/app.dockerfile", "Containerfile", "x.containerfile", "DOCKERFILE",
     "tools/build.py", "docker-compose.yml", "deploy/compose.override.yaml", ".github/workflows/ci.yml",
     ".gitlab-ci.yml", "ci/jobs.gitlab-ci.yaml", "README.md", "Dockerfilex", "x.yml", "composer.json",
     "mycompose.yml", "workflows/ci.yml", ".github/workflows/sub/x.yml", "requirements.txt", "composer.yml",
     "docker-composer.yml", "composeX.yaml", "app.compose.yml", "prod-compose.yaml", "compose.yaml", "Compose-Dev.YML",
     "svc/compose_test.yml", "compose.yml.bak", "dockerfile.py"],
)
def test_hook_files_match_what_dockerfix_reads(name: str) -> None:
    """The hook's `files` regex and kind_of must agree, or the hook skips files or feeds it others."""
    assert bool(re.search(hook()["files"], name)) == (kind_of(name) is not None)


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True)


def hook_repository(path: Path) -> Path:
    """This work tree's package and hook definition, committed in a repository of their own
    (try-repo installs what is committed, and ignores files not yet added to git)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "rewriter", path / "rewriter", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, path / name)
    git("init", "-q", cwd=path)
    git("add", ".", cwd=path)
    git("commit", "-q", "-m", "dockerfix", cwd=path)
    return path


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or shutil.which("pre-commit")
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]' installs it)")
    hooks = hook_repository(tmp_path / "dockerfix")
    repo = project(tmp_path / "repo", {"Dockerfile": ALPINE, "docs/notes.md": "apk add gcc\n"})
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def try_repo() -> subprocess.CompletedProcess:
        return subprocess.run(
            [pre_commit, "try-repo", str(hooks), "dockerfix", "--all-files", "--color", "never"],
            cwd=repo, env=env, capture_output=True, text=True, timeout=600,
        )

    done = try_repo()
    log = done.stdout + done.stderr
    if "Installing environment" in log and "An unexpected error has occurred" in log:
        pytest.skip(f"pre-commit could not install the hook's environment (no package index reachable?):\n{log[-2000:]}")
    assert "Traceback" not in log, log
    assert done.returncode == 1, log
    assert re.search(r"^dockerfix\.+Failed$", done.stdout, re.MULTILINE), log
    assert "dockerfix: 1 file would be migrated" in done.stdout, log  # docs/notes.md was not passed
    (repo / "Dockerfile").write_text(MIGRATED)
    git("add", ".", cwd=repo)
    done = try_repo()
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^dockerfix\.+Passed$", done.stdout, re.MULTILINE)


# --- the GitHub Action's script ------------------------------------------------------------------------


def run_action(repo: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DOCKERFIX": str(Path(sys.executable).parent / "dockerfix"),
        "GITHUB_OUTPUT": str(outputs),
        "RUNNER_TEMP": str(runner_temp),
        **inputs,
    }
    done = subprocess.run(["bash", str(ROOT / "scripts" / "action.sh")], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    return done, parse_outputs(outputs.read_text())


def parse_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: NAME=VALUE lines and NAME<<DELIMITER blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for body_line in lines:
                if body_line == delimiter:
                    break
                block.append(body_line)
            values[name] = "\n".join(block)
        else:
            name, _, value = line.partition("=")
            values[name] = value
    return values


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_action_script(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "dockerfix").exists():
        pytest.skip("the dockerfix script is not installed next to this Python")
    repo = project(tmp_path / "repo", {"services/api/Dockerfile": ALPINE, "services/web/Dockerfile": CLEAN})
    done, outputs = run_action(repo, tmp_path, INPUT_PATHS="services", INPUT_ARGS="--codename bookworm", LINK_BASE="https://github.com/acme/app/blob/abc123/")
    assert done.returncode == 0, done.stderr
    assert outputs["changed-files"] == "1" and outputs["exit-code"] == "0"
    assert (repo / "services" / "api" / "Dockerfile").read_text() == MIGRATED
    body = Path(outputs["body-path"]).read_text()
    assert outputs["body"] == body.rstrip("\n")
    assert "[`services/api/Dockerfile:1`](https://github.com/acme/app/blob/abc123/services/api/Dockerfile#L1)" in body
    assert body.rstrip().endswith("dockerfix --write --codename bookworm services\n```")


def test_action_script_with_nothing_to_do_and_with_errors(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "dockerfix").exists():
        pytest.skip("the dockerfix script is not installed next to this Python")
    clean = project(tmp_path / "clean", {"Dockerfile": CLEAN})
    done, outputs = run_action(clean, tmp_path)
    assert done.returncode == 0 and outputs["changed-files"] == "0"
    broken = project(tmp_path / "broken", {"Dockerfile": ALPINE, "bad/Dockerfile": BROKEN})
    done, outputs = run_action(broken, tmp_path)
    assert done.returncode == 123 and outputs["exit-code"] == "123" and outputs["changed-files"] == "1"
    assert "could not process" in outputs["body"]


@pytest.mark.parametrize(
    "content",
    [ALPINE.encode(), b"\xef\xbb\xbf" + ALPINE.encode(), ALPINE.replace("\n", "\r\n").encode(), ALPINE.rstrip("\n").encode()],
    ids=["plain", "BOM", "CRLF", "no final newline"],
)
def test_the_diff_applies_with_git_apply_and_gives_what_write_gives(tmp_path: Path, content: bytes) -> None:
    from unidiff import PatchSet

    for name in ("applied", "written"):
        project(tmp_path / name, {"app/Dockerfile": content})
        subprocess.run(["git", "init", "-q"], cwd=tmp_path / name, check=True)
    diff = dockerfix("--diff", ".", cwd=tmp_path / "applied").stdout
    [patched] = PatchSet(diff.decode("utf-8"))
    assert (patched.source_file, patched.target_file) == ("a/app/Dockerfile", "b/app/Dockerfile")
    (tmp_path / "patch").write_bytes(diff)
    applied = subprocess.run(["git", "apply", str(tmp_path / "patch")], cwd=tmp_path / "applied", capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert dockerfix("--write", ".", cwd=tmp_path / "written").returncode == 0
    assert (tmp_path / "applied" / "app" / "Dockerfile").read_bytes() == (tmp_path / "written" / "app" / "Dockerfile").read_bytes() != content


def test_each_repository_of_a_run_has_its_own_configuration(tmp_path: Path) -> None:
    """A platform team's run over several repositories, or pre-commit over several projects."""
    project(tmp_path, {
        "a/.dockerfix.toml": 'codename = "bookworm"\nexclude = ["legacy/"]\n', "a/Dockerfile": ALPINE, "a/legacy/Dockerfile": ALPINE,
        "b/.dockerfix.toml": 'codename = "bullseye"\n', "b/Dockerfile": ALPINE,
        "c/Dockerfile": "FROM python:3.12-alpine\n",
    })
    for name in ("a", "b", "c"):
        subprocess.run(["git", "init", "-q"], cwd=tmp_path / name, check=True)
    done = dockerfix("--write", "a", "b", "c/Dockerfile", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a" / "Dockerfile").read_text().startswith("FROM python:3.8-slim-bookworm")
    assert (tmp_path / "a" / "legacy" / "Dockerfile").read_text() == ALPINE  # a's exclude still applies
    assert (tmp_path / "b" / "Dockerfile").read_text().startswith("FROM python:3.8-slim-bullseye")
    assert (tmp_path / "c" / "Dockerfile").read_text() == "FROM python:3.12-slim-trixie\n"  # no configuration: defaults


@pytest.mark.parametrize("order", [("a", "."), (".", "a")])
def test_a_file_reached_through_two_configurations_is_processed_once_under_the_nearer(tmp_path: Path, order: tuple[str, str]) -> None:
    py312 = "FROM python:3.12-alpine\n"
    project(tmp_path, {"a/.dockerfix.toml": 'codename = "bookworm"\n', "a/Dockerfile": py312, "Dockerfile": py312})
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = dockerfix("--diff", *order, cwd=tmp_path)
    assert done.stdout.count(b"+++ b/a/Dockerfile") == 1 and done.stdout.count(b"+++ b/Dockerfile") == 1
    diffs = {d.split(b"\n")[0]: d for d in done.stdout.split(b"--- ")[1:]}
    assert b"+FROM python:3.12-slim-bookworm" in diffs[b"a/a/Dockerfile"]
    assert b"+FROM python:3.12-slim-trixie" in diffs[b"a/Dockerfile"]


def test_configurations_asking_for_different_formats_need_format(tmp_path: Path) -> None:
    project(tmp_path, {"a/.dockerfix.toml": 'format = "json"\n', "a/Dockerfile": ALPINE, "b/.dockerfix.toml": 'format = "sarif"\n', "b/Dockerfile": ALPINE})
    done = dockerfix("--check", "a", "b", cwd=tmp_path)
    assert done.returncode == 2 and b"ask for different formats (json, sarif): give --format" in done.stderr


def test_a_diff_of_a_file_outside_the_current_folder_says_git_apply_will_not_take_it(tmp_path: Path) -> None:
    project(tmp_path, {"Dockerfile": ALPINE, "sub/other/Dockerfile": ALPINE})
    done = dockerfix("--diff", "../Dockerfile", "other", cwd=tmp_path / "sub")
    assert b"--- a/../Dockerfile" in done.stdout
    assert done.stderr.count(b"outside the current folder") == 1  # once, for the file outside
    assert b"other/Dockerfile is outside" not in done.stderr


def test_a_file_the_nearer_configuration_excludes_is_not_taken_by_the_farther(tmp_path: Path) -> None:
    py312 = "FROM python:3.12-alpine\n"
    project(tmp_path, {
        ".dockerfix.toml": 'codename = "bookworm"\n', "Dockerfile": py312,
        "sub/.dockerfix.toml": 'exclude = ["legacy/"]\n', "sub/Dockerfile": py312, "sub/legacy/Dockerfile": py312,
    })
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = dockerfix("--diff", ".", "sub", cwd=tmp_path)
    assert b"sub/legacy/Dockerfile" not in done.stdout
    assert b"+++ b/sub/Dockerfile\n@@ -1 +1 @@\n-FROM python:3.12-alpine\n+FROM python:3.12-slim-trixie" in done.stdout  # sub's own: the default
    assert b"+++ b/Dockerfile\n@@ -1 +1 @@\n-FROM python:3.12-alpine\n+FROM python:3.12-slim-bookworm" in done.stdout
