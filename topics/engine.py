"""Where the partitioned work of a run executes: this process (``local``) or a Dask cluster.

The stages that grow with the corpus — embedding, tokenizing, term counting and the
nearest-neighbour assignment — split their rows into partitions and hand them to
:meth:`Engine.map` as a top-level function plus the values every partition shares. ``local``
calls the function in a loop, or in ``engine.processes`` forked workers; ``dask`` runs one task
per partition on a ``distributed.LocalCluster`` started for the run (or the cluster at
``engine.address``), with the shared values scattered to the workers once. Partitions are the
same in both engines and every task is a pure function of its partition, so the two give the
same run (tested).

UMAP and HDBSCAN fit the core (``cluster.fit_sample`` documents at most) in this process in both
engines: they are neither partitionable nor large. The ``local`` engine never imports dask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from topics.config import EngineSection
from topics.errors import ConfigError
from topics.registry import engines
from topics.scratch import take_rows

PartitionT = TypeVar("PartitionT")
ResultT = TypeVar("ResultT")


class Engine(Protocol):
    """Runs one function over many partitions and returns the results in partition order."""

    #: The ``engine`` config section (``partition_size`` sets the stages' partitions).
    section: EngineSection
    #: Partitions worth submitting at once (1 = one at a time).
    parallelism: int
    #: Tasks run in this process (so a stage may hand them closures over live objects).
    in_process: bool

    def map(
        self,
        function: Callable[..., ResultT],
        partitions: Sequence[Any],
        shared: dict[str, Any] | None = None,
    ) -> list[ResultT]: ...

    def close(self) -> None: ...


def partition_bounds(n_rows: int, size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of consecutive partitions of at most ``size`` rows covering ``n_rows``."""
    return [(start, min(start + size, n_rows)) for start in range(0, n_rows, max(1, size))]


class RowPartitions(Sequence):
    """Row blocks of a matrix, each copied only when a task asks for it.

    ``RowPartitions(vectors, rows, bounds)[i]`` is ``vectors[rows[start:stop]]`` for the i-th
    ``(start, stop)``: a local engine holds one partition at a time instead of a copy of every
    row, and a Dask engine ships each partition as its task is submitted.
    """

    def __init__(self, matrix: Any, rows: Any, bounds: list[tuple[int, int]]) -> None:
        self.matrix, self.rows, self.bounds = matrix, rows, bounds

    def __len__(self) -> int:
        return len(self.bounds)

    def __getitem__(self, position: int) -> Any:  # type: ignore[override]
        start, stop = self.bounds[position]
        return take_rows(self.matrix, self.rows[start:stop])


@engines.register("local")
class LocalEngine:
    """Every partition on this machine without dask: in this process, or in forked workers.

    With ``engine.processes`` above 1 (``auto``: the CPUs this process may use) a map over two
    partitions or more forks that many workers for its length (:func:`fork_map`); otherwise
    the partitions run one after the other here. Tasks see this process's memory either way,
    so stages may hand them closures over live objects.
    """

    in_process = True

    def __init__(self, section: EngineSection) -> None:
        self.section = section

    @property
    def parallelism(self) -> int:
        return worker_processes(self.section)

    def map(
        self,
        function: Callable[..., ResultT],
        partitions: Sequence[Any],
        shared: dict[str, Any] | None = None,
    ) -> list[ResultT]:
        """``[function(partition, **shared) for partition in partitions]``, in order."""
        processes = min(self.parallelism, len(partitions))
        if processes > 1:
            return fork_map(function, partitions, shared or {}, processes)
        return [function(partition, **(shared or {})) for partition in partitions]

    def close(self) -> None:
        """Nothing to release (each map's workers end with it)."""


def worker_processes(section: EngineSection) -> int:
    """``engine.processes`` resolved: ``auto`` = the CPUs this process may run on; 1 where
    this platform cannot fork."""
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if section.processes != "auto":
        return int(section.processes)
    affinity = getattr(os, "sched_getaffinity", None)
    return max(1, len(affinity(0)) if affinity is not None else os.cpu_count() or 1)


#: The map in progress: forked workers find it here, in the memory they inherited.
_FORKED_TASK: tuple[Callable[..., Any], Sequence[Any], dict[str, Any]] | None = None


