"""The reports: JSON against its published schema, SARIF against the official SARIF 2.1.0 schema,
the Markdown pull-request body against a hand-checked snapshot, and the terminal diff's colours."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from rewriter import __version__
from rewriter.cli import main
from rewriter.findings import Change, Finding, PackageChange, Severity
from rewriter.report import SCHEMA, FileReport, Totals, colour_diff, to_json, to_markdown, to_sarif
from rewriter.rules import RULES

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
API = "services/api/Dockerfile"


def sample_reports() -> list[FileReport]:
    """A run over four files, written by hand: two migrated, one untouched, one unreadable."""
    return [
        FileReport(
            API, "dockerfile", changed=True, written=True,
            changes=(
                Change("base-image", 1, "python:3.11-alpine3.19", "python:3.11-slim-bookworm"),
                Change("apk-to-apt", 2, "RUN apk add --no-cache gcc musl-dev python3-dev \\\n    py3-numpy",
                       "RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \\\n    && rm -rf /var/lib/apt/lists/*"),
            ),
            findings=(
                Finding("base-image", 1, "the Alpine release in the tag (3.19) has no meaning on Debian", Severity.INFO),
                Finding("apk-to-apt", 3, "py3-numpy: removed, `pip install numpy` instead"),
                Finding("apk-to-apt", 5, "libfoo: no known Debian package for bookworm; RUN left unchanged"),
            ),
            packages=(
                PackageChange(2, "gcc", ("gcc",), "map", "same name in Debian"),
                PackageChange(2, "musl-dev", ("libc6-dev",), "map", "musl's headers"),
                PackageChange(2, "python3-dev", (), "drop", "the python image ships its own headers"),
                PackageChange(3, "py3-numpy", (), "pypi", "a module of Alpine's system python; `pip install numpy` instead"),
                PackageChange(5, "libfoo", (), "unknown", "no known Debian equivalent | see the docs"),
            ),
        ),
        FileReport(
            "services/worker/Dockerfile", "dockerfile", changed=True, written=True,
            changes=(Change("base-image", 1, "python:3.8-alpine", "python:3.8-slim-bookworm"),),
            packages=(PackageChange(4, "gcc", ("gcc",), "map", "same name in Debian"),),
        ),
        FileReport("docs/Dockerfile.example", "dockerfile"),
        FileReport("broken/Dockerfile", "dockerfile", error="not valid UTF-8 (byte 0xff at offset 23); file left untouched"),
    ]


def totals_of(reports: list[FileReport]) -> Totals:
    totals = Totals()
    for report in reports:
        totals.add(report)
    return totals


def report_schema() -> dict:
    return json.loads(resources.files("rewriter").joinpath("data/report.schema.json").read_text("utf-8"))


def validate(document: dict, schema: dict) -> None:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def migrate_tree(tmp_path: Path) -> Path:
    """A small repository with something of everything for the end-to-end reports."""
    files = {
        "services/api/Dockerfile": "FROM python:3.11-alpine3.19 AS build\nRUN apk add --no-cache gcc musl-dev python3-dev py3-numpy\nRUN apk add --no-cache libfoo-unknown\n",
        "services/worker/Dockerfile": "FROM python:3.8-alpine\nRUN apk add --no-cache libffi-dev | tee log\n",
        "docs/Dockerfile": "FROM debian:bookworm-slim\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "Dockerfile").write_bytes(b"FROM python:3.8-alpine\n\xff\xfe\n")
    return tmp_path


def run_cli(args: list[str], cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(old)


# --- totals and the summary ---------------------------------------------------------------------


def test_totals() -> None:
    totals = totals_of(sample_reports())
    assert (totals.files, totals.changed, totals.unchanged, totals.errors) == (4, 2, 1, 1)
    assert totals.findings == {"info": 1, "warning": 2}


# --- JSON ---------------------------------------------------------------------------------------


def test_json_matches_its_schema_and_says_everything() -> None:
    reports = sample_reports()
    document = json.loads(to_json(reports, totals_of(reports), "write"))
    validate(document, report_schema())
    assert document["schema"] == SCHEMA == "dockerfix/report/v1"
    assert document["tool"] == {"name": "dockerfix", "version": __version__}
    api = document["files"][0]
    assert api["path"] == API and api["changed"] and api["written"] and api["error"] is None
    assert api["changes"][0] == {"rule": "base-image", "line": 1, "before": "python:3.11-alpine3.19", "after": "python:3.11-slim-bookworm"}
    assert api["findings"][1] == {"rule": "apk-to-apt", "line": 3, "message": "py3-numpy: removed, `pip install numpy` instead", "severity": "warning"}
    assert api["packages"][1] == {"line": 2, "alpine": "musl-dev", "debian": ["libc6-dev"], "decision": "map", "reason": "musl's headers"}
    assert document["files"][3]["error"].startswith("not valid UTF-8")
    assert document["totals"] == {"files": 4, "changed": 2, "unchanged": 1, "errors": 1, "findings": {"info": 1, "warning": 2, "error": 0}}


def test_json_schema_rejects_what_v1_does_not_allow() -> None:
    reports = sample_reports()
    document = json.loads(to_json(reports, totals_of(reports), "check"))
    document["files"][0]["findings"][0]["severity"] = "fatal"
    with pytest.raises(AssertionError, match="fatal"):
        validate(document, report_schema())


def test_json_from_a_real_run(tmp_path: Path) -> None:
    result = run_cli(["--check", "--format", "json", "."], migrate_tree(tmp_path))
    assert result.exit_code == 123  # broken/Dockerfile
    document = json.loads(result.stdout)
    validate(document, report_schema())
    by_path = {f["path"]: f for f in document["files"]}
    assert set(by_path) == {"broken/Dockerfile", "docs/Dockerfile", "services/api/Dockerfile", "services/worker/Dockerfile"}
    api = by_path["services/api/Dockerfile"]
    assert api["changed"] and not api["written"]
    decisions = {(p["alpine"], p["decision"]) for p in api["packages"]}
    assert {("gcc", "map"), ("python3-dev", "drop"), ("py3-numpy", "pypi"), ("libfoo-unknown", "unknown")} <= decisions
    assert not by_path["docs/Dockerfile"]["changed"] and by_path["broken/Dockerfile"]["error"]
    assert document["totals"]["changed"] == 2 and document["totals"]["errors"] == 1


# --- SARIF --------------------------------------------------------------------------------------


def sarif_schema() -> dict:
    return json.loads((DATA / "sarif-schema-2.1.0.json").read_text("utf-8"))


def check_github_expectations(log: dict) -> None:
    """What GitHub code scanning needs beyond the schema: known rules, one location with a line."""
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("note", "warning", "error") and result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert not physical["artifactLocation"]["uri"].startswith("/")
        assert physical["region"]["startLine"] >= 1


def test_sarif_matches_the_official_schema() -> None:
    reports = sample_reports()
    log = json.loads(to_sarif(reports))
    validate(log, sarif_schema())
    check_github_expectations(log)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for rule in RULES:
        assert rules[rule.RULE_ID]["shortDescription"]["text"] == rule.SUMMARY
    # the files were written, so only the findings are results
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]] == [
        ("base-image", "note", 1), ("apk-to-apt", "warning", 3), ("apk-to-apt", "warning", 5),
    ]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": API, "uriBaseId": "%SRCROOT%"}
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"].startswith("broken/Dockerfile: not valid UTF-8")


def test_sarif_lists_pending_changes_as_results() -> None:
    pending = FileReport(
        "Dockerfile", "dockerfile", changed=True,
        changes=(Change("base-image", 1, "python:3.8-alpine", "python:3.8-slim-bookworm"),),
        findings=(Finding("some-other-rule", 2, "look here"),),
    )
    log = json.loads(to_sarif([pending]))
    validate(log, sarif_schema())
    check_github_expectations(log)
    messages = [r["message"]["text"] for r in log["runs"][0]["results"]]
    assert messages == ["look here", "dockerfix would rewrite this: python:3.8-alpine -> python:3.8-slim-bookworm"]
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_sarif_from_a_real_run(tmp_path: Path) -> None:
    result = run_cli(["--format", "sarif", "."], migrate_tree(tmp_path))
    log = json.loads(result.stdout)
    validate(log, sarif_schema())
    check_github_expectations(log)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"services/api/Dockerfile", "services/worker/Dockerfile"}


def test_the_vendored_sarif_schema_is_the_official_one() -> None:
    schema = sarif_schema()
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_pull_request_body_snapshot() -> None:
    reports = sample_reports()
    body = to_markdown(
        reports, totals_of(reports), "write", ["dockerfix", "--write", "--codename", "bookworm", "."],
        "https://github.com/acme/app/blob/0123abc/",
    )
    expected = (DATA / "report.md").read_text("utf-8").replace("{version}", __version__)
    assert body == expected


def test_markdown_without_links_and_before_writing() -> None:
    reports = sample_reports()[1:2]
    body = to_markdown([FileReport(**{**reports[0].__dict__, "written": False})], totals_of(reports), "check", ["dockerfix", "--write", "."])
    assert f"dockerfix {__version__} would migrate 1 file." in body
    assert "| `services/worker/Dockerfile:1` | `python:3.8-alpine` | `python:3.8-slim-bookworm` |" in body
    assert "Check before merging" not in body and "could not process" not in body


def test_markdown_from_a_real_run(tmp_path: Path) -> None:
    result = run_cli(["--write", "--format", "markdown", "--codename", "bookworm", "-o", "body.md", "."], migrate_tree(tmp_path))
    assert result.exit_code == 123 and result.stdout == ""
    body = (tmp_path / "body.md").read_text()
    assert "| `services/api/Dockerfile:1` | `python:3.11-alpine3.19` | `python:3.11-slim-bookworm` |" in body
    assert "| `libfoo-unknown` | **not translated** |" in body
    assert "- [ ] `services/worker/Dockerfile:2` (apk-to-apt): apk inside a pipeline: translate it by hand" in body
    assert "- `broken/Dockerfile`: not valid UTF-8" in body
    assert body.endswith(f"pip install 'dockerfix=={__version__}'\ndockerfix --write --codename bookworm .\n```\n")


# --- colour -------------------------------------------------------------------------------------


def test_colour_diff() -> None:
    diff = "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-FROM python:3.8-alpine\n+FROM python:3.8-slim-bookworm\n context\n"
    coloured = colour_diff(diff)
    assert coloured.splitlines() == [
        "\x1b[1m--- a/Dockerfile\x1b[0m",
        "\x1b[1m+++ b/Dockerfile\x1b[0m",
        "\x1b[36m@@ -1 +1 @@\x1b[0m",
        "\x1b[31m-FROM python:3.8-alpine\x1b[0m",
        "\x1b[32m+FROM python:3.8-slim-bookworm\x1b[0m",
        " context",
    ]


def run_on_tty(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run dockerfix with standard output on a pseudo-terminal; return what it printed there."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "rewriter", *args], cwd=cwd, stdout=terminal, stderr=subprocess.DEVNULL,
        env={**os.environ, **env}, close_fds=True,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode()


@pytest.mark.parametrize(
    "args, env, coloured",
    [
        ([], {}, True),
        ([], {"NO_COLOR": "1"}, False),
        (["--no-color"], {}, False),
        (["--color"], {"NO_COLOR": "1"}, True),
    ],
)
def test_colour_on_a_terminal(tmp_path: Path, args: list[str], env: dict[str, str], coloured: bool) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.8-alpine\n")
    env = {"NO_COLOR": "", **env, "PYTHONPATH": str(ROOT)}
    out = run_on_tty([*args, "Dockerfile"], tmp_path, env)
    assert "python:3.8-slim-bookworm" in out
    assert ("\x1b[" in out) is coloured


def test_no_colour_in_a_pipe_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.8-alpine\n")
    run = lambda *args: subprocess.run([sys.executable, "-m", "rewriter", *args, "Dockerfile"], cwd=tmp_path, capture_output=True, text=True)
    assert "\x1b[" not in run().stdout
    assert "\x1b[31m-FROM python:3.8-alpine" in run("--color").stdout


def test_wheels_summary_goes_into_markdown_and_json(tmp_path: Path) -> None:
    """--wheels puts dockerfix explain's verdict into the PR body and the JSON report (recorded PyPI data)."""
    import os
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.8-alpine\nRUN pip install --no-cache-dir uwsgi==2.0.28 six==1.16.0\n"
    )
    env = {**os.environ, "DOCKERFIX_PYPI_CACHE": str(Path(__file__).parent / "data" / "pypi")}

    def run(fmt: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "rewriter", "--check", "--offline", "--wheels", "--format", fmt, "."],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 1, done.stderr  # the Dockerfile would change
        return done.stdout

    body = run("markdown")
    verdict = "Dockerfile: 1 of 2 requirements compiles from source on python:3.8-alpine"
    assert verdict in body
    document = json.loads(run("json"))
    assert any(v.startswith(verdict) for v in document["wheels"]["verdicts"])
    validate(document, report_schema())
