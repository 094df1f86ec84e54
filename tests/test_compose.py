"""Tests for rewriter.compose: image sites, in-place edits, links to Dockerfiles, build-arg reports."""

from __future__ import annotations

import os

import pytest

from rewriter import yamlspans
from rewriter.api import fix_text
from rewriter.compose import Link, arg_overrides_report, fix, image_decisions, linked_dockerfiles
from rewriter.files import COMPOSE, kind_of
from rewriter.findings import Severity
from rewriter.settings import Settings

DEFAULT = Settings()


def test_service_image_is_edited_in_place_and_other_alpine_images_stay() -> None:
    text = (
        "services:\n"
        "  app:\n"
        "    image: 'python:3.11-alpine'   # keep me\n"
        "\n"
        "  db:\n"
        "    image: postgres:16-alpine\n"
        "  cache: {image: redis:alpine}\n"
        "  web:\n"
        "    image: nginx:alpine\n"
    )
    result = fix(text, DEFAULT)
    assert result.error is None
    assert result.new == text.replace("'python:3.11-alpine'", "'python:3.11-slim-trixie'")
    assert [(c.rule, c.line, c.before, c.after) for c in result.changes] == [
        ("compose-image", 3, "python:3.11-alpine", "python:3.11-slim-trixie")
    ]
    assert result.findings == []


def test_the_codename_setting_is_used() -> None:
    text = "services:\n  app:\n    image: python:3.11-alpine\n"
    assert "python:3.11-slim-bookworm" in fix(text, Settings(codename="bookworm")).new


def test_an_anchor_is_edited_once_for_all_its_aliases() -> None:
    text = (
        "x-py: &py\n  image: python:3.12-alpine\n"
        "services:\n  a:\n    <<: *py\n  b:\n    <<: *py\n  c:\n    image: python:3.12-alpine\n"
    )
    result = fix(text, DEFAULT)
    assert result.new.count("python:3.12-slim-trixie") == 2  # the anchor and service c
    assert [c.line for c in result.changes] == [2, 9]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${PYTHON_IMAGE:-python:3.11-alpine}", "${PYTHON_IMAGE:-python:3.11-slim-trixie}"),
        ("${PYTHON_IMAGE-python:3.11-alpine}", "${PYTHON_IMAGE-python:3.11-slim-trixie}"),
        ("${REGISTRY:-docker.io}/library/python:3.11-alpine", "${REGISTRY:-docker.io}/library/python:3.11-slim-trixie"),
        ("python:${PY:-3.10}-alpine", "python:${PY:-3.10}-slim-trixie"),
    ],
)
def test_interpolation_defaults(value: str, expected: str) -> None:
    text = f"services:\n  app:\n    image: {value}\n"
    assert fix(text, DEFAULT).new == f"services:\n  app:\n    image: {expected}\n"


def test_image_decisions_skip_a_list_build_arg_key() -> None:
    [(offset, decision)] = image_decisions("BASE=python:3.9-alpine", None)
    assert offset == len("BASE=")
    assert decision.new == "python:3.9-slim-trixie"
    assert image_decisions("BASE=node:alpine", None) == []


def test_build_args_in_map_and_list_form() -> None:
    text = (
        "services:\n"
        "  a:\n    build:\n      context: .\n      args:\n        BASE: python:3.13-alpine\n        N: node:alpine\n"
        "  b:\n    build:\n      args:\n        - BASE=python:3.13-alpine\n        - OTHER\n"
    )
    result = fix(text, DEFAULT)
    assert "BASE: python:3.13-slim-trixie" in result.new
    assert "- BASE=python:3.13-slim-trixie\n" in result.new
    assert "N: node:alpine" in result.new


def test_an_undecidable_reference_is_reported_and_left() -> None:
    text = "services:\n  app:\n    image: python:${PY}-alpine\n  old:\n    image: python:3.3-alpine\n"
    result = fix(text, DEFAULT)
    assert not result.changed
    assert [(f.line, f.rule, f.severity) for f in result.findings] == [
        (3, "compose-image", Severity.WARNING),
        (5, "compose-image", Severity.WARNING),
    ]
    assert "${PY} has no default" in result.findings[0].message


def test_decision_notes_of_a_made_change_are_info() -> None:
    text = "services:\n  app:\n    image: python:3.8-alpine\n"
    result = fix(text, DEFAULT)
    assert result.new.endswith("python:3.8-slim-bookworm\n")
    [finding] = result.findings
    assert finding.severity is Severity.INFO and finding.line == 3


def test_dockerfile_inline_is_reported_not_edited() -> None:
    text = "services:\n  app:\n    build:\n      dockerfile_inline: |\n        FROM python:3.11-alpine\n"
    result = fix(text, DEFAULT)
    assert not result.changed
    assert [(f.line, f.message) for f in result.findings] == [
        (4, "service app: build.dockerfile_inline is not migrated; edit it by hand or move it to a Dockerfile")
    ]


def test_yaml_errors_are_results_not_exceptions() -> None:
    result = fix("services:\n  app:\n    image: python:3.11-alpine\n   bad: [\n", DEFAULT)
    assert result.error is not None and result.error.startswith("YAML does not parse: line 4: ")
    assert result.new == result.old


