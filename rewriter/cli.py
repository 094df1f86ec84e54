"""The ``dockerfix`` command: modes, options, output formats and exit codes.  Only this module prints.

Exit codes: 0 success (nothing to change, changes written, or a diff shown);
1 ``--check`` found pending changes (``explain-package``: a name has no translation);
2 usage or configuration error; 123 at least one file could not be processed (the others were);
130 interrupted by Ctrl-C (SIGTERM ends the run as usual); every file is left either old or new.

Standard output carries the diff (``--format text``) or the report (the other formats, unless
``--output`` sends it to a file); findings, errors and the summary go to standard error.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import time
import traceback
from dataclasses import replace
from types import MappingProxyType

import click

from . import __version__
from .api import fix_text
from .config import FORMATS, Config, ConfigError
from .diff import unified_diff
from .files import COMPOSE, DOCKERFILE, KINDS, Scope, Selection, Target, find_targets, kind_of, parse_patterns, within
from .findings import FileResult, Severity
from .packages import bad_debian_names
from .report import FileReport, Totals, colour_diff, finding_line, summary_line, to_json, to_markdown, to_sarif
from . import links
from .rules import OTHER_RULES, RULE_IDS
from .settings import CODENAMES, Settings
from .source import SourceError, decode, read_source, write_source

EXIT_OK, EXIT_PENDING, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 123
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
PROGRESS_FROM = 50  # files: a shorter run is over before a progress bar would tell anything
PARALLEL_FROM = 200  # files: below this, starting worker processes costs more than it saves


class UsageProblem(click.ClickException):
    """A configuration or option combination dockerfix cannot run with (exit 2)."""

    exit_code = EXIT_USAGE


def display_path(path: str) -> str:
    """A path as the user will want to see it (and as ``git apply`` wants it): relative when under cwd."""
    relative = os.path.relpath(os.path.abspath(path))
    return relative if not relative.startswith("..") else path


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        apk, eq, deb = value.partition("=")
        if not eq or not apk.strip():
            raise click.BadParameter(f"{value!r}: expected APK=DEBIAN (DEBIAN may be empty to drop, or several names separated by commas)", param_hint="--map")
        mapping[apk.strip()] = " ".join(deb.replace(",", " ").split())
        bad = bad_debian_names(mapping[apk.strip()])
        if bad:
            raise click.BadParameter(f"{value!r}: {bad[0]!r} is not a Debian package name (lower case letters, digits, '+', '-', '.')", param_hint="--map")
    return mapping


def _id_set(value: str | None, known: tuple[str, ...], option: str) -> frozenset[str] | None:
    if value is None:
        return None
    ids = frozenset(v.strip() for v in value.split(",") if v.strip())
    unknown = sorted(ids - set(known))
    if unknown:
        raise click.BadParameter(f"unknown id(s): {', '.join(unknown)} (known: {', '.join(known)})", param_hint=option)
    return ids


def settings_from_options(
    codename, package_map, select, ignore, migrate_copy_targets=None, config: Config | None = None, prune_build_deps=False, offline=False
) -> Settings:
    """The run's settings: command-line options where given, else the configuration file's.

    ``--map`` and the configuration's ``packages`` are merged (``--map`` wins for one name).
    """
    config = config or Config()
    ignored = _id_set(ignore, RULE_IDS, "--ignore")
    return Settings(
        codename=codename or config.codename,
        package_overrides=MappingProxyType({**config.packages, **_parse_map(package_map)}),
        select=_id_set(select, RULE_IDS, "--select") if select is not None else config.select,
        ignore=ignored if ignored is not None else (config.ignore or frozenset()),
        migrate_copy_targets=bool(config.migrate_copy_targets if migrate_copy_targets is None else migrate_copy_targets),
        prune_build_deps=prune_build_deps,
        offline=offline,
    )


def selection_from_options(exclude, include, kinds, config: Config | None = None) -> Selection:
    """Which files folder walks take: the configuration's patterns (relative to its folder), then the
    command line's (relative to the current folder), so a ``--exclude '!PATTERN'`` can take one back."""
    config = config or Config()
    here = os.getcwd()
    chosen = _id_set(kinds, KINDS, "--kinds")
    return Selection(
        exclude=tuple(parse_patterns(config.exclude, config.root) + parse_patterns(exclude, here)),
        include=tuple(parse_patterns(config.include, config.root) + parse_patterns(include, here)),
        kinds=chosen if chosen is not None else config.kinds,
    )


