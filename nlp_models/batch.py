"""Parse many eligibility texts, optionally on several CPU cores.

`parse_many` keeps the input order. With ``workers > 1`` texts go in chunks to
forked worker processes, each with its own pipeline (built once per worker);
a text that cannot be parsed yields its `CriteriaParseError` in place of
criteria, so one bad text never stops the others.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from nlp_models.parser import parse_texts
from nlp_models.pipeline import get_pipeline
from nlp_models.records import Criterion
from trialmatch.errors import CriteriaParseError

Outcome = list[Criterion] | CriteriaParseError
_CHUNK = 32


def _parse_chunk(texts: Sequence[str]) -> list[Outcome]:
    return parse_texts(list(texts))


def _chunks(texts: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(texts), _CHUNK):
        yield texts[start : start + _CHUNK]


def parse_many(texts: Sequence[str], *, workers: int = 1) -> list[Outcome]:
    """Criteria (or the parse error) of each text, in input order."""
    if workers <= 1 or len(texts) <= _CHUNK:
        return [o for chunk in _chunks(texts) for o in _parse_chunk(chunk)]
    get_pipeline()  # built before forking: workers share it copy-on-write
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [outcome for chunk in pool.map(_parse_chunk, _chunks(texts)) for outcome in chunk]
