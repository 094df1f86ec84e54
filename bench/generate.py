"""A tree of generated Dockerfiles and Compose files of realistic shapes, for the benchmark.

The files are made from small templates with a seeded random choice, so one seed always gives
the same tree.  About half of them need a migration (a python Alpine base in one of its many
spellings, apk RUNs of several shapes, multi-stage builds); the rest are python slim images,
other images on Alpine (node, golang, nginx) and Compose files naming only other images.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
ALPINES = ("3.16", "3.17", "3.18", "3.19", "3.20")
BUILD_PACKAGES = ("gcc", "musl-dev", "libffi-dev", "openssl-dev", "postgresql-dev", "build-base", "cargo", "jpeg-dev", "zlib-dev", "linux-headers", "make", "g++")
RUNTIME_PACKAGES = ("libpq", "bash", "curl", "git", "tzdata", "ca-certificates", "libstdc++", "jpeg", "libffi")
SERVICES = ("api", "worker", "web", "scheduler", "admin")


@dataclass
class Tree:
    """What was generated: the counts the benchmark reports."""

    root: str
    dockerfiles: int = 0
    compose: int = 0
    needing_changes: int = 0

    @property
    def files(self) -> int:
        return self.dockerfiles + self.compose


def python_alpine(rng: random.Random) -> tuple[str, str]:
    """(ARG lines, image) for a python Alpine base in one of its spellings."""
    version = rng.choice(PYTHONS)
    shape = rng.randrange(8)
    if shape == 0:
        return "", f"python:{version}-alpine{rng.choice(ALPINES)}"
    if shape == 1:
        return "", f"python:{version}.{rng.randrange(1, 12)}-alpine"
    if shape == 2:
        return "", f"docker.io/library/python:{version}-alpine"
    if shape == 3:
        return f"ARG PYTHON_VERSION={version}\n", "python:${PYTHON_VERSION}-alpine"
    if shape == 4:
        return "", "python:alpine" if rng.random() < 0.3 else f"python:{version}-alpine"
    return "", f"python:{version}-alpine"


def apk_run(rng: random.Random) -> str:
    """One RUN installing Alpine packages, in one of the shapes people write."""
    build = " ".join(rng.sample(BUILD_PACKAGES, rng.randrange(2, 6)))
    runtime = " ".join(rng.sample(RUNTIME_PACKAGES, rng.randrange(1, 3)))
    shape = rng.randrange(6)
    if shape == 0:
        return f"RUN apk add --no-cache {build}\n"
    if shape == 1:
        return f"RUN apk update && apk add {runtime} {build}\n"
    if shape == 2:
        return (
            f"RUN apk add --no-cache {runtime} \\\n"
            f"    && apk add --no-cache --virtual .build-deps {build} \\\n"
            "    && pip install --no-cache-dir -r requirements.txt \\\n"
            "    && apk del .build-deps\n"
        )
    if shape == 3:
        lines = "".join(f"        {name} \\\n" for name in build.split())
        return f"RUN set -eux; \\\n    apk add --no-cache \\\n{lines}    ; \\\n    rm -rf /var/cache/apk/*\n"
    if shape == 4:
        return f"RUN apk --update add {runtime}\n"
    return f"RUN apk upgrade --no-cache && apk add --no-cache {runtime}\n"


def app_tail(rng: random.Random) -> str:
    port = rng.choice((8000, 8080, 5000))
    return (
        "WORKDIR /app\n"
        "COPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        "COPY . .\n"
        f"EXPOSE {port}\n"
        f'CMD ["gunicorn", "--bind", "0.0.0.0:{port}", "app:app"]\n'
    )


def migrated_dockerfile(rng: random.Random) -> str:
    """A Dockerfile dockerfix changes: single stage, or a builder and a runtime stage."""
    args, image = python_alpine(rng)
    header = "# syntax=docker/dockerfile:1\n" if rng.random() < 0.2 else ""
    if rng.random() < 0.3:
        return (
            f"{header}{args}FROM {image} AS builder\n"
            f"{apk_run(rng)}"
            "WORKDIR /build\n"
            "COPY requirements.txt .\n"
            "RUN pip wheel --wheel-dir /wheels -r requirements.txt\n\n"
            f"FROM {image}\n"
            f"RUN apk add --no-cache {' '.join(rng.sample(RUNTIME_PACKAGES, 2))}\n"
            "COPY --from=builder /wheels /wheels\n"
            "RUN pip install --no-cache-dir /wheels/*\n"
            f"{app_tail(rng)}"
        )
    env = "ENV PYTHONDONTWRITEBYTECODE=1 \\\n    PYTHONUNBUFFERED=1\n" if rng.random() < 0.5 else ""
    return f"{header}{args}FROM {image}\n{env}{apk_run(rng)}{app_tail(rng)}"


def other_dockerfile(rng: random.Random) -> str:
    """A Dockerfile dockerfix leaves alone: python slim, or another image (some on Alpine)."""
    shape = rng.randrange(5)
    if shape == 0:
        return (
            f"FROM python:{rng.choice(PYTHONS)}-slim-bookworm\n"
            "RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*\n"
            f"{app_tail(rng)}"
        )
    if shape == 1:
        return (
            "FROM node:20-alpine AS assets\n"
            "WORKDIR /src\n"
            "COPY package.json package-lock.json ./\n"
            "RUN npm ci\n"
            "COPY . .\n"
            "RUN npm run build\n\n"
            "FROM nginx:1.27-alpine\n"
            "COPY --from=assets /src/dist /usr/share/nginx/html\n"
        )
    if shape == 2:
        return (
            "FROM golang:1.22-alpine AS build\n"
            "RUN apk add --no-cache git\n"
            "WORKDIR /src\n"
            "COPY . .\n"
            "RUN CGO_ENABLED=0 go build -o /out/server ./cmd/server\n\n"
            f"FROM alpine:{rng.choice(ALPINES)}\n"
            "RUN apk add --no-cache ca-certificates\n"
            "COPY --from=build /out/server /usr/local/bin/server\n"
            'ENTRYPOINT ["/usr/local/bin/server"]\n'
        )
    if shape == 3:
        return f"FROM python:{rng.choice(PYTHONS)}-slim\n{app_tail(rng)}"
    return (
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y --no-install-recommends curl ca-certificates \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        'CMD ["bash"]\n'
    )


def compose_file(rng: random.Random, migrated: bool) -> tuple[str, bool]:
    """A Compose file: services built from the repository or on images, plus a database and a cache;
    and whether it names a python Alpine image (only when ``migrated``)."""
    lines = ["services:\n"]
    names_python_alpine = False
    for name in rng.sample(SERVICES, rng.randrange(1, 4)):
        lines.append(f"  {name}:\n")
        if migrated and rng.random() < 0.6:
            names_python_alpine = True
            lines.append(f"    image: python:{rng.choice(PYTHONS)}-alpine\n")
            lines.append(f"    command: python -m {name}\n")
        else:
            lines.append("    build:\n      context: .\n      dockerfile: Dockerfile\n")
        lines.append('    environment:\n      - "LOG_LEVEL=info"\n')
    lines.append(f"  db:\n    image: postgres:{rng.choice(('15', '16'))}-alpine\n    volumes:\n      - db:/var/lib/postgresql/data\n")
    lines.append("  cache:\n    image: redis:7-alpine\n")
    lines.append("volumes:\n  db: {}\n")
    return "".join(lines), names_python_alpine


def dockerfile(rng: random.Random, migrated: bool) -> tuple[str, bool]:
    return (migrated_dockerfile(rng) if migrated else other_dockerfile(rng)), migrated


def generate(root: str, count: int = 10_000, seed: int = 1) -> Tree:
    """Write ``count`` files under ``root``: repositories of a Dockerfile, sometimes more, and often
    a Compose file, with a README and requirements.txt beside them that dockerfix does not read."""
    rng = random.Random(seed)
    tree = Tree(root)
    repo = 0
    while tree.files < count:
        folder = os.path.join(root, f"org-{repo // 100:02d}", f"repo-{repo:04d}")
        repo += 1
        migrated = rng.random() < 0.55
        files = {"Dockerfile": dockerfile(rng, migrated)}
        if rng.random() < 0.3:
            files[os.path.join("docker", "Dockerfile.dev")] = dockerfile(rng, rng.random() < 0.5)
        if rng.random() < 0.6:
            files["docker-compose.yml"] = compose_file(rng, migrated)
        for name, (text, needs_changes) in list(files.items())[: count - tree.files]:
            path = os.path.join(folder, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            tree.compose += name.endswith(".yml")
            tree.dockerfiles += not name.endswith(".yml")
            tree.needing_changes += needs_changes
        for name, text in (("README.md", f"# repo {repo}\n"), ("requirements.txt", "flask==3.0.3\ngunicorn==22.0.0\n")):
            with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
                handle.write(text)
    return tree
