"""`# dockerfix: ignore` pragmas, and --select/--ignore of rule ids."""

from __future__ import annotations

from rewriter import dockerfile
from rewriter.api import fix_text
from rewriter.cli import settings_from_options
from rewriter.rules.context import ALL_RULES, read_pragmas

SOURCE = (
    "FROM python:3.12-alpine\n"
    "RUN apk add --no-cache curl && ARCH=\"$(apk --print-arch)\"\n"
    "HEALTHCHECK CMD wget -q --spider http://localhost/ || exit 1\n"
)


def _settings(select: str | None = None, ignore: str | None = None):
    return settings_from_options(None, (), select, ignore)


def _pragmas(text: str) -> dict[int, frozenset[str]]:
    """Pragmas by the 1-based line of the instruction they govern."""
    df = dockerfile.parse(text)
    found = read_pragmas(df)
    return {ins.line: found[ins.start].rules for ins in df.instructions if ins.start in found}


def test_a_pragma_governs_the_instruction_its_comment_block_touches() -> None:
    text = (
        "FROM python:3.12-alpine\n"
        "# dockerfix: ignore\n"
        "RUN apk add gcc\n"
        "# dockerfix: ignore=apk-to-apt, busybox-applets\n"
        "# a reason, in another comment line\n"
        "RUN apk add curl\n"
        "# dockerfix: ignore=arch-paths\n"
        "\n"
        "RUN apk add git\n"
    )
    assert _pragmas(text) == {3: frozenset({ALL_RULES}), 6: frozenset({"apk-to-apt", "busybox-applets"})}


def test_a_comment_inside_the_previous_instruction_is_not_a_pragma_for_the_next() -> None:
    text = "FROM python:3.12-alpine\nRUN apk add gcc \\\n# dockerfix: ignore\n    musl-dev\nRUN apk add curl\n"
    assert _pragmas(text) == {}
    result = fix_text(text)
    assert "apt-get install -y --no-install-recommends curl" in result.new


def test_ignore_keeps_every_rule_off_the_instruction() -> None:
    text = SOURCE.replace("RUN apk", "# dockerfix: ignore\nRUN apk")
    result = fix_text(text)
    assert "RUN apk add --no-cache curl && ARCH=\"$(apk --print-arch)\"\n" in result.new
    assert "FROM python:3.12-slim-trixie\n" in result.new
    # wget is still needed; with the RUN left alone it comes with a new RUN after the FROM
    assert "RUN apt-get update && apt-get install -y --no-install-recommends wget" in result.new


def test_ignore_one_rule_leaves_the_others_on() -> None:
    text = SOURCE.replace("RUN apk", "# dockerfix: ignore=arch-paths\nRUN apk")
    result = fix_text(text)
    assert "apt-get install -y --no-install-recommends curl wget" in result.new
    assert "$(apk --print-arch)" in result.new
    assert not [f for f in result.findings if f.rule == "arch-paths"]


def test_an_unknown_rule_id_in_a_pragma_is_reported() -> None:
    text = SOURCE.replace("RUN apk", "# dockerfix: ignore=arch-path\nRUN apk")
    result = fix_text(text)
    assert [(f.line, f.rule) for f in result.findings if f.rule == "pragma"] == [(2, "pragma")]
    assert "dpkg --print-architecture" in result.new  # the misspelt id ignores nothing


def test_a_base_image_pragma_on_the_arg_default_keeps_the_stage_on_alpine() -> None:
    text = (
        "# dockerfix: ignore=base-image\n"
        "ARG BASE=python:3.11-alpine\n"
        "FROM ${BASE}\n"
        "RUN apk add --no-cache gcc && wget -q https://example.org/\n"
    )
    assert fix_text(text).new == text


def test_select_runs_only_the_named_rules() -> None:
    result = fix_text(SOURCE, settings=_settings(select="base-image,arch-paths"))
    migrated_from = fix_text(SOURCE, settings=_settings(select="base-image")).new
    assert result.new == migrated_from.replace("apk --print-arch", "dpkg --print-architecture")
    assert {f.rule for f in result.findings} <= {"arch-paths", "base-image"}
    assert "arch-paths" in {f.rule for f in result.findings}


def test_ignore_skips_the_named_rules() -> None:
    everything = fix_text(SOURCE)
    without = fix_text(SOURCE, settings=_settings(ignore="busybox-applets,arch-paths"))
    assert "curl wget" in everything.new and "dpkg --print-architecture" in everything.new
    assert "apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*" in without.new
    assert "$(apk --print-arch)" in without.new
    assert {f.rule for f in without.findings} <= {"base-image", "apk-to-apt"}


def test_ignoring_scanelf_leaves_the_idiom_to_a_report() -> None:
    text = (
        "FROM python:3.11-alpine\n"
        "RUN apk add --virtual .build-deps gcc && pip install x"
        " && runDeps=\"$(scanelf --needed --nobanner --recursive /usr/local | sort -u)\""
        " && apk add --virtual .rundeps $runDeps && apk del .build-deps\n"
    )
    on = fix_text(text)
    off = fix_text(text, settings=_settings(ignore="scanelf"))
    assert "dpkg-query --search" in on.new
    assert "RUN apk add --virtual .build-deps gcc" in off.new
    assert any("`$runDeps`" in f.message for f in off.findings)