def load_config(config_path: str | None, paths: tuple[str, ...]) -> Config:
    from . import config

    try:
        found = config_path or config.find(paths)
        return config.load(found) if found else Config()
    except ConfigError as exc:
        raise UsageProblem(str(exc)) from None


def config_groups(config_path: str | None, paths: tuple[str, ...], stdin_filename: str | None) -> list[tuple[Config, list[str]]]:
    """The paths grouped by the configuration that applies to them: each repository's own (a run
    over several repositories, a pre-commit run over several projects), or ``--config`` for all.
    The deepest configuration's paths come first, so a file two groups reach (``dockerfix . sub``)
    is processed under the nearer one."""
    from . import config

    if config_path is not None:
        return [(load_config(config_path, paths), list(paths))]
    found: dict[str | None, list[str]] = {}
    for path in paths:
        found.setdefault(config.find([(stdin_filename or ".") if path == "-" else path]), []).append(path)
    nearest_first = sorted(found.items(), key=lambda item: -len(os.path.abspath(item[0]).split(os.sep)) if item[0] else 0)
    return [(load_config(file, tuple(group)) if file else Config(), group) for file, group in nearest_first]


# --- one file: no printing, so files can be processed in any order or process ------------------


def process_file(target: Target, mode: str, settings: Settings, want_diff: bool = False, debug: bool = False) -> FileReport:
    """Read, migrate and (``mode == "write"``) rewrite one file; return what happened."""
    shown = display_path(target.path)
    if settings.build_context is None:  # COPY sources (--prune-build-deps, copied-scripts): the Dockerfile's folder
        settings = replace(settings, build_context=os.path.dirname(os.path.abspath(target.path)))
    try:
        source = read_source(target.path)
    except SourceError as exc:
        return FileReport(shown, target.kind, error=str(exc))
    result = _migrate(source.text, target.kind, settings, debug)
    if target.notes:  # what other files say about this one (a Compose service that builds it)
        result.findings = sorted([*target.notes, *result.findings], key=lambda f: f.line)
    if result.error or not result.changed:
        return FileReport.of(shown, target.kind, result)
    if mode == "write":
        try:
            write_source(target.path, source, result.new)
        except SourceError as exc:
            return replace(FileReport.of(shown, target.kind, result), changed=False, error=str(exc))
        return FileReport.of(shown, target.kind, result, written=True)
    diff = unified_diff(source.with_bom(result.old), source.with_bom(result.new), shown) if want_diff else ""
    return FileReport.of(shown, target.kind, result, diff=diff)


def process_target(
    target: Target, mode: str, settings: Settings, want_diff: bool, debug: bool, links_scope: Scope | None
) -> tuple[Target, FileReport, tuple[Target, ...]]:
    """:func:`process_file`; with a ``links_scope``, a Compose file's report also says which Dockerfiles
    its services build, and those that exist within the scope come back with it."""
    linked: tuple[Target, ...] = ()
    if links_scope is not None and target.kind == COMPOSE:
        found = links.links_of(target, links_scope)
        if found is not None:
            notes, linked = found
            target = replace(target, notes=target.notes + notes)
    return target, process_file(target, mode, settings, want_diff, debug), linked


def process_stdin(raw: bytes, name: str, mode: str, settings: Settings, want_diff: bool, debug: bool) -> tuple[FileReport, bytes | None]:
    """Migrate text read from standard input; with ``mode == "write"`` also the bytes to write out
    (the input itself when it cannot be migrated: a filter never swallows its input)."""
    kind = kind_of(name) or DOCKERFILE
    try:
        source = decode(raw)
    except SourceError as exc:
        return FileReport(name, kind, error=str(exc)), raw if mode == "write" else None
    result = _migrate(source.text, kind, settings, debug)
    diff = unified_diff(source.with_bom(result.old), source.with_bom(result.new), name) if want_diff else ""
    out = (raw if result.error else source.encode(result.new)) if mode == "write" else None
    return FileReport.of(name, kind, result, diff=diff), out


