"""Offline invariants of the Alpine -> Debian package map and its lookup.

Whether every Debian name really exists (and the set installs together) is
checked against Debian's indexes by scripts/verify_package_map.py; these tests
check the table's shape, the lookup rules and the corpus coverage.
"""

from __future__ import annotations

import re
import shlex
from importlib import resources
from pathlib import Path

import pytest

from rewriter.packages import CODENAMES, PackageDecision, lookup, suggestion_candidates, tomllib

DATA = resources.files("rewriter").joinpath("data")
TOML_TEXT = DATA.joinpath("packages.toml").read_text("utf-8")
TABLE = tomllib.loads(TOML_TEXT)["packages"]
KINDS = ("debian", "drop", "pypi", "unavailable")
KEYS = set(KINDS) | {"reason", "commands", "versioned", "review"}
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "files"
DEBIAN_NAME_RE = re.compile(r"[a-z0-9][a-z0-9+.-]+")


def debian_names(entry: dict, codename: str) -> list[str]:
    value = entry["debian"]
    if isinstance(value, dict):
        value = value[codename]
    return [n for n in ([value] if isinstance(value, str) else value) if n]


def all_debian_names() -> list[tuple[str, str, str]]:
    return [
        (alpine, codename, name)
        for alpine, entry in TABLE.items()
        if "debian" in entry
        for codename in CODENAMES
        for name in debian_names(entry, codename)
    ]


# ---------------------------------------------------------------- table shape


def test_table_is_sorted_and_unique() -> None:
    headers = re.findall(r"^\[packages\.(.+)\]$", TOML_TEXT, re.M)
    names = [h.strip('"') for h in headers]
    assert names == list(TABLE)
    assert len(set(names)) == len(names)
    assert names == sorted(names)
    assert len(TABLE) > 300


@pytest.mark.parametrize("alpine", sorted(TABLE))
def test_entry_has_exactly_one_kind(alpine: str) -> None:
    entry = TABLE[alpine]
    assert len([k for k in KINDS if k in entry]) == 1
    assert set(entry) <= KEYS


def test_per_codename_tables_cover_all_codenames() -> None:
    per_codename = [e["debian"] for e in TABLE.values() if isinstance(e.get("debian"), dict)]
    assert per_codename, "expected some per-codename entries"
    for value in per_codename:
        assert set(value) == set(CODENAMES)
        for names in value.values():
            assert isinstance(names, (str, list))


def test_debian_names_are_valid_and_never_python3() -> None:
    for alpine, codename, name in all_debian_names():
        assert DEBIAN_NAME_RE.fullmatch(name), (alpine, codename, name)
        assert not name.startswith(("python3-", "python-")), (alpine, name)


def test_drop_unavailable_and_pypi_values_are_filled() -> None:
    for alpine, entry in TABLE.items():
        for key in ("drop", "unavailable", "pypi"):
            if key in entry:
                assert isinstance(entry[key], str) and entry[key].strip(), alpine


def _obvious_pair(alpine: str, debian: str) -> bool:
    """Same name, or the same stem with Debian's lib/fonts prefix / soname suffix."""
    if alpine.endswith("-dev") != debian.endswith("-dev"):
        return False
    if alpine.startswith("font-"):
        return debian.startswith("fonts-" + alpine.removeprefix("font-"))
    stem = alpine.removesuffix("-dev").removesuffix("-libs").removeprefix("lib")
    return debian.removesuffix("-dev").removeprefix("lib").startswith(stem)


def test_non_obvious_pairings_have_a_reason() -> None:
    missing = []
    for alpine, entry in TABLE.items():
        if entry.get("reason"):
            continue
        if "debian" in entry:
            names = {n for c in CODENAMES for n in debian_names(entry, c)}
            per_codename = isinstance(entry["debian"], dict)
            if per_codename or not names or not all(_obvious_pair(alpine, n) for n in names):
                missing.append(alpine)
        elif "pypi" in entry:
            normal = entry["pypi"].lower().replace("_", "-")
            if alpine.split("-", 1)[1] != normal:
                missing.append(alpine)
    assert missing == []


def test_commands_are_unambiguous() -> None:
    seen: dict[str, str] = {}
    for alpine, entry in TABLE.items():
        for command in entry.get("commands", ()):
            assert command not in seen, (command, seen.get(command), alpine)
            seen[command] = alpine


# ---------------------------------------------------------------- lookup over the whole table


