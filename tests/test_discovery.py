"""Which files a run reads: .gitignore semantics, built-in skips, excludes and includes,
symbolic links, and each file once."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rewriter.files import DOCKERFILE, Selection, find_targets, matched, parse_patterns

DOCKERFILE_TEXT = "FROM python:3.11-alpine\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def found(root: Path, selection: Selection = Selection(), *paths: str) -> list[str]:
    """Paths found (relative to root, / separators) for PATH arguments relative to root."""
    args = [str(root / p) for p in paths] or [str(root)]
    targets, missing = find_targets(args, selection)
    assert missing == []
    return [os.path.relpath(t.path, root).replace(os.sep, "/") for t in targets]


def user_patterns(base: Path, *patterns: str):
    return tuple(parse_patterns(patterns, str(base)))


# --- .gitignore pattern semantics ----------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, path, is_dir, expected",
    [
        ("Dockerfile.dev", "Dockerfile.dev", False, True),
        ("Dockerfile.dev", "a/b/Dockerfile.dev", False, True),  # no slash: a name at any depth
        ("/Dockerfile.dev", "a/Dockerfile.dev", False, False),  # leading slash: this folder only
        ("/Dockerfile.dev", "Dockerfile.dev", False, True),
        ("a/Dockerfile", "a/Dockerfile", False, True),
        ("a/Dockerfile", "x/a/Dockerfile", False, False),  # a middle slash anchors too
        ("build/", "build", True, True),
        ("build/", "build", False, False),  # trailing slash: folders only
        ("*.dockerfile", "x/app.dockerfile", False, True),
        ("*.dockerfile", "x/app.dockerfile.bak", False, False),
        ("a/*/Dockerfile", "a/b/Dockerfile", False, True),
        ("a/*/Dockerfile", "a/b/c/Dockerfile", False, False),  # * stays within one folder
        ("a/**/Dockerfile", "a/Dockerfile", False, True),
        ("a/**/Dockerfile", "a/b/c/Dockerfile", False, True),
        ("**/gen/Dockerfile", "gen/Dockerfile", False, True),
        ("**/gen/Dockerfile", "x/y/gen/Dockerfile", False, True),
        ("docs/**", "docs/x/Dockerfile", False, True),
        ("docs/**", "docs", True, False),
        ("Dockerfile.?", "Dockerfile.a", False, True),
        ("Dockerfile.?", "Dockerfile.ab", False, False),
        ("Dockerfile.[ab]", "Dockerfile.b", False, True),
        ("Dockerfile.[!ab]", "Dockerfile.b", False, False),
        ("Dockerfile.[!ab]", "Dockerfile.c", False, True),
        ("\\#Dockerfile", "#Dockerfile", False, True),
        ("\\!Dockerfile", "!Dockerfile", False, True),
        ("Dockerfile\\ ", "Dockerfile ", False, True),  # an escaped trailing space is kept
        ("Dockerfile   ", "Dockerfile", False, True),  # plain trailing spaces are not
        ("a**b", "a/b", False, False),  # ** not between slashes is an ordinary *
    ],
)
def test_pattern(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    patterns = parse_patterns([pattern], "/repo")
    assert matched(patterns, "/repo/" + path, is_dir) is expected


def test_comments_and_blank_lines_are_not_patterns() -> None:
    assert parse_patterns(["# Dockerfile", "", "   ", "/"], "/repo") == []


def test_last_matching_pattern_wins_and_negation_takes_back() -> None:
    patterns = parse_patterns(["Dockerfile.*", "!Dockerfile.prod", "Dockerfile.prod.old"], "/r")
    assert matched(patterns, "/r/Dockerfile.dev", False)
    assert not matched(patterns, "/r/Dockerfile.prod", False)
    assert matched(patterns, "/r/Dockerfile.prod.old", False)


def test_patterns_apply_only_below_their_folder() -> None:
    patterns = parse_patterns(["Dockerfile"], "/repo/sub")
    assert matched(patterns, "/repo/sub/x/Dockerfile", False)
    assert not matched(patterns, "/repo/Dockerfile", False)
    assert not matched(patterns, "/repo/subway/Dockerfile", False)


# --- walking folders ----------------------------------------------------------------------------


def test_root_gitignore(tmp_path: Path) -> None:
    tree(tmp_path, {
        ".gitignore": "build/\nDockerfile.generated\n# a comment\n",
        "Dockerfile": DOCKERFILE_TEXT,
        "Dockerfile.generated": DOCKERFILE_TEXT,
        "build/Dockerfile": DOCKERFILE_TEXT,
        "app/build/Dockerfile": DOCKERFILE_TEXT,
        "app/Dockerfile": DOCKERFILE_TEXT,
    })
    assert found(tmp_path) == ["Dockerfile", "app/Dockerfile"]


def test_negation_takes_a_file_back(tmp_path: Path) -> None:
    tree(tmp_path, {
        ".gitignore": "Dockerfile.*\n!Dockerfile.prod\n",
        "Dockerfile.dev": DOCKERFILE_TEXT,
        "Dockerfile.prod": DOCKERFILE_TEXT,
    })
    assert found(tmp_path) == ["Dockerfile.prod"]


def test_a_file_in_an_ignored_folder_cannot_be_taken_back(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "out/\n!out/Dockerfile\n", "out/Dockerfile": DOCKERFILE_TEXT})
    assert found(tmp_path) == []


def test_nested_gitignore_applies_below_its_folder_and_overrides_the_parent(tmp_path: Path) -> None:
    tree(tmp_path, {
        ".gitignore": "*.dockerfile\n",
        "Dockerfile.local": DOCKERFILE_TEXT,
        "top.dockerfile": DOCKERFILE_TEXT,
        "sub/.gitignore": "Dockerfile.local\n!keep.dockerfile\n",
        "sub/Dockerfile.local": DOCKERFILE_TEXT,
        "sub/keep.dockerfile": DOCKERFILE_TEXT,
        "sub/drop.dockerfile": DOCKERFILE_TEXT,
        "sub/deeper/Dockerfile.local": DOCKERFILE_TEXT,
        "other/Dockerfile.local": DOCKERFILE_TEXT,
    })
    assert found(tmp_path) == ["Dockerfile.local", "other/Dockerfile.local", "sub/keep.dockerfile"]


def test_anchored_and_double_star_patterns(tmp_path: Path) -> None:
    tree(tmp_path, {
        ".gitignore": "/Dockerfile.root\n**/generated/Dockerfile\ndocs/**\n",
        "Dockerfile.root": DOCKERFILE_TEXT,
        "sub/Dockerfile.root": DOCKERFILE_TEXT,
        "generated/Dockerfile": DOCKERFILE_TEXT,
        "a/b/generated/Dockerfile": DOCKERFILE_TEXT,
        "docs/x/Dockerfile": DOCKERFILE_TEXT,
    })
    assert found(tmp_path) == ["sub/Dockerfile.root"]


def test_gitignore_above_the_walked_folder_counts_inside_a_repository(tmp_path: Path) -> None:
    tree(tmp_path, {
        "repo/.git/info/exclude": "Dockerfile.excluded\n",
        "repo/.gitignore": "app/Dockerfile.tmp\n",
        "repo/app/Dockerfile": DOCKERFILE_TEXT,
        "repo/app/Dockerfile.tmp": DOCKERFILE_TEXT,
        "repo/app/Dockerfile.excluded": DOCKERFILE_TEXT,
    })
    assert found(tmp_path / "repo", Selection(), "app") == ["app/Dockerfile"]


def test_gitignore_above_the_walked_folder_is_ignored_outside_a_repository(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "Dockerfile\n", "app/Dockerfile": DOCKERFILE_TEXT})
    assert found(tmp_path, Selection(), "app") == ["app/Dockerfile"]


def test_dockerignore_is_not_a_reason_to_skip(tmp_path: Path) -> None:
    tree(tmp_path, {".dockerignore": "Dockerfile\n*\n", "Dockerfile": DOCKERFILE_TEXT})
    assert found(tmp_path) == ["Dockerfile"]


def test_default_skips(tmp_path: Path) -> None:
    tree(tmp_path, {
        "Dockerfile": DOCKERFILE_TEXT,
        ".git/Dockerfile": DOCKERFILE_TEXT,
        "node_modules/pkg/Dockerfile": DOCKERFILE_TEXT,
        "vendor/lib/Dockerfile": DOCKERFILE_TEXT,
        "third_party/lib/Dockerfile": DOCKERFILE_TEXT,
        ".venv/Dockerfile": DOCKERFILE_TEXT,
        "py311/pyvenv.cfg": "home = /usr/bin\n",  # a virtualenv under any name
        "py311/lib/Dockerfile": DOCKERFILE_TEXT,
        "pkg.egg-info/Dockerfile": DOCKERFILE_TEXT,
        "services/api/Dockerfile": DOCKERFILE_TEXT,
    })
    assert found(tmp_path) == ["Dockerfile", "services/api/Dockerfile"]


def test_a_skipped_folder_named_on_the_command_line_is_walked(tmp_path: Path) -> None:
    tree(tmp_path, {"vendor/lib/Dockerfile": DOCKERFILE_TEXT})
    assert found(tmp_path, Selection(), "vendor") == ["vendor/lib/Dockerfile"]


def test_a_named_file_is_processed_even_when_gitignored(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "Dockerfile.dev\n", "Dockerfile.dev": DOCKERFILE_TEXT, "odd-name": DOCKERFILE_TEXT})
    assert found(tmp_path, Selection(), "Dockerfile.dev", "odd-name") == ["Dockerfile.dev", "odd-name"]
    targets, _ = find_targets([str(tmp_path / "odd-name")])
    assert targets[0].kind == DOCKERFILE  # a name that says nothing is read as a Dockerfile


def test_exclude_patterns(tmp_path: Path) -> None:
    tree(tmp_path, {
        "Dockerfile": DOCKERFILE_TEXT,
        "Dockerfile.old": DOCKERFILE_TEXT,
        "tests/fixtures/Dockerfile": DOCKERFILE_TEXT,
        "tests/Dockerfile": DOCKERFILE_TEXT,
        "deploy/Dockerfile": DOCKERFILE_TEXT,
    })
    selection = Selection(exclude=user_patterns(tmp_path, "*.old", "tests/fixtures/", "deploy", "!deploy"))
    assert found(tmp_path, selection) == ["Dockerfile", "deploy/Dockerfile", "tests/Dockerfile"]


def test_exclude_applies_to_named_files_and_folders_too(tmp_path: Path) -> None:
    tree(tmp_path, {"gen/Dockerfile": DOCKERFILE_TEXT, "Dockerfile.old": DOCKERFILE_TEXT})
    selection = Selection(exclude=user_patterns(tmp_path, "gen/", "*.old"))
    assert found(tmp_path, selection, "gen/Dockerfile", "gen", "Dockerfile.old") == []


def test_include_reads_unusual_names_as_dockerfiles(tmp_path: Path) -> None:
    tree(tmp_path, {"build/app.docker": DOCKERFILE_TEXT, "other/app.docker": DOCKERFILE_TEXT})
    assert found(tmp_path) == []
    selection = Selection(include=user_patterns(tmp_path, "build/*.docker"))
    targets, _ = find_targets([str(tmp_path)], selection)
    assert [(os.path.relpath(t.path, tmp_path), t.kind) for t in targets] == [("build/app.docker", DOCKERFILE)]


def test_include_does_not_override_gitignore(tmp_path: Path) -> None:
    tree(tmp_path, {".gitignore": "*.docker\n", "app.docker": DOCKERFILE_TEXT})
    assert found(tmp_path, Selection(include=user_patterns(tmp_path, "*.docker"))) == []


def test_kinds_limit_what_folders_give(tmp_path: Path) -> None:
    tree(tmp_path, {"Dockerfile": DOCKERFILE_TEXT, "app.dockerfile": DOCKERFILE_TEXT})
    assert found(tmp_path, Selection(kinds=frozenset({"compose"}))) == []
    assert found(tmp_path, Selection(kinds=frozenset({DOCKERFILE}))) == ["Dockerfile", "app.dockerfile"]


def test_our_own_temporary_files_are_skipped(tmp_path: Path) -> None:
    tree(tmp_path, {"Dockerfile": DOCKERFILE_TEXT, ".dockerfix-abc123.dockerfile": DOCKERFILE_TEXT})
    assert found(tmp_path) == ["Dockerfile"]


def test_missing_paths_are_returned(tmp_path: Path) -> None:
    targets, missing = find_targets([str(tmp_path / "nope"), str(tmp_path)])
    assert targets == [] and missing == [str(tmp_path / "nope")]


# --- symbolic links and files reached twice ---------------------------------------------------------


@pytest.fixture
def linkable(tmp_path: Path) -> Path:
    try:
        os.symlink(tmp_path, tmp_path / "probe")
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available here")
    os.unlink(tmp_path / "probe")
    return tmp_path


def test_symlinks_out_of_the_root_are_not_followed(linkable: Path) -> None:
    root = tree(linkable / "root", {"Dockerfile": DOCKERFILE_TEXT})
    outside = tree(linkable / "outside", {"Dockerfile": DOCKERFILE_TEXT, "sub/Dockerfile": DOCKERFILE_TEXT})
    os.symlink(outside / "Dockerfile", root / "Dockerfile.linked")
    os.symlink(outside / "sub", root / "linked-folder")
    assert found(root) == ["Dockerfile"]


def test_a_symlink_loop_ends(linkable: Path) -> None:
    root = tree(linkable / "root", {"a/Dockerfile": DOCKERFILE_TEXT})
    os.symlink(root, root / "a" / "loop")
    os.symlink(root / "a", root / "a" / "self")
    assert found(root) == ["a/Dockerfile"]


def test_a_symlinked_file_inside_the_root_is_processed_once_through_its_target(linkable: Path) -> None:
    root = tree(linkable / "root", {"docker/base.dockerfile": DOCKERFILE_TEXT})
    os.symlink(root / "docker" / "base.dockerfile", root / "Dockerfile")
    assert found(root) == ["docker/base.dockerfile"]  # the link's target is read and written, once


def test_a_dangling_symlink_is_skipped(linkable: Path) -> None:
    root = tree(linkable / "root", {"Dockerfile": DOCKERFILE_TEXT})
    os.symlink(root / "gone", root / "Dockerfile.dangling")
    assert found(root) == ["Dockerfile"]


def test_each_file_once_for_overlapping_paths(tmp_path: Path) -> None:
    tree(tmp_path, {"a/Dockerfile": DOCKERFILE_TEXT, "a/b/Dockerfile": DOCKERFILE_TEXT})
    assert found(tmp_path, Selection(), "a/b/Dockerfile", ".", "a", "a/b", "a/../a/b/Dockerfile") == [
        "a/b/Dockerfile",
        "a/Dockerfile",
    ]


# --- agreement with git itself ------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_walk_agrees_with_git_check_ignore(tmp_path: Path) -> None:
    files = {
        "Dockerfile": DOCKERFILE_TEXT,
        "Dockerfile.dev": DOCKERFILE_TEXT,
        "Dockerfile.prod": DOCKERFILE_TEXT,
        "a/Dockerfile": DOCKERFILE_TEXT,
        "a/b/Dockerfile.dev": DOCKERFILE_TEXT,
        "a/b/c/app.dockerfile": DOCKERFILE_TEXT,
        "build/Dockerfile": DOCKERFILE_TEXT,
        "src/build/Dockerfile": DOCKERFILE_TEXT,
        "docs/x/Dockerfile": DOCKERFILE_TEXT,
        "gen/Dockerfile": DOCKERFILE_TEXT,
        "x/gen/Dockerfile": DOCKERFILE_TEXT,
        "keep/Dockerfile.dev": DOCKERFILE_TEXT,
        "nested/Dockerfile": DOCKERFILE_TEXT,
        "nested/Dockerfile.dev": DOCKERFILE_TEXT,
        "nested/deep/Dockerfile": DOCKERFILE_TEXT,
        "Dockerfile.a": DOCKERFILE_TEXT,
        "Dockerfile.b": DOCKERFILE_TEXT,
    }
    tree(tmp_path, {
        **files,
        ".gitignore": "Dockerfile.*\n!Dockerfile.prod\n/build/\n**/gen/Dockerfile\ndocs/**\n!keep/Dockerfile.dev\na/*/c/\nDockerfile.[b]\n",
        "nested/.gitignore": "!Dockerfile.dev\ndeep\n",
    })
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    check = subprocess.run(
        ["git", "-C", str(tmp_path), "check-ignore", "--no-index", "--stdin"],
        input="\n".join(files), capture_output=True, text=True,
    )
    git_ignored = set(check.stdout.split())
    assert git_ignored  # the patterns do ignore something
    assert set(found(tmp_path)) == set(files) - git_ignored