def _forked_task(position: int) -> Any:
    from threadpoolctl import threadpool_limits

    function, partitions, shared = _FORKED_TASK  # type: ignore[misc]
    # One BLAS/OpenMP thread per worker: the workers are the parallelism.
    with threadpool_limits(1):
        return function(partitions[position], **shared)


def fork_map(
    function: Callable[..., ResultT],
    partitions: Sequence[Any],
    shared: dict[str, Any],
    processes: int,
) -> list[ResultT]:
    """``function(partition, **shared)`` for every partition in ``processes`` forked workers.

    Nothing but partition numbers and results is pickled: the workers are forked after the
    map is set up, so they inherit the function, the shared values (an index over the core, an
    embedder) and the partitions (which copy their rows only inside the worker). Results come
    back in partition order; a task's error is raised here.
    """
    import multiprocessing

    global _FORKED_TASK
    _FORKED_TASK = (function, partitions, shared)
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return pool.map(_forked_task, range(len(partitions)), chunksize=1)
    finally:
        _FORKED_TASK = None


@engines.register("dask")
class DaskEngine:
    """One task per partition on a Dask cluster, connected on first use.

    Parameters
    ----------
    section:
        ``engine``: with ``address`` the cluster there is used (and left running); without, a
        ``LocalCluster`` of ``workers`` single-threaded processes is started and stopped with
        the engine.
    """

    in_process = False

    def __init__(self, section: EngineSection) -> None:
        self.section = section
        self._client: Any = None
        self._cluster: Any = None

    @property
    def parallelism(self) -> int:
        client = self._connect()
        return max(1, 2 * len(client.scheduler_info().get("workers", {})))

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        distributed = require_distributed()
        address = self.section.address
        try:
            if address is None:
                self._cluster = distributed.LocalCluster(
                    n_workers=self.section.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(address, timeout="20s")
        except OSError as error:  # refused connection, timeout, no free port
            self.close()
            if address is None:
                raise ConfigError(
                    f"The 'engine.workers' parameter asked for a LocalCluster of "
                    f"{self.section.workers} workers, which could not start: {error}."
                ) from None
            raise ConfigError(
                f"The 'engine.address' parameter must name a reachable Dask scheduler. Could "
                f"not connect to {address}: {error}."
            ) from None
        return self._client

    def map(
        self,
        function: Callable[..., ResultT],
        partitions: Sequence[Any],
        shared: dict[str, Any] | None = None,
    ) -> list[ResultT]:
        """One task per partition, at most ``parallelism`` in flight (so at most that many
        partitions are materialised at once); shared values travel to each worker once."""
        if not len(partitions):
            return []
        from distributed import as_completed

        client = self._connect()
        # Wrapped in a list: scatter() would send a list or tuple value item by item.
        scattered = {
            name: client.scatter([value], broadcast=True, hash=False)[0]
            for name, value in (shared or {}).items()
        }
        results: list[Any] = [None] * len(partitions)
        positions: dict[Any, int] = {}
        queue = iter(range(len(partitions)))
        running = as_completed()

        def submit_next() -> None:
            position = next(queue, None)
            if position is not None:
                future = client.submit(function, partitions[position], pure=False, **scattered)
                positions[future] = position
                running.add(future)

        for _ in range(self.parallelism):
            submit_next()
        for future in running:
            results[positions.pop(future)] = future.result()  # a task's error is raised here
            submit_next()
        return results

    def close(self) -> None:
        """Disconnect; stop the LocalCluster this engine started."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def require_distributed() -> Any:
    """The ``distributed`` module, or a one-line ConfigError naming the extra to install."""
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "The 'engine.kind' parameter 'dask' needs the 'dask' extra: pip install "
            "'topics[dask]' (or uv sync --extra dask). Got 'dask' instead."
        ) from None
    return distributed


def make_engine(section: EngineSection) -> Engine:
    """The engine ``section.kind`` names (nothing is started until its first ``map``)."""
    return engines.get(section.kind)(section)


@contextmanager
def open_engine(section: EngineSection) -> Iterator[Engine]:
    """An engine for the length of a block; a cluster it started is stopped afterwards."""
    engine = make_engine(section)
    try:
        yield engine
    finally:
        engine.close()


LOCAL = LocalEngine(EngineSection())
"""A shared local engine for callers that were given none (tests, benchmarks, the sweep)."""