@pytest.mark.parametrize("codename", CODENAMES)
def test_every_entry_decides_with_a_reason(codename: str) -> None:
    for alpine in TABLE:
        decision = lookup(alpine, codename)
        assert isinstance(decision, PackageDecision)
        assert decision.alpine == alpine
        assert decision.reason.strip(), alpine
        assert not any(n.startswith("python3-") for n in decision.debian), alpine
        assert (decision.kind == "map") == bool(decision.debian), alpine
        assert (decision.kind == "pypi") == (decision.pypi is not None), alpine


def test_musl_dev_never_maps_to_musl_dev() -> None:
    for codename in CODENAMES:
        decision = lookup("musl-dev", codename)
        assert decision.debian == ("libc6-dev",)
        assert "musl-dev" not in decision.debian


# ---------------------------------------------------------------- examples (checked by hand)


@pytest.mark.parametrize(
    ("alpine", "debian"),
    [
        ("build-base", "build-essential"),
        ("postgresql-dev", "libpq-dev"),
        ("jpeg-dev", "libjpeg-dev"),
        ("linux-headers", "linux-libc-dev"),
        ("libc-dev", "libc6-dev"),
        ("musl-dev", "libc6-dev"),
        ("gdk-pixbuf-dev", "libgdk-pixbuf-2.0-dev"),
        ("tiff-dev", "libtiff-dev"),
        ("libxslt-dev", "libxslt1-dev"),
        ("zlib-dev", "zlib1g-dev"),
        ("su-exec", "gosu"),
        ("libpq", "libpq5"),
    ],
)
@pytest.mark.parametrize("codename", CODENAMES)
def test_examples_same_in_every_codename(alpine: str, debian: str, codename: str) -> None:
    decision = lookup(alpine, codename)
    assert (decision.alpine, decision.kind, decision.debian) == (alpine, "map", (debian,))


@pytest.mark.parametrize(
    ("alpine", "expected"),
    [
        ("pkgconfig", ("pkg-config", "pkgconf", "pkgconf")),
        ("pkgconf", ("pkg-config", "pkgconf", "pkgconf")),
        ("tiff", ("libtiff5", "libtiff6", "libtiff6")),
        ("libssl3", ("libssl1.1", "libssl3", "libssl3t64")),
        ("libssl1.1", ("libssl1.1", "libssl3", "libssl3t64")),
        ("libcrypto3", ("libssl1.1", "libssl3", "libssl3t64")),
        ("libffi", ("libffi7", "libffi8", "libffi8")),
        ("libpng", ("libpng16-16", "libpng16-16", "libpng16-16t64")),
        ("libcurl", ("libcurl4", "libcurl4", "libcurl4t64")),
        ("pcre-dev", ("libpcre3-dev", "libpcre3-dev", "libpcre2-dev")),
        ("openldap-dev", ("libldap2-dev", "libldap-dev", "libldap-dev")),
    ],
)
def test_examples_per_codename(alpine: str, expected: tuple[str, str, str]) -> None:
    got = tuple(lookup(alpine, codename).debian for codename in CODENAMES)
    assert got == tuple((name,) for name in expected)


def test_drops() -> None:
    for alpine in ("python3-dev", "python3", "py3-pip", "musl", "gcompat", "libc6-compat",
                   "shadow", "bash", "coreutils", "ca-certificates", "tzdata"):
        decision = lookup(alpine, "bookworm")
        assert decision.kind == "drop", alpine
        assert decision.debian == ()


def test_pypi_entries_and_convention() -> None:
    numpy = lookup("py3-numpy", "trixie")
    assert (numpy.kind, numpy.pypi, numpy.debian) == ("pypi", "numpy", ())
    assert "pip install numpy" in numpy.reason
    assert lookup("py3-yaml", "trixie").pypi == "PyYAML"
    guessed = lookup("py3-frobnicate-pyc", "trixie")
    assert (guessed.kind, guessed.pypi) == ("pypi", "frobnicate")
    assert "assumed" in guessed.reason


def test_virtual_names() -> None:
    assert lookup("so:libz.so.1", "bookworm").debian == ("zlib1g",)
    assert lookup("so:libssl.so.3", "trixie").debian == ("libssl3t64",)
    assert lookup("so:libpq.so.5", "trixie").debian == ("libpq5",)
    assert lookup("so:libstdc++.so.6", "trixie").debian == ("libstdc++6",)
    assert lookup("so:libgcc_s.so.1", "trixie").debian == ("libgcc-s1",)
    assert lookup("so:libc.musl-x86_64.so.1", "trixie").kind == "drop"
    bash = lookup("cmd:bash", "trixie")
    assert (bash.kind, bash.alpine) == ("drop", "cmd:bash")
    assert "Alpine's bash" in bash.reason
    assert lookup("cmd:ssh", "bookworm").debian == ("openssh-client",)
    assert lookup("cmd:pg_dump", "bookworm").debian == ("postgresql-client",)
    assert lookup("pc:libxml-2.0", "bookworm").debian == ("libxml2-dev",)
    assert lookup("pc:zlib", "bookworm").debian == ("zlib1g-dev",)
    assert lookup("pc:python3", "bookworm").kind == "drop"
    for name in ("so:libnothing-here.so.1", "cmd:", "pc:", "so:"):
        assert lookup(name, "trixie").kind == "unknown", name


