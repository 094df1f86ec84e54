"""Compose services' build: leads to the Dockerfiles they build, through the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

COMPOSE = """\
services:
  api:
    build:
      context: .
      dockerfile: docker/Dockerfile-api
      args:
        PYTHON_VERSION: "3.12"
  web:
    build: ./web
  worker:
    build:
      context: ./missing
  db:
    image: postgres:16-alpine
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "docker").mkdir()
    (tmp_path / "web").mkdir()
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    # a name folder discovery does not take: only the compose link brings it in
    (tmp_path / "docker" / "Dockerfile-api").write_text(
        "ARG PYTHON_VERSION=3.11\nFROM python:${PYTHON_VERSION}-alpine\nRUN apk add --no-cache gcc\n"
    )
    (tmp_path / "web" / "Dockerfile").write_text("FROM python:3.10-alpine\n")
    return tmp_path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rewriter", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_compose_file_brings_in_the_dockerfiles_its_services_build(project: Path) -> None:
    done = run("--diff", "docker-compose.yml", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "+++ b/docker/Dockerfile-api" in done.stdout  # not a name discovery takes
    assert "+++ b/web/Dockerfile" in done.stdout
    assert "docker-compose.yml:2: compose-build: service api builds docker/Dockerfile-api" in done.stderr
    assert "docker-compose.yml:8: compose-build: service web builds web/Dockerfile" in done.stderr
    assert "service worker builds missing/Dockerfile, which does not exist" in done.stderr
    assert "build arg PYTHON_VERSION=3.12 selects python:3.12-alpine instead of the default python:3.11-alpine" in done.stderr


def test_a_dockerfile_reached_twice_is_processed_once(project: Path) -> None:
    done = run("--diff", ".", "docker-compose.yml", "web/Dockerfile", cwd=project)
    assert done.stdout.count("+++ b/web/Dockerfile") == 1
    assert done.stdout.count("+++ b/docker/Dockerfile-api") == 1


def test_links_follow_the_kinds_and_rule_selection(project: Path) -> None:
    assert "Dockerfile-api" not in run("--diff", "--kinds", "compose", "docker-compose.yml", cwd=project).stdout
    ignored = run("--diff", "--ignore", "compose-build", "docker-compose.yml", cwd=project)
    assert "Dockerfile-api" not in ignored.stdout and "compose-build" not in ignored.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_compose_file_cannot_lead_a_write_outside_the_paths_given(tmp_path: Path, jobs: str) -> None:
    """A Compose file may point anywhere (``build: ../../elsewhere``): what it builds outside the
    paths given is reported, never rewritten."""
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    (repo / "app").mkdir(parents=True)
    elsewhere.mkdir()
    outside = "FROM python:3.12-alpine\n"
    (elsewhere / "Dockerfile").write_text(outside)
    (repo / "app" / "compose.yml").write_text(f"services:\n  up:\n    build: ../../elsewhere\n  abs:\n    build:\n      context: {elsewhere}\n")
    many = [str(repo / "app" / f"{n}.Dockerfile") for n in range(250)] if jobs == "2" else []  # enough for workers
    for path in many:
        Path(path).write_text("FROM python:3.12-slim\n")
    done = run("--write", "--jobs", jobs, "app", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "Dockerfile").read_text() == outside
    assert "app/compose.yml:2: compose-build: service up builds ../../elsewhere/Dockerfile, which is outside the paths given: not migrated in this run" in done.stderr
    assert "app/compose.yml:4: compose-build: service abs builds ../../elsewhere/Dockerfile, which is outside the paths given" in done.stderr


@pytest.mark.parametrize("mode", ["--write", "--diff"])
def test_a_compose_file_does_not_bring_in_an_excluded_dockerfile(project: Path, mode: str) -> None:
    before = (project / "web" / "Dockerfile").read_text()
    done = run(mode, "--exclude", "web/", ".", cwd=project)
    assert done.returncode == 0, done.stderr
    assert (project / "web" / "Dockerfile").read_text() == before
    assert "web/Dockerfile" not in done.stdout
    assert "docker-compose.yml:8: compose-build: service web builds web/Dockerfile, which an exclude pattern skips: not migrated in this run" in done.stderr
    migrated = "+++ b/docker/Dockerfile-api" in done.stdout if mode == "--diff" else "slim" in (project / "docker" / "Dockerfile-api").read_text()
    assert migrated  # the links that are not excluded are still followed
