"""Parse many eligibility texts, optionally on several CPU cores.

`parse_many` keeps the input order. With ``workers > 1`` texts go in chunks to
forked worker processes, each with its own pipeline (built once, before the
fork, and shared copy-on-write); a text that cannot be parsed yields its
`CriteriaParseError` in place of criteria, so one bad text never stops the
others.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from nlp_models.parser import parse_texts
from nlp_models.pipeline import get_pipeline
from trialmatch.core.criteria import Criterion
from trialmatch.core.errors import CriteriaParseError

_T = TypeVar("_T")
Outcome = list[Criterion] | CriteriaParseError
# the criteria of a text as a JSON array (``Criterion.to_dict`` each), or its parse error
JsonOutcome = str | CriteriaParseError
# texts per spaCy pass when parsing in this process: the NER's cost per token
# stops falling at a few hundred criteria per batch, about 32 trials
_CHUNK = 32
# with workers, chunks are smaller near the end so no worker idles long; below
# 16 trials the NER batches get small enough to cost more per token
_MIN_CHUNK, _MAX_CHUNK = 16, 64
_CHUNKS_PER_WORKER = 6
# forking, shipping results back and warming each worker's caches cost about
# as much as parsing this many texts
_MIN_PARALLEL_TEXTS = 64
_MAX_WORKERS = 8


def default_workers() -> int:
    """Worker processes worth using here: one per CPU this process may run on (at most 8)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, _MAX_WORKERS))


def _parse_chunk(texts: Sequence[str]) -> list[Outcome]:
    return parse_texts(list(texts))


def _json_chunk(texts: Sequence[str]) -> list[JsonOutcome]:
    """Serialised where parsed: a worker's strings cross to the parent far faster than
    records, and the parent's one core is left free of the encoding."""
    return [
        outcome
        if isinstance(outcome, CriteriaParseError)
        else json.dumps([criterion.to_dict() for criterion in outcome], ensure_ascii=False)
        for outcome in parse_texts(list(texts))
    ]


def _chunks(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


def _chunk_size(count: int, workers: int) -> int:
    return max(_MIN_CHUNK, min(_MAX_CHUNK, math.ceil(count / (workers * _CHUNKS_PER_WORKER))))


def _here(work: Callable[[Sequence[str]], list[_T]], texts: Sequence[str]) -> list[_T]:
    return [outcome for chunk in _chunks(texts, _CHUNK) for outcome in work(chunk)]


class ParserPool:
    """Worker processes kept across `parse` calls, so their caches stay warm.

    Started on the first call that is worth parallelising; a small call (or
    ``workers <= 1``) parses in this process.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def parse(self, texts: Sequence[str]) -> list[Outcome]:
        """Criteria (or the parse error) of each text, in input order."""
        return self._map(_parse_chunk, texts)

    def parse_json(self, texts: Sequence[str]) -> list[JsonOutcome]:
        """Each text's criteria as a JSON array (or the parse error), in input order."""
        return self._map(_json_chunk, texts)

    def _map(self, work: Callable[[Sequence[str]], list[_T]], texts: Sequence[str]) -> list[_T]:
        if self.workers <= 1 or len(texts) < _MIN_PARALLEL_TEXTS:
            return _here(work, texts)
        if self._pool is None:
            get_pipeline()  # built before forking: workers share it copy-on-write
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        chunks = _chunks(texts, _chunk_size(len(texts), self.workers))
        try:
            return [outcome for chunk in self._pool.map(work, chunks) for outcome in chunk]
        except BrokenProcessPool:
            self.close()  # a worker died (killed for memory?): the next call starts afresh
            raise


def parse_many(texts: Sequence[str], *, workers: int = 1) -> list[Outcome]:
    """Criteria (or the parse error) of each text, in input order."""
    with ParserPool(workers) as pool:
        return pool.parse(texts)