def test_an_alias_bomb_is_an_error() -> None:
    lines = ["a0: &a0 [python:3.11-alpine, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    result = fix("\n".join(lines) + "\n", DEFAULT)
    assert result.error is not None and "alias bomb" in result.error


def test_a_file_without_a_python_alpine_reference_is_not_even_parsed() -> None:
    text = "services: [\n  db: {image: postgres:alpine\n"  # broken, but nothing to migrate in it
    result = fix(text, DEFAULT)
    assert result.error is None and not result.changed


def test_the_rule_can_be_switched_off() -> None:
    text = "services:\n  app:\n    image: python:3.11-alpine\n"
    assert not fix(text, Settings(ignore=frozenset({"compose-image"}))).changed


def test_a_self_check_failure_leaves_the_file_unchanged(monkeypatch) -> None:
    text = "services:\n  a:\n    image: python:3.11-alpine\n  b:\n    image: python:3.12-alpine\n"
    real = yamlspans._check
    monkeypatch.setattr(yamlspans, "_check", lambda r, t, c: "boom" if len(c) > 1 else real(r, t, c))
    result = fix(text, DEFAULT)
    assert result.new == text
    assert result.error == "self-check failed, file left unchanged: boom"


def test_fix_text_dispatches_compose_files() -> None:
    text = "services:\n  app:\n    image: python:3.11-alpine\n"
    assert fix_text(text, COMPOSE, DEFAULT).new.endswith("python:3.11-slim-trixie\n")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("docker-compose.yml", COMPOSE),
        ("deploy/docker-compose.dev.yml", COMPOSE),
        ("compose.override.yaml", COMPOSE),
        ("compose.yaml", COMPOSE),
        ("Docker-Compose.YML", COMPOSE),
        ("app.compose.yml", COMPOSE),  # a common convention (service.compose.yml)
        ("app-compose.yaml", COMPOSE),
        ("composer.yml", None),
        ("docker-compose.json", None),
        ("values.yaml", None),
    ],
)
def test_compose_file_names(path: str, kind: str | None) -> None:
    assert kind_of(path) == kind


# --- links to Dockerfiles ----------------------------------------------------------------------


def test_linked_dockerfiles() -> None:
    text = (
        "services:\n"
        "  short:\n    build: ./api\n"
        "  long:\n    build:\n      context: worker\n      dockerfile: docker/Worker.Dockerfile\n"
        "      args:\n        PY: '3.12'\n        FROM_ENV:\n"
        "  listargs:\n    build:\n      args: [BASE=python:3.11-alpine, TOKEN]\n"
        "  absolute:\n    build:\n      context: .\n      dockerfile: /srv/Dockerfile\n"
        "  remote:\n    build: https://github.com/org/repo.git#main\n"
        "  interpolated:\n    build: ${CONTEXT:-.}\n"
        "  inline:\n    build:\n      dockerfile_inline: FROM python:3.11-alpine\n"
        "  pulled:\n    image: python:3.11-alpine\n"
    )
    base = os.path.join("proj", "deploy")
    assert linked_dockerfiles(os.path.join(base, "docker-compose.yml"), text) == [
        Link("short", os.path.join(base, "api", "Dockerfile"), {}, 2),
        Link("long", os.path.join(base, "worker", "docker", "Worker.Dockerfile"), {"PY": "3.12", "FROM_ENV": None}, 4),
        Link("listargs", os.path.join(base, "Dockerfile"), {"BASE": "python:3.11-alpine", "TOKEN": None}, 11),
        Link("absolute", "/srv/Dockerfile", {}, 14),
    ]


def test_a_context_above_the_compose_file_is_normalised() -> None:
    text = "services:\n  app:\n    build:\n      context: ..\n"
    assert linked_dockerfiles("proj/compose/compose.yaml", text) == [Link("app", os.path.join("proj", "Dockerfile"), {}, 2)]


def test_an_unreadable_compose_file_links_nothing() -> None:
    assert linked_dockerfiles("docker-compose.yml", "services: [\n") == []


# --- build args against FROM -----------------------------------------------------------------


DOCKERFILE = (
    "ARG PY=3.11\n"
    "ARG VARIANT=slim\n"
    "ARG BASE=python:3.11-alpine\n"
    "ARG NODE=20\n"
    "FROM python:${PY}-${VARIANT} AS a\n"
    "FROM ${BASE}\n"
    "FROM node:${NODE}-alpine\n"
)


def test_a_build_arg_that_selects_alpine_where_the_default_does_not() -> None:
    assert arg_overrides_report(DOCKERFILE, {"VARIANT": "alpine"}) == [
        "FROM on line 5: build arg VARIANT=alpine selects python:3.11-alpine, a python Alpine image; the"
        " Dockerfile's default (python:3.11-slim) is not one, so this FROM is not migrated: change the build arg"
    ]


def test_a_build_arg_that_selects_another_alpine_tag() -> None:
    assert arg_overrides_report(DOCKERFILE, {"BASE": "python:3.12-alpine"}) == [
        "FROM on line 6: build arg BASE=python:3.12-alpine selects python:3.12-alpine instead of the default python:3.11-alpine"
    ]


def test_build_args_that_change_nothing_alpine_are_not_reported() -> None:
    assert arg_overrides_report(DOCKERFILE, {"BASE": "python:3.11-slim", "NODE": "22", "UNUSED": "alpine"}) == []
    assert arg_overrides_report(DOCKERFILE, {"BASE": "python:3.11-alpine"}) == []  # the default itself


def test_a_build_arg_from_the_environment_cannot_be_checked() -> None:
    assert arg_overrides_report(DOCKERFILE, {"BASE": None, "NODE": None}) == [
        "FROM on line 6: build arg BASE takes its value from the environment; dockerfix cannot tell which image it selects"
    ]


def test_tabs_yaml_allows_as_blanks_do_not_stop_the_migration() -> None:
    """ruamel.yaml's pure parser refuses a tab before a comment or after `key:`; YAML (and Compose) do not."""
    text = "services:\n  web:\n    image: python:3.11-alpine\t# pinned\n    command:\tpython app.py\n"
    result = fix_text(text, COMPOSE)
    assert result.error is None
    assert result.new == text.replace("python:3.11-alpine", "python:3.11-slim-trixie")