def _migrate(text: str, kind: str, settings: Settings, debug: bool) -> FileResult:
    try:
        return fix_text(text, kind, settings)
    except Exception as exc:  # a bug of ours must not stop the other files
        detail = "\n" + traceback.format_exc() if debug else ""
        return FileResult(text, text, error=f"internal error ({type(exc).__name__}: {exc}); please report it (--debug shows the traceback){detail}")


# --- output ------------------------------------------------------------------------------------


class Output:
    """Shows each file's report as it comes (text) or keeps it for the final report (other formats)."""

    def __init__(self, fmt: str, quiet: bool, colour: bool, show_diff: bool, mode: str = "diff") -> None:
        self.fmt, self.quiet, self.colour, self.show_diff, self.mode = fmt, quiet, colour, show_diff, mode
        self.totals = Totals()
        self.kept: list[FileReport] = []
        self.progress: Progress | None = None
        self.outside_noted = False

    def file(self, report: FileReport) -> None:
        if self.quiet:
            report = replace(report, findings=tuple(f for f in report.findings if f.severity is not Severity.INFO))
        self.totals.add(report)
        # without a diff, --check and --write name the files (a pre-commit user sees which one failed)
        named = self.fmt == "text" and ((self.mode == "check" and report.changed) or report.written)
        if self.progress is not None and (report.error or (report.diff and self.show_diff) or (report.findings and self.fmt == "text") or named):
            self.progress.clear()  # the lines below take its place; it is drawn again under them
        if self.fmt == "text":
            for finding in report.findings:
                click.echo(finding_line(report.path, finding), err=True)
        if named:
            click.echo(f"{'migrated' if report.written else 'would migrate'} {report.path}", err=True)
        if report.error:
            click.echo(f"{report.path}: error: {report.error}", err=True)
        if report.diff and self.show_diff:
            click.echo(colour_diff(report.diff) if self.colour else report.diff, nl=False, color=self.colour or None)
            if not self.outside_noted and (os.path.isabs(report.path) or report.path.split(os.sep)[0] == ".."):
                self.outside_noted = True  # git apply refuses such paths: say so once, not per file
                click.echo(f"dockerfix: note: {report.path} is outside the current folder; `git apply` takes only paths "
                           "below it, so run dockerfix from the repository root to get a diff it applies", err=True)
        if self.fmt != "text":
            self.kept.append(replace(report, diff=""))

    def document(self, mode: str, command: list[str], link_base: str | None, wheels: dict | None = None) -> str:
        if self.fmt == "json":
            return to_json(self.kept, self.totals, mode, wheels)
        if self.fmt == "sarif":
            return to_sarif(self.kept)
        return to_markdown(self.kept, self.totals, mode, command, link_base, wheels)