def test_versioned_builds_resolve_only_for_marked_families() -> None:
    assert lookup("postgresql14-dev", "bookworm").debian == ("libpq-dev",)
    assert lookup("postgresql16-client", "trixie").debian == ("postgresql-client",)
    assert lookup("llvm17-dev", "trixie").debian == ("llvm-dev",)
    assert lookup("htop2", "trixie").kind == "unknown"


def test_unavailable_and_missing_in_a_release_are_unknown_with_reason() -> None:
    elastic = lookup("elasticsearch", "trixie")
    assert elastic.kind == "unknown" and "Debian" in elastic.reason
    wk = [lookup("wkhtmltopdf", c) for c in CODENAMES]
    assert [d.kind for d in wk] == ["map", "map", "unknown"]
    assert "trixie" in wk[2].reason


def test_overrides() -> None:
    assert lookup("foo", "trixie", {"foo": "bar baz"}).debian == ("bar", "baz")
    assert lookup("foo", "trixie", {"foo": "bar"}).kind == "map"
    dropped = lookup("gcc", "trixie", {"gcc": ""})
    assert (dropped.kind, dropped.debian) == ("drop", ())
    assert lookup("gcc", "trixie", {"gcc": "gcc-14"}).debian == ("gcc-14",)
    assert lookup("gcc", "trixie", {"other": "x"}).debian == ("gcc",)
    assert lookup("foo@edge", "trixie", {"foo@edge": "foo"}).debian == ("foo",)


def test_tagged_and_malformed_names_are_refused() -> None:
    tagged = lookup("bash@edge", "trixie")
    assert tagged.kind == "unknown" and "tag" in tagged.reason
    for name in ("", "Bash", "foo bar", "$BUILD_DEPS", "./local.apk"):
        assert lookup(name, "trixie").kind == "unknown", name


def test_codenames() -> None:
    old = lookup("libssl3", "buster")
    assert old.debian == lookup("libssl3", "bullseye").debian
    assert "buster" in old.reason and "not verified" in old.reason
    with pytest.raises(ValueError):
        lookup("gcc", "hamm")


# ---------------------------------------------------------------- suggestions


def _suggestion_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    codenames: set[str] = set()
    for line in DATA.joinpath("debian-names.txt").read_text("utf-8").splitlines():
        if line.startswith("["):
            codenames = set(line.strip("[]").split())
        elif line and not line.startswith("#"):
            names[line] = codenames
    return names


def test_suggestion_data_is_small_and_clean() -> None:
    names = _suggestion_names()
    assert len(DATA.joinpath("debian-names.txt").read_bytes()) < 300_000
    assert len(names) > 1000
    assert all(set(cs) <= set(CODENAMES) and cs for cs in names.values())
    assert not any(n.startswith(("python3-", "python-")) for n in names)


def test_suggestions_come_from_the_shipped_names_for_that_codename() -> None:
    names = _suggestion_names()
    lua = lookup("lua5.4-dev", "trixie")
    assert (lua.kind, lua.suggestion) == ("unknown", "liblua5.4-dev")
    assert "--map lua5.4-dev=liblua5.4-dev" in lua.reason
    assert lookup("no-such-thing-dev", "trixie").suggestion is None
    only_old = sorted(n for n, cs in names.items() if cs == {"bullseye"})
    assert only_old
    for name in only_old[:50]:
        assert lookup(name, "trixie").suggestion != name
    for candidate in ("foo-dev", "libfoo-dev", "python3-foo-dev"):
        assert not any(c.startswith("python3-") for c in suggestion_candidates(candidate))


# ---------------------------------------------------------------- corpus coverage

# 0169 ends an `apk add` list with a dangling backslash, so Docker joins the
# next instruction (`RUN pip install ...`) into the package list.
CORPUS_JUNK = {"RUN", "pip", "install"}
APK_VALUE_FLAGS = {"--virtual", "-t", "--repository", "-X", "--root", "-p", "--arch"}
SHELL_OPERATORS = {"&&", "||", ";", "|", "&", "(", ")", ";;"}


