"""Wall time and peak memory of `femstack compare` on the reference design.

Runs the command-line job in a fresh process each time (imports and gmsh start-up are
counted, as a user sees them). With ``--baseline DIR`` it alternates between this
checkout and the femstack package found in DIR (an older checkout), so that a busy
machine slows both alike. With ``--jobs`` it alternates between worker counts. Peak
memory is the largest sum of the resident set sizes of the command and all its child
processes, sampled every 20 ms from /proc (Linux only).

    python benchmarks/compare_timing.py --repeat 5
    python benchmarks/compare_timing.py --repeat 5 --baseline /tmp/femstack-before --jobs 1 2

Prints a Markdown table of medians, min and max.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import femstack


def _descendants(pid: int) -> list[int]:
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def _rss_mib(pid: int) -> float:
    total = 0
    for process in _descendants(pid):
        try:
            with open(f"/proc/{process}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def run_once(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, float]:
    """Return (wall time in s, CPU time in s, peak total RSS in MiB) of one run of ``command``.

    The CPU time sums the command and its worker processes (user + system).
    """
    peak = [0.0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {process.returncode}: {stderr.decode()[-2000:]}")
    return elapsed, cpu, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="folder that contains an older femstack package")
    parser.add_argument("--jobs", type=int, nargs="*", default=[0], help="worker counts to alternate (0: default)")
    args = parser.parse_args()

    variants = []
    checkout = str(Path(__file__).resolve().parents[1])
    for jobs in args.jobs:
        extra = ["--jobs", str(jobs)] if jobs else []
        variants.append((f"this checkout, --jobs {jobs or 'default'}", checkout, extra))
    if args.baseline is not None:
        variants.append((f"baseline {args.baseline}", str(args.baseline.resolve()), []))

    times: dict[str, list[float]] = {label: [] for label, _, _ in variants}
    memory: dict[str, list[float]] = {label: [] for label, _, _ in variants}
    cpu_times: dict[str, list[float]] = {label: [] for label, _, _ in variants}
    for repetition in range(args.repeat):
        for label, path, extra in variants:
            # `python -m` puts the working folder first on sys.path, so it must be the
            # checkout under test, or another femstack would be imported.
            env = dict(os.environ, PYTHONPATH=path)
            elapsed, cpu, peak = run_once([sys.executable, "-m", "femstack.cli", "compare", *extra], env, path)
            times[label].append(elapsed)
            cpu_times[label].append(cpu)
            memory[label].append(peak)
            print(
                f"# {repetition + 1}/{args.repeat} {label}: {elapsed:.2f} s wall, {cpu:.2f} s CPU, {peak:.0f} MiB",
                file=sys.stderr,
            )

    print(
        f"`python benchmarks/compare_timing.py {' '.join(sys.argv[1:])}` on {datetime.date.today()}: "
        f"femstack {femstack.__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}.\n"
    )
    print("| variant | wall median (s) | min (s) | max (s) | CPU median (s) | peak RSS median (MiB) | max (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for label in times:
        t, c, m = times[label], cpu_times[label], memory[label]
        print(
            f"| {label} | {statistics.median(t):.2f} | {min(t):.2f} | {max(t):.2f} | {statistics.median(c):.2f} "
            f"| {statistics.median(m):.0f} | {max(m):.0f} |"
        )


if __name__ == "__main__":
    main()
