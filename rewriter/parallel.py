"""Processing many files on all CPU cores, with each file's result delivered in target order.

Files go to worker processes in chunks (one message per chunk, not per file), and only a few
chunks per worker are in flight at a time, so memory holds a bounded number of reports however
many files there are.  The run's options reach each worker once, when it starts.

Workers leave SIGINT to the main process (a Ctrl-C reaches the whole process group): it stops
handing out chunks, lets the running ones finish and returns.  SIGTERM and SIGHUP end a worker
as usual, though never in the middle of replacing a file (``source.write_source`` holds them
back), so every file is left old or new.  A worker whose main process is gone stops too.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from types import MappingProxyType
from typing import Callable, Sequence, TypeVar

from .files import Scope, Target
from .report import FileReport
from .settings import Settings

CHUNK_MAX = 50  # items per message: enough that inter-process traffic is noise
CHUNKS_PER_WORKER = 4  # in flight: keeps every worker busy while the main process prints

Item = TypeVar("Item")
Result = TypeVar("Result")

_run: tuple[str, Settings, bool, bool, Scope | None] | None = None  # in a worker: process_target's options


def default_jobs() -> int:
    """The CPUs this process may run on (a container or ``taskset`` may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class Workers:
    """``jobs`` worker processes for one run; use as a context manager.

    ``start_method`` defaults to fork on Linux (workers start with everything imported) and to
    the platform's default elsewhere.
    """

    def __init__(
        self, jobs: int, mode: str, settings: Settings, want_diff: bool, debug: bool, links_scope: Scope | None, start_method: str | None = None
    ) -> None:
        method = start_method or ("fork" if sys.platform == "linux" else None)
        plain = replace(settings, package_overrides=dict(settings.package_overrides))  # a mapping proxy does not pickle
        self.jobs = jobs
        self.pool = ProcessPoolExecutor(
            jobs, multiprocessing.get_context(method), initializer=_start_worker, initargs=(mode, plain, want_diff, debug, links_scope)
        )

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)  # after an interrupt: the running chunks finish

    def each(self, function: Callable[[Item], Result], items: Sequence[Item], emit: Callable[[Result], None]) -> None:
        """Call ``emit`` with ``function(item)`` for each item, in the order of ``items``.

        ``function`` must be a module-level function (it is sent to the workers by name).
        """
        size = max(1, min(CHUNK_MAX, len(items) // (self.jobs * CHUNKS_PER_WORKER * 4)))
        pending: deque[Future[list[Result]]] = deque()
        for start in range(0, len(items), size):
            pending.append(self.pool.submit(_apply, function, items[start : start + size]))
            if len(pending) >= self.jobs * CHUNKS_PER_WORKER:
                for result in pending.popleft().result():
                    emit(result)
        while pending:
            for result in pending.popleft().result():
                emit(result)

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
        """``[function(item) for item in items]``, computed by the workers."""
        results: list[Result] = []
        self.each(function, items, results.append)
        return results


def process(target: Target) -> tuple[Target, FileReport, tuple[Target, ...]]:
    """In a worker: ``cli.process_target`` with the run's options."""
    from .cli import process_target

    assert _run is not None, "called outside a worker"
    return process_target(target, *_run)


def _apply(function: Callable[[Item], Result], chunk: Sequence[Item]) -> list[Result]:
    return [function(item) for item in chunk]


def _start_worker(mode: str, settings: Settings, want_diff: bool, debug: bool, links_scope: Scope | None) -> None:
    global _run
    _run = (mode, replace(settings, package_overrides=MappingProxyType(settings.package_overrides)), want_diff, debug, links_scope)
    # Handlers inherited from the main process (fork) are for it alone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Without its main process a worker would wait for work forever: end it with SIGTERM, which
    waits until a file being replaced is complete."""
    if hasattr(signal, "pthread_sigmask"):  # so the main thread receives it, when it is not holding it back
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