def _logical_lines(text: str) -> list[str]:
    """Dockerfile instructions as Docker joins them (comment/blank lines inside a
    continuation are skipped)."""
    result, current = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        current = (current or "") + line
        if re.search(r"\\\s*$", line):
            current = re.sub(r"\\\s*$", " ", current)
        else:
            result.append(current)
            current = None
    if current:
        result.append(current)
    return result


def _apk_add_names(command: str) -> list[str]:
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        tokens = command.split()
    names, i = [], 0
    while i < len(tokens):
        if tokens[i].rsplit("/", 1)[-1] != "apk":
            i += 1
            continue
        args, i = [], i + 1
        while i < len(tokens) and tokens[i] not in SHELL_OPERATORS:
            args.append(tokens[i])
            i += 1
        words, skip = [], False
        for arg in args:
            if skip:
                skip = False
            elif re.fullmatch(r"\d?[<>]+&?", arg):  # redirection: `zlib>=1.2` is zlib > "=1.2"
                skip = True
            elif arg.startswith("-"):
                skip = arg in APK_VALUE_FLAGS
            else:
                words.append(arg)
        if words[:1] == ["add"]:
            for word in words[1:]:
                if word.startswith("$") or "/" in word or word.endswith(".apk") or "*" in word:
                    continue
                names.append(re.split(r"[=<>~]", word, maxsplit=1)[0])
    return names


def _corpus_apk_names() -> set[str]:
    names: set[str] = set()
    for path in sorted(CORPUS.glob("*Dockerfile*")):
        args: dict[str, str] = {}
        python_alpine_stages: set[str] = set()
        in_python_alpine = False
        for line in _logical_lines(path.read_text("utf-8", errors="replace")):
            keyword, _, rest = line.strip().partition(" ")
            keyword = keyword.upper()
            if keyword == "ARG" and "=" in rest:
                key, _, value = rest.strip().partition("=")
                args.setdefault(key, value.strip("\"'"))
            elif keyword == "FROM":
                words = [w for w in rest.split() if not w.startswith("--")]
                image = re.sub(
                    r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), words[0]
                ).lower()
                in_python_alpine = bool(
                    re.search(r"(^|/)python:\S*alpine", image) or image in python_alpine_stages
                )
                if in_python_alpine and len(words) >= 3 and words[1].upper() == "AS":
                    python_alpine_stages.add(words[2].lower())
            elif keyword == "RUN" and in_python_alpine:
                names.update(_apk_add_names(rest))
    return names


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not checked out beside the repo")
@pytest.mark.parametrize("codename", CODENAMES)
def test_corpus_apk_names_are_all_known(codename: str) -> None:
    names = _corpus_apk_names()
    assert {"gcc", "musl-dev", "postgresql-dev", "postgresql14-dev"} <= names
    assert len(names) > 80
    uncurated = []
    for name in sorted(names - CORPUS_JUNK):
        decision = lookup(name, codename)
        curated = name in TABLE and ("unavailable" in TABLE[name] or "debian" in TABLE[name])
        if decision.kind == "unknown" and not curated:
            uncurated.append(name)
    assert uncurated == []
    for junk in CORPUS_JUNK & names:
        assert lookup(junk, codename).kind == "unknown"


def test_review_flag_only_on_mappings_with_a_reason() -> None:
    """A mapping flagged for review must say what to review."""
    for name, entry in TABLE.items():
        if entry.get("review"):
            assert "debian" in entry and entry.get("reason"), name
            assert entry["review"] is True or set(entry["review"]) <= set(CODENAMES), name


def test_review_mapping_is_reported_as_such() -> None:
    decision = lookup("openjdk8-jre", "bookworm")
    assert decision.kind == "map" and decision.review
    assert not lookup("musl-dev", "bookworm").review
    # only where the difference exists: bullseye has no OpenSSL 3
    assert lookup("libssl3", "bullseye").review and not lookup("libssl3", "trixie").review


def test_slim_base_names_are_names_the_map_emits_for_that_release() -> None:
    """rewriter/data/slim-base.toml (scripts/build_slim_base.py) must follow the map it was built from."""
    base = tomllib.loads((Path(__file__).parent.parent / "rewriter" / "data" / "slim-base.toml").read_text())
    table = tomllib.loads((Path(__file__).parent.parent / "rewriter" / "data" / "packages.toml").read_text())["packages"]
    for codename in CODENAMES:
        emitted: set[str] = set()
        for entry in table.values():
            value = entry.get("debian")
            names = value.get(codename, ()) if isinstance(value, dict) else value or ()
            emitted.update([names] if isinstance(names, str) else names)
        assert base[codename] and set(base[codename]) <= emitted, codename
    assert "openssl" in base["trixie"] and "libgcc-s1" in base["bookworm"]  # the two that break an image when purged
