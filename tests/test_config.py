"""Configuration files: where they are found, what they may say, and how the command line overrides them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from rewriter import config
from rewriter.cli import main, selection_from_options, settings_from_options
from rewriter.config import Config, ConfigError
from rewriter.files import matched

ALPINE = "FROM python:3.11-alpine\nRUN apk add --no-cache libpq-dev gcc\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- parsing ----------------------------------------------------------------------------------


def test_every_key() -> None:
    parsed = config.parse(
        {
            "codename": "bookworm",
            "packages": {"libfoo-dev": "libbar-dev", "two": ["aa", "bb cc"], "gone": "", "also-gone": [], "commas": "xx,yy"},
            "exclude": ["tests/fixtures/"],
            "include": ["build/*.docker"],
            "select": ["base-image"],
            "ignore": ["apk-to-apt"],
            "kinds": ["dockerfile"],
            "format": "json",
            "migrate-copy-targets": True,
        },
        "test",
    )
    assert parsed.codename == "bookworm"
    assert dict(parsed.packages) == {"libfoo-dev": "libbar-dev", "two": "aa bb cc", "gone": "", "also-gone": "", "commas": "xx yy"}
    assert parsed.exclude == ("tests/fixtures/",) and parsed.include == ("build/*.docker",)
    assert parsed.select == {"base-image"} and parsed.ignore == {"apk-to-apt"}
    assert parsed.kinds == {"dockerfile"} and parsed.format == "json" and parsed.migrate_copy_targets is True


def test_empty_table_says_nothing() -> None:
    assert config.parse({}, "test") == Config()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"codenam": "bookworm"}, "unknown key 'codenam'"),
        ({"codename": "buster"}, "codename: 'buster' is not one of bullseye, bookworm, trixie"),
        ({"codename": 12}, "codename: expected a string, got a number"),
        ({"packages": ["a"]}, "packages: expected a table"),
        ({"packages": {"a": 1}}, "packages.a: expected a Debian name or a list of names, got a number"),
        ({"packages": {"a": "bb && curl x | sh"}}, "packages.a: '&&' is not a Debian package name"),
        ({"packages": {"a": "b"}}, "packages.a: 'b' is not a Debian package name"),  # two characters at least
        ({"packages": {"a": ["libfoo-dev", "Lib_Bar"]}}, "packages.a: 'Lib_Bar' is not a Debian package name"),
        ({"exclude": "tests/"}, "exclude: expected a list of strings, got a string"),
        ({"select": ["no-such-rule"]}, "select: unknown rule id 'no-such-rule'"),
        ({"ignore": ["base-image", "nope"]}, "ignore: unknown rule id 'nope'"),
        ({"kinds": ["helm"]}, "kinds: unknown file kind 'helm'"),
        ({"format": "html"}, "format: 'html' is not one of text, json, sarif, markdown"),
        ({"migrate-copy-targets": "yes"}, "migrate-copy-targets: expected true or false, got a string"),
    ],
)
def test_errors_name_the_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.parse(data, "where")
    assert str(caught.value).startswith("where: ")
    assert message in str(caught.value)


def test_pyproject_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.dockerfix]\ncodename = "bullseye"\nexclude = ["old/"]\n')
    loaded = config.load(str(path))
    assert loaded.codename == "bullseye" and loaded.exclude == ("old/",)
    assert loaded.path == str(path) and loaded.root == str(tmp_path)


def test_pyproject_error_names_the_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.dockerfix]\ncolour = true\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: \[tool.dockerfix\]: unknown key 'colour'"):
        config.load(str(path))


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path / ".dockerfix.toml", "codename = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(str(path))


# --- finding the file -------------------------------------------------------------------------


def test_found_by_walking_up_from_the_paths(tmp_path: Path) -> None:
    conf = write(tmp_path / "repo" / ".dockerfix.toml", 'codename = "bookworm"\n')
    write(tmp_path / "repo" / "services" / "api" / "Dockerfile", ALPINE)
    (tmp_path / "repo" / ".git").mkdir()
    assert config.find([str(tmp_path / "repo" / "services" / "api" / "Dockerfile")]) == str(conf)
    assert config.find([str(tmp_path / "repo" / "services")]) == str(conf)


def test_found_from_the_folder_the_paths_share(tmp_path: Path) -> None:
    write(tmp_path / "a" / ".dockerfix.toml", "")
    conf = write(tmp_path / ".dockerfix.toml", "")
    (tmp_path / "b").mkdir()
    assert config.find([str(tmp_path / "a"), str(tmp_path / "b")]) == str(conf)


def test_dockerfix_toml_wins_over_pyproject_in_one_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dockerfix]\n")
    conf = write(tmp_path / ".dockerfix.toml", "")
    assert config.find([str(tmp_path)]) == str(conf)


def test_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    conf = write(tmp_path / "pyproject.toml", "[tool.dockerfix]\n")
    write(tmp_path / "sub" / "pyproject.toml", "[tool.black]\nline-length = 100\n")
    write(tmp_path / "other" / "pyproject.toml", "[tool.black\nnot toml at all")  # broken, not ours
    assert config.find([str(tmp_path / "sub")]) == str(conf)
    assert config.find([str(tmp_path / "other")]) == str(conf)


def test_broken_pyproject_mentioning_dockerfix_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dockerfix\ncodename = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.find([str(tmp_path)])


def test_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / ".dockerfix.toml", 'codename = "bookworm"\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write(tmp_path / "repo" / "Dockerfile", ALPINE)
    assert config.find([str(tmp_path / "repo")]) is None


# --- precedence -------------------------------------------------------------------------------


def test_command_line_overrides_configuration() -> None:
    conf = config.parse(
        {"codename": "bookworm", "packages": {"a": "xx", "b": "yy"}, "select": ["base-image"], "ignore": ["apk-to-apt"], "migrate-copy-targets": True},
        "test",
    )
    from_config = settings_from_options(None, (), None, None, None, conf)
    assert from_config.codename == "bookworm"
    assert dict(from_config.package_overrides) == {"a": "xx", "b": "yy"}
    assert from_config.select == {"base-image"} and from_config.ignore == {"apk-to-apt"}
    assert from_config.migrate_copy_targets is True

    overridden = settings_from_options("trixie", ("b=zz", "c="), "apk-to-apt", "base-image", False, conf)
    assert overridden.codename == "trixie"
    assert dict(overridden.package_overrides) == {"a": "xx", "b": "zz", "c": ""}  # merged; --map wins per name
    assert overridden.select == {"apk-to-apt"} and overridden.ignore == {"base-image"}
    assert overridden.migrate_copy_targets is False


def test_patterns_are_relative_to_their_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = Config(root=str(tmp_path / "repo"), exclude=("/legacy/",), include=("*.docker",), kinds=frozenset({"dockerfile"}))
    monkeypatch.chdir(tmp_path)
    selection = selection_from_options(("/other/", "!/repo/legacy/"), (), None, conf)
    assert matched(selection.exclude, str(tmp_path / "repo" / "legacy"), True) is False  # the command line's ! comes last
    assert matched(selection.exclude, str(tmp_path / "other"), True) is True
    assert matched(selection.exclude, str(tmp_path / "repo" / "other"), True) is False
    assert matched(selection.include, str(tmp_path / "repo" / "x" / "a.docker"), False) is True
    assert selection.kinds == {"dockerfile"}
    assert selection_from_options((), (), "python", conf).kinds == {"python"}


# --- through the command ----------------------------------------------------------------------


def run(args: list[str], cwd: Path) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_configuration_is_used_and_overridden(tmp_path: Path) -> None:
    write(tmp_path / ".dockerfix.toml", 'codename = "bookworm"\npackages = { libpq-dev = "libpq5-dev-custom" }\n')
    write(tmp_path / "app" / "Dockerfile", ALPINE)
    code, out, _ = run(["app"], tmp_path)
    assert code == 0
    assert "+FROM python:3.11-slim-bookworm" in out and "libpq5-dev-custom" in out
    code, out, _ = run(["--codename", "trixie", "--map", "libpq-dev=libpq-dev", "app"], tmp_path)
    assert "+FROM python:3.11-slim-trixie" in out and "libpq5-dev-custom" not in out


def test_configuration_excludes_and_format(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.dockerfix]\nexclude = ["legacy/"]\nformat = "json"\n')
    write(tmp_path / "legacy" / "Dockerfile", ALPINE)
    write(tmp_path / "Dockerfile", ALPINE)
    code, out, _ = run(["."], tmp_path)
    assert code == 0
    assert '"path": "Dockerfile"' in out and "legacy" not in out
    code, out, _ = run(["--format", "text", "."], tmp_path)
    assert out.startswith("--- a/Dockerfile")


def test_unknown_key_exits_2_naming_it(tmp_path: Path) -> None:
    write(tmp_path / ".dockerfix.toml", 'codename = "bookworm"\nexlude = ["x"]\n')
    write(tmp_path / "Dockerfile", ALPINE)
    code, out, err = run(["--write", "."], tmp_path)
    assert code == 2
    assert "unknown key 'exlude'" in err and ".dockerfix.toml" in err
    assert (tmp_path / "Dockerfile").read_text() == ALPINE


def test_explicit_config_file(tmp_path: Path) -> None:
    shared = write(tmp_path / "org" / "dockerfix.toml", 'codename = "bullseye"\n')
    write(tmp_path / "repo" / "Dockerfile", ALPINE)
    code, out, _ = run(["--config", str(shared), "Dockerfile"], tmp_path / "repo")
    assert code == 0 and "+FROM python:3.11-slim-bullseye" in out