class Progress:
    """A one-line progress bar on standard error (a terminal), redrawn at most ten times a second."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.drawn_at, self.shown = total, 0, 0.0, False

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.drawn_at >= 0.1 or self.done == self.total or not self.shown:
            self.drawn_at = now
            width = max(10, min(40, shutil.get_terminal_size().columns - 30))
            filled = width * self.done // self.total
            click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} files", nl=False, err=True)
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\033[K", nl=False, err=True)
            self.shown = False


def _use_colour(flag: bool | None) -> bool:
    """--color/--no-color win; else NO_COLOR (https://no-color.org) turns colour off; else a terminal."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


# --- the commands ------------------------------------------------------------------------------


class _Command(click.Command):
    """``dockerfix [OPTIONS] PATH...``, where a first argument naming a subcommand (SUBCOMMANDS)
    runs it instead, so ``dockerfix PATH...`` needs no subcommand (a file with such a name can
    still be given as ``./NAME``)."""

    def main(self, args=None, prog_name=None, **extra):
        args = list(sys.argv[1:] if args is None else args)
        if args and args[0] in SUBCOMMANDS:
            return SUBCOMMANDS[args[0]].main(args[1:], f"{prog_name or 'dockerfix'} {args[0]}", **extra)
        return super().main(args, prog_name, **extra)


@click.command(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]}, epilog="Also: dockerfix explain PATH... (which requirements compile from source on Alpine and on Debian); dockerfix explain-package NAME... (what apk add NAME becomes on Debian, and why).")
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True, readable=False))  # unreadable: an error line, not a usage error
@click.option("--diff", "mode", flag_value="diff", help="Print a unified diff of the changes (default).")
@click.option("--write", "mode", flag_value="write", help="Rewrite the files in place.")
@click.option("--check", "mode", flag_value="check", help="Write nothing; exit 1 if any file would change.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), help="text (default): diffs and findings; json, sarif or markdown (a pull-request body): one report.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), help="Write the json/sarif/markdown report to this file instead of standard output.")
@click.option("--color/--no-color", "color", default=None, help="Colour the diff (default: when standard output is a terminal and NO_COLOR is not set).")
@click.option("--link-base", metavar="URL", help="Markdown: link path:line to URL + path + #Lline (e.g. https://github.com/OWNER/REPO/blob/SHA/).")
@click.option("--codename", type=click.Choice(CODENAMES), help="Debian release for the new tags (default: the newest published for each Python version).")
@click.option("--migrate-copy-targets/--no-migrate-copy-targets", default=None, help="Also move plain alpine stages that COPY --from a migrated stage onto that stage's image.")
@click.option("--map", "package_map", multiple=True, metavar="APK=DEBIAN", help="Override a package translation (repeatable). An empty DEBIAN drops the package.")
@click.option("--prune-build-deps", is_flag=True, help="Leave out compilers and -dev headers when every Python requirement of the stage has a wheel for Debian (asks PyPI).")
@click.option("--offline", is_flag=True, help="With --prune-build-deps or --wheels: read PyPI answers only from the cache.")
@click.option("--wheels", "with_wheels", is_flag=True, help="Add the wheel availability of the Dockerfiles' requirements (dockerfix explain; asks PyPI) to json and markdown reports.")
@click.option("--select", metavar="IDS", help="Only run these rules (comma-separated ids).")
@click.option("--ignore", metavar="IDS", help="Do not run these rules (comma-separated ids).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching files and folders (.gitignore syntax, relative to the current folder; repeatable).")
@click.option("--include", multiple=True, metavar="GLOB", help="Also read matching files found in folders, as Dockerfiles (.gitignore syntax; repeatable).")
@click.option("--kinds", metavar="KINDS", help=f"Only read these kinds of file in folders (comma-separated: {', '.join(KINDS)}).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="Read this configuration file instead of looking for one.")
@click.option("--stdin-filename", metavar="NAME", help="The file name to report for input read from '-'.")
@click.option("-q", "--quiet", is_flag=True, help="Only report warnings and errors, not informational notes.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@click.option("--debug", is_flag=True, help="Show a traceback when a file fails.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help=f"Worker processes for runs over {PARALLEL_FROM} files (default: one per CPU; 1: none).")
@click.option("--no-progress", is_flag=True, help=f"No progress bar (shown on a terminal's standard error for runs over {PROGRESS_FROM} files).")
@click.version_option(__version__, prog_name="dockerfix")
def main(paths, mode, output_format, output, color, link_base, codename, migrate_copy_targets, package_map, prune_build_deps, offline,
         with_wheels, select, ignore, exclude, include, kinds, config_path, stdin_filename, quiet, list_rules, debug, jobs, no_progress):
    """Migrate Python container builds from Alpine (musl) to Debian slim (glibc).

    PATH may be a file, a folder (searched for Dockerfiles and the other files dockerfix reads,
    honouring .gitignore) or '-' for standard input.
    """
    if list_rules:
        from .rules import RULES

        summaries = {rule.RULE_ID: rule.SUMMARY for rule in RULES} | OTHER_RULES
        width = max(len(rule_id) for rule_id in summaries)
        for rule_id, summary in summaries.items():
            click.echo(f"{rule_id:<{width}}  {summary}")
        sys.exit(EXIT_OK)
    if not paths:
        raise click.UsageError("no PATH given (use '.' for the current folder, '-' for standard input)")
    groups = config_groups(config_path, paths, stdin_filename)
    formats = {config.format for config, _ in groups if config.format}
    if output_format is None and len(formats) > 1:
        raise click.UsageError(f"the configurations of these paths ask for different formats ({', '.join(sorted(formats))}): give --format")
    fmt = output_format or (formats.pop() if formats else "text")
    _check_streams(fmt, output, mode, paths)
    run_mode = mode or ("write" if fmt == "text" and paths == ("-",) else "diff")
    out = Output(fmt, quiet, _use_colour(color), show_diff=run_mode == "diff" and (fmt == "text" or mode == "diff"), mode=run_mode)
    warned: set[str] = set()
    processed: list[Target] = []
    done: set[str] = set()  # real paths already processed (a file reached through two groups goes once)
    dockerfile_rules = [r for r in RULE_IDS if r not in OTHER_RULES and r != "base-image"]
    for config, group in groups:
        settings = settings_from_options(codename, package_map, select, ignore, migrate_copy_targets, config, prune_build_deps, offline)
        selection = selection_from_options(exclude, include, kinds, config)
        if not settings.rule_enabled("base-image") and any(settings.rule_enabled(r) for r in dockerfile_rules) and "base-image" not in warned:
            warned.add("base-image")
            click.echo("dockerfix: warning: base-image is not selected: FROM lines stay on Alpine while the other "
                       "rules write Debian commands into those stages", err=True)
        if "-" in group:  # a filter: without a mode flag, the migrated text goes to stdout
            stdin_mode = mode or ("write" if fmt == "text" else "diff")
            raw = click.get_binary_stream("stdin").read()
            report, data = process_stdin(raw, stdin_filename or "-", stdin_mode, settings, out.show_diff, debug)
            out.file(report)
            if data is not None:
                click.get_binary_stream("stdout").write(data)
        unreadable: list[tuple[str, str]] = []
        files = [p for p in group if p != "-"]
        targets, missing = find_targets(files, selection, on_error=lambda path, exc: unreadable.append((path, f"cannot read the folder: {exc.strerror or exc}")))
        if len(groups) > 1:  # leave out what an earlier group processed, or a nearer configuration of the run excluded
            nearer = [os.path.dirname(os.path.realpath(c.path)) for c, _ in groups if c.path and c.path != config.path]
            own = os.path.dirname(os.path.realpath(config.path)) if config.path else ""
            targets = [t for t in targets if os.path.realpath(t.path) not in done and not _under_nearer(t.path, own, nearer)]
        follow_links = settings.rule_enabled(links.RULE_ID) and (selection.kinds is None or DOCKERFILE in selection.kinds)
        links_scope = Scope.of(files, selection) if follow_links else None  # where Compose files may lead
        for path, reason in [(p, _why_not_found(p)) for p in missing] + unreadable:
            out.file(FileReport(display_path(path), kind_of(path) or DOCKERFILE, error=reason))
        try:
            ran = _process_targets(targets, out, run_mode, settings, debug, jobs, links_scope, progress=not no_progress and sys.stderr.isatty())
        except KeyboardInterrupt:  # writes are atomic: every file is already either unchanged or completely rewritten
            click.echo(summary_line(run_mode, out.totals), err=True)
            click.echo("dockerfix: interrupted; the files not reported above were left unchanged", err=True)
            sys.exit(EXIT_INTERRUPTED)
        processed += ran
        if len(groups) > 1:
            done.update(os.path.realpath(t.path) for t in ran)
    targets = processed

    if fmt != "text":
        reproduce = _reproducing_options(codename, migrate_copy_targets, package_map, select, ignore, exclude, include, kinds, config_path, prune_build_deps)
        command = ["dockerfix", "--write", *reproduce, *paths]
        wheels = _wheels_data(targets, settings, offline) if with_wheels and fmt in ("json", "markdown") else None
        _write_document(out.document(run_mode, command, link_base, wheels), output)
    click.echo(summary_line(run_mode, out.totals), err=True)
    if out.totals.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_PENDING if run_mode == "check" and out.totals.changed else EXIT_OK)


