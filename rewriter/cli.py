"""The ``dockerfix`` command: modes, options and exit codes.  Only this module prints.

Exit codes: 0 success (nothing to change, changes written, or a diff shown);
1 ``--check`` found pending changes; 2 usage error; 123 at least one file could
not be processed (the others were still processed).
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field
from types import MappingProxyType

import click

from . import __version__
from .api import fix_text
from .diff import unified_diff
from .files import DOCKERFILE, discover, kind_of
from .findings import FileResult, Severity
from .rules import RULE_IDS
from .settings import CODENAMES, Settings
from .source import SourceError, decode, read_source, write_source

EXIT_OK, EXIT_PENDING, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 123


@dataclass
class Tally:
    files: int = 0
    changed: int = 0
    errors: int = 0
    findings: dict[str, int] = field(default_factory=dict)


def _display(path: str) -> str:
    """A path as the user will want to see it (and as ``git apply`` wants it): relative when under cwd."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return relative if not relative.startswith("..") else path


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        apk, eq, deb = value.partition("=")
        if not eq or not apk.strip():
            raise click.BadParameter(f"{value!r}: expected APK=DEBIAN (DEBIAN may be empty to drop, or several names separated by commas)", param_hint="--map")
        mapping[apk.strip()] = " ".join(deb.replace(",", " ").split())
    return mapping


def _rule_set(value: str | None, option: str) -> frozenset[str] | None:
    if value is None:
        return None
    ids = frozenset(v.strip() for v in value.split(",") if v.strip())
    unknown = sorted(ids - set(RULE_IDS))
    if unknown:
        raise click.BadParameter(f"unknown rule id(s): {', '.join(unknown)} (known: {', '.join(RULE_IDS)})", param_hint=option)
    return ids


