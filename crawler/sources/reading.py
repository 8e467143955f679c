"""A source's ``parse`` made from its streaming ``read_records``.

``read_records`` yields each record's `Trial`, or the `SourceParseError` of a
record it could not read, and goes on; ``parse`` reads one page whole and
raises at the first such error.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from trialmatch.core.errors import SourceParseError
from trialmatch.core.trial import Trial

RecordReader = Callable[[BinaryIO, str], Iterator[Trial | SourceParseError]]


def parse_with(read_records: RecordReader, page: bytes, url: str) -> Iterator[Trial]:
    for outcome in read_records(io.BytesIO(page), url):
        if isinstance(outcome, SourceParseError):
            raise outcome
        yield outcome
