"""Run the arrangements of one comparison in a pool of worker processes.

Each arrangement (mesh, electrostatics, eddy currents) is independent, so on a machine
with two or more cores they run side by side. Processes, not threads: gmsh keeps global
state per process and scikit-fem's assembly holds the GIL. Every worker initializes and
finalizes gmsh itself for each mesh (see :func:`femstack.geometries.mesher.mesh_layout`).

Workers are forked where the platform offers the "fork" start method (Linux, macOS),
and spawned elsewhere. Forking needs no ``if __name__ == "__main__"`` guard in the
caller's script and no second import of femstack. gmsh is never open in the parent while
the pool starts, because :func:`mesh_layout` finalizes it after each mesh. Each worker may use ``cores // workers`` BLAS threads, and only the
solvers that gain from threads use them (:func:`femstack.solvers.linear.set_thread_budget`),
so the pool never runs more threads than cores.

Progress messages travel back through a queue and reach the caller's callback in the
parent process. Each finished arrangement is handed to ``on_result`` as soon as it
arrives. When one arrangement fails, the others still run to the end and are handed
over before the first error is raised, so no finished work is lost.
"""

from __future__ import annotations

import concurrent.futures as futures
import logging
import multiprocessing
import os
import queue as queue_module
from typing import Callable

from femstack.errors import SolverError

logger = logging.getLogger(__name__)

_progress_queue = None


def default_workers(count: int) -> int:
    """Return the default pool size: one worker per arrangement, at most one per core."""
    return max(1, min(count, os.cpu_count() or 1))


def _init_worker(progress_queue, threads: int, log_level: int) -> None:
    global _progress_queue
    _progress_queue = progress_queue
    logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("skfem").setLevel(logging.WARNING)
    from femstack.solvers.linear import set_thread_budget

    set_thread_budget(threads)


def _send_progress(message: str) -> None:
    if _progress_queue is not None:
        _progress_queue.put(message)


def _run_one(design, pattern: str):
    from femstack.pipeline import run_arrangement

    return run_arrangement(design, pattern, progress=_send_progress)


def run_arrangements(
    design,
    patterns: list[str],
    workers: int,
    *,
    progress: Callable[[str], None] | None = None,
    on_result: Callable[[object], None] | None = None,
) -> list:
    """Run ``patterns`` in ``workers`` processes; return the results in pattern order.

    Raises the first arrangement's error after every other arrangement has finished and
    been handed to ``on_result``. A worker that dies
    (killed, out of memory) raises :class:`SolverError` naming the pattern.
    """
    # NOTE: forking a process that has started threads (a Jupyter kernel has) is legal on
    # Linux, but a lock held by another thread at that moment stays locked in the child.
    # No such deadlock showed up in the tests, which is not proof that none can occur.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    messages = context.Queue()
    threads = max(1, (os.cpu_count() or 1) // workers)
    results: dict[str, object] = {}
    errors: list[BaseException] = []
    level = logging.getLogger("femstack").getEffectiveLevel()
    logger.info("running %d arrangements in %d processes, %d BLAS threads each", len(patterns), workers, threads)
    with futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(messages, threads, level)
    ) as pool:
        pending = {pool.submit(_run_one, design, pattern): pattern for pattern in patterns}
        try:
            while pending:
                done, _ = futures.wait(pending, timeout=0.2, return_when=futures.FIRST_COMPLETED)
                _drain(messages, progress)
                for future in done:
                    pattern = pending.pop(future)
                    _collect(future, pattern, results, errors, on_result)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    _drain(messages, progress)
    if errors:
        raise errors[0]
    return [results[p] for p in patterns]


def _collect(future, pattern: str, results: dict, errors: list, on_result) -> None:
    try:
        result = future.result()
    except futures.process.BrokenProcessPool as error:
        logger.error("arrangement %s: worker process died: %s", pattern, error)
        errors.append(
            SolverError(f"arrangement {pattern}: the worker process died ({error}); rerun with --jobs 1 to see why")
        )
        return
    except Exception as error:  # re-raised by run_arrangements once the others finish
        logger.error("arrangement %s failed: %s", pattern, error)
        errors.append(error)
        return
    results[pattern] = result
    if on_result is not None:
        on_result(result)


def _drain(messages, progress) -> None:
    while True:
        try:
            message = messages.get_nowait()
        except queue_module.Empty:
            return
        if progress is not None:
            progress(message)