def _under_nearer(path: str, own: str, nearer: list[str]) -> bool:
    """``path`` lies in the folder of another configuration of the run, below this one's: that one decides."""
    real = os.path.realpath(path)
    return any(len(folder) > len(own) and within(real, folder) for folder in nearer)


def _why_not_found(path: str) -> str:
    """Why a named path is neither a file nor a folder to process: missing, unreachable, or a FIFO or device."""
    try:
        os.stat(path)
    except OSError as exc:
        return "no such file or folder" if exc.errno == errno.ENOENT else f"cannot read: {exc.strerror or exc}"
    try:
        read_source(path)  # says what it is instead, without blocking on a FIFO
    except SourceError as exc:
        return str(exc)
    return "not a file or folder dockerfix reads"


def _process_targets(
    targets: list[Target], out: Output, mode: str, settings: Settings, debug: bool, jobs: int | None, links_scope: Scope | None, progress: bool
) -> list[Target]:
    """Each target's report to ``out`` in target order, in worker processes when there are many; with
    a ``links_scope``, each Dockerfile only a Compose file names (within the scope) right after that
    Compose file.  Returns the targets processed.  ``progress``: the standard error is a terminal,
    show a bar for many files."""
    processed: list[Target] = []
    in_workers = len(targets) > PARALLEL_FROM and jobs != 1
    # With --write, every link is found before any file changes (a Compose file's notes read the
    # Dockerfiles it builds); else each Compose file's links are found as it is processed, sharing its parse.
    stream_scope = links_scope if mode != "write" else None
    seen = links.Seen(targets) if stream_scope is not None else None

    def emit(result: tuple[Target, FileReport, tuple[Target, ...]]) -> None:
        target, report, linked = result
        processed.append(target)
        out.file(report)
        if out.progress is not None:
            out.progress.advance()
        for dockerfile in seen.new(linked) if seen is not None else ():  # rare: a name discovery does not take
            if out.progress is not None:
                out.progress.total += 1
            emit(process_target(dockerfile, mode, settings, out.show_diff, debug, None))

    try:
        if not in_workers:
            if links_scope is not None and stream_scope is None:
                targets = links.with_linked_dockerfiles(targets, links_scope)
            out.progress = Progress(len(targets)) if progress and len(targets) > PROGRESS_FROM else None
            for target in targets:
                emit(process_target(target, mode, settings, out.show_diff, debug, stream_scope))
            return processed
        from . import parallel

        with parallel.Workers(jobs or parallel.default_jobs(), mode, settings, out.show_diff, debug, stream_scope) as workers:
            if links_scope is not None and stream_scope is None:
                targets = links.with_linked_dockerfiles(targets, links_scope, workers.map)
            out.progress = Progress(len(targets)) if progress else None  # over PARALLEL_FROM files
            workers.each(parallel.process, targets, emit)
        return processed
    finally:
        if out.progress is not None:
            out.progress.clear()
            out.progress = None


