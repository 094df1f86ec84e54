"""Which files dockerfix reads, and as what kind."""

from __future__ import annotations

import fnmatch
import os
from typing import Iterator

DOCKERFILE = "dockerfile"
COMPOSE = "compose"
GITLAB_CI = "gitlab-ci"
GITHUB_ACTIONS = "github-actions"
PYTHON = "python"
KINDS = (DOCKERFILE, COMPOSE, GITLAB_CI, GITHUB_ACTIONS, PYTHON)

# kind -> "module:function" (relative to the package) taking (text, settings) -> FileResult;
# the Dockerfile pipeline lives in api.py itself.
HANDLERS: dict[str, str] = {}

SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "vendor", "third_party"}
)


def kind_of(path: str) -> str | None:
    """The kind of file a name says it is, or None when dockerfix does not read it."""
    name = os.path.basename(path)
    lower = name.lower()
    if lower in ("dockerfile", "containerfile") or lower.startswith(("dockerfile.", "containerfile.")):
        return DOCKERFILE
    if lower.endswith((".dockerfile", ".containerfile")):
        return DOCKERFILE
    return None


def discover(root: str) -> Iterator[str]:
    """Files under ``root`` that dockerfix reads, in a stable order; symlinked folders are not followed."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if kind_of(path) and not fnmatch.fnmatch(name, ".dockerfix-*"):
                yield path