def settings_from_options(codename, package_map, select, ignore, migrate_copy_targets=False) -> Settings:
    return Settings(
        migrate_copy_targets=migrate_copy_targets,
        codename=codename,
        package_overrides=MappingProxyType(_parse_map(package_map)),
        select=_rule_set(select, "--select"),
        ignore=_rule_set(ignore, "--ignore") or frozenset(),
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--diff", "mode", flag_value="diff", help="Print a unified diff of the changes (default).")
@click.option("--write", "mode", flag_value="write", help="Rewrite the files in place.")
@click.option("--check", "mode", flag_value="check", help="Write nothing; exit 1 if any file would change.")
@click.option("--codename", type=click.Choice(CODENAMES), help="Debian release for the new tags (default: the newest published for each Python version).")
@click.option("--migrate-copy-targets", is_flag=True, help="Also move plain alpine stages that COPY --from a migrated stage onto that stage's image.")
@click.option("--map", "package_map", multiple=True, metavar="APK=DEBIAN", help="Override a package translation (repeatable). An empty DEBIAN drops the package.")
@click.option("--select", metavar="IDS", help="Only run these rules (comma-separated ids).")
@click.option("--ignore", metavar="IDS", help="Do not run these rules (comma-separated ids).")
@click.option("--stdin-filename", metavar="NAME", help="The file name to report for input read from '-'.")
@click.option("-q", "--quiet", is_flag=True, help="Only report warnings and errors, not informational notes.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@click.option("--debug", is_flag=True, help="Show a traceback when a file fails.")
@click.version_option(__version__, prog_name="dockerfix")
def main(paths, mode, codename, migrate_copy_targets, package_map, select, ignore, stdin_filename, quiet, list_rules, debug):
    """Migrate Python container builds from Alpine (musl) to Debian slim (glibc).

    PATH may be a Dockerfile, a folder (searched for Dockerfile, Dockerfile.*,
    *.Dockerfile and Containerfile) or '-' for standard input.
    """
    if list_rules:
        from .rules import RULES

        for rule in RULES:
            click.echo(f"{rule.RULE_ID:<14} {rule.SUMMARY}")
        sys.exit(EXIT_OK)
    if not paths:
        raise click.UsageError("no PATH given (use '.' for the current folder, '-' for standard input)")
    settings = settings_from_options(codename, package_map, select, ignore, migrate_copy_targets)
    tally = Tally()
    for path in paths:
        if path == "-":  # a filter: without a mode flag, the migrated text goes to stdout
            _run_stdin(stdin_filename or "-", mode or "write", settings, tally, quiet, debug)
            continue
        if os.path.isdir(path):
            targets = list(discover(path))
        elif os.path.exists(path) or os.path.islink(path):
            targets = [path]
        else:
            _error(path, "no such file or folder", tally)
            continue
        for target in targets:
            _run_file(target, mode or "diff", settings, tally, quiet, debug)
    mode = mode or "diff"
    _summary(mode, tally)
    if tally.errors:
        sys.exit(EXIT_ERROR)
    if mode == "check" and tally.changed:
        sys.exit(EXIT_PENDING)
    sys.exit(EXIT_OK)


def _error(path: str, message: str, tally: Tally) -> None:
    tally.errors += 1
    click.echo(f"{_display(path)}: error: {message}", err=True)


def _process(text: str, path: str, settings: Settings, debug: bool) -> FileResult:
    try:
        return fix_text(text, kind_of(path) or DOCKERFILE, settings)
    except Exception as exc:  # a bug of ours must not stop the other files
        if debug:
            traceback.print_exc()
        return FileResult(text, text, error=f"internal error ({type(exc).__name__}: {exc}); please report it (--debug shows the traceback)")


def _report(path: str, result: FileResult, tally: Tally, quiet: bool) -> None:
    shown = _display(path)
    for finding in result.findings:
        if quiet and finding.severity is Severity.INFO:
            continue
        tally.findings[finding.severity.value] = tally.findings.get(finding.severity.value, 0) + 1
        click.echo(f"{shown}:{finding.line}: {finding.rule}: {finding.message}", err=True)


def _run_file(path: str, mode: str, settings: Settings, tally: Tally, quiet: bool, debug: bool) -> None:
    tally.files += 1
    try:
        source = read_source(path)
    except SourceError as exc:
        _error(path, str(exc), tally)
        return
    result = _process(source.text, path, settings, debug)
    if result.error:
        _error(path, result.error, tally)
        return
    _report(path, result, tally, quiet)
    if not result.changed:
        return
    if mode == "write":
        try:
            write_source(path, source, result.new)
        except SourceError as exc:
            _error(path, str(exc), tally)
            return
    tally.changed += 1
    if mode == "diff":
        click.echo(unified_diff(result.old, result.new, _display(path)), nl=False)


def _run_stdin(name: str, mode: str, settings: Settings, tally: Tally, quiet: bool, debug: bool) -> None:
    tally.files += 1
    raw = click.get_binary_stream("stdin").read()
    try:
        source = decode(raw)
    except SourceError as exc:
        _error(name, str(exc), tally)
        return
    result = _process(source.text, name if name != "-" else "Dockerfile", settings, debug)
    if result.error:
        _error(name, result.error, tally)
        if mode == "write":  # a filter never swallows its input
            click.get_binary_stream("stdout").write(raw)
        return
    _report(name, result, tally, quiet)
    tally.changed += result.changed
    if mode == "diff":
        click.echo(unified_diff(result.old, result.new, name), nl=False)
    elif mode == "write":
        click.get_binary_stream("stdout").write(source.encode(result.new))


def _summary(mode: str, tally: Tally) -> None:
    verb = {"write": "migrated", "check": "would be migrated", "diff": "would be migrated"}[mode]
    noun = "file" if tally.changed == 1 else "files"
    parts = [f"{tally.changed} {noun} {verb}", f"{tally.files - tally.changed - tally.errors} unchanged"]
    if tally.findings:
        parts.append(", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(tally.findings.items())))
    if tally.errors:
        parts.append(f"{tally.errors} error{'s' if tally.errors != 1 else ''}")
    click.echo("dockerfix: " + ", ".join(parts) + ".", err=True)