def _wheels_data(targets: list[Target], settings: Settings, offline: bool) -> dict:
    """``dockerfix explain``'s data for the Dockerfiles of the run (read before --write changed them)."""
    from .explain import explain_paths

    _text, data = explain_paths([t.path for t in targets if t.kind == DOCKERFILE], settings, offline=offline)
    return data


def _check_streams(fmt: str, output: str | None, mode: str | None, paths: tuple[str, ...]) -> None:
    """Standard output carries one thing: the diff, the filtered text, or the report; and the report
    file can be written (known before --write changes anything)."""
    if "" in paths:
        raise click.UsageError("an empty PATH (an unset variable?); use '.' for the current folder")
    if paths.count("-") > 1:
        raise click.UsageError("'-' (standard input) given more than once")
    if "-" in paths and len(paths) > 1 and mode is None and fmt == "text":
        raise click.UsageError("'-' with other paths: the migrated text of standard input and the diffs would both go to standard output; add --diff, --check or --write")
    if output not in (None, "-"):
        _check_writable(output)
    if fmt == "text":
        if output is not None:
            raise click.UsageError("--output is for --format json, sarif or markdown")
        return
    if output is None or output == "-":
        if mode == "diff":
            raise click.UsageError(f"--diff with --format {fmt}: the diff and the report would both go to standard output; write the report elsewhere with --output FILE")
        if mode == "write" and "-" in paths:
            raise click.UsageError(f"--write on standard input with --format {fmt}: the text and the report would both go to standard output; use --output FILE")



def _check_writable(output: str) -> None:
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise click.UsageError(f"--output {output}: the folder {folder} does not exist")
    if os.path.isdir(output):
        raise click.UsageError(f"--output {output}: is a folder")
    if not os.access(output if os.path.exists(output) else folder, os.W_OK):
        raise click.UsageError(f"--output {output}: cannot be written")


def _reproducing_options(codename, migrate_copy_targets, package_map, select, ignore, exclude, include, kinds, config_path, prune_build_deps=False) -> list[str]:
    """The command-line options that change the result (the configuration file is in the repository)."""
    options = ["--codename", codename] if codename else []
    options += ["--prune-build-deps"] if prune_build_deps else []
    if migrate_copy_targets is not None:
        options.append("--migrate-copy-targets" if migrate_copy_targets else "--no-migrate-copy-targets")
    options += [arg for value in package_map for arg in ("--map", value)]
    for option, value in (("--select", select), ("--ignore", ignore), ("--kinds", kinds), ("--config", config_path)):
        options += [option, value] if value is not None else []
    options += [arg for value in exclude for arg in ("--exclude", value)]
    options += [arg for value in include for arg in ("--include", value)]
    return options


def _write_document(document: str, output: str | None) -> None:
    if output is None or output == "-":
        click.echo(document, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(document)
    except OSError as exc:
        click.echo(f"{output}: error: cannot write the report ({exc.strerror or exc})", err=True)
        sys.exit(EXIT_ERROR)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("names", nargs=-1, required=True)
@click.option("--codename", type=click.Choice(CODENAMES), help="Debian release (default: each of them).")
@click.option("--map", "package_map", multiple=True, metavar="APK=DEBIAN", help="Override a package translation, as for a migration.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="Read this configuration file instead of looking for one.")
def explain_package(names, codename, package_map, config_path):
    """Say what `apk add NAME` becomes on Debian slim, and why.

    The configuration's package map applies, as in a migration.  Exits 1 when a name has no
    known translation.
    """
    from .packages import lookup

    config = load_config(config_path, (".",))
    overrides = {**config.packages, **_parse_map(package_map)}
    unknown = False
    for name in names:
        for release in (codename,) if codename else CODENAMES:
            decision = lookup(name, release, overrides)
            unknown = unknown or decision.kind == "unknown"
            click.echo(f"{name} on Debian {release}: {_outcome(decision)} ({decision.reason})")
    sys.exit(EXIT_PENDING if unknown else EXIT_OK)


def _outcome(decision) -> str:
    if decision.kind == "map":
        return "apt-get install " + " ".join(decision.debian)
    if decision.kind == "drop":
        return "dropped, nothing to install"
    if decision.kind == "pypi":
        return f"removed, pip install {decision.pypi}"
    return "no known Debian package"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--codename", type=click.Choice(CODENAMES), help="Debian release for the new tags (default: the newest published for each Python version).")
@click.option("--platform", metavar="OS/ARCH", help="Check wheels for this platform when FROM has no --platform (default linux/amd64).")
@click.option("--context", "build_context", type=click.Path(exists=True, file_okay=False), help="The build context of every Dockerfile (default: each Dockerfile's folder).")
@click.option("--offline", is_flag=True, help="Read PyPI answers only from the cache.")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", help="text (default): a table per stage; json: the same facts as data.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="Read this configuration file instead of looking for one.")
def explain(paths, codename, platform, build_context, offline, output_format, config_path):
    """Say which Python requirements compile from source on the Alpine image, and on Debian slim.

    For each migrated stage: the requirements it installs (pip install, requirement files,
    pyproject.toml with poetry.lock/uv.lock, Pipfile.lock) and their dependencies, the release
    pip would pick, and whether a wheel exists for each image.  PyPI's answers are cached for a
    day under ~/.cache/dockerfix/pypi (DOCKERFIX_PYPI_CACHE sets another folder).  Exits 123
    when a file cannot be read.
    """
    import json

    from .explain import explain_paths

    config = load_config(config_path, paths)
    settings = settings_from_options(codename, (), None, None, config=config)
    text, data = explain_paths(paths, settings, offline, platform=platform, context=build_context)
    click.echo(json.dumps(data, indent=2) if output_format == "json" else text.rstrip("\n"))
    sys.exit(EXIT_ERROR if any(f["error"] for f in data["files"]) else EXIT_OK)


SUBCOMMANDS: dict[str, click.Command] = {"explain-package": explain_package, "explain": explain}
