"""JSON through orjson, the one definition of canonical JSON, and content hashes.

A list page of 1,000 studies is about 30 MB; decoding it and re-encoding
each study in canonical form (sorted keys, compact, UTF-8) for its content
hash were most of a crawl's time. orjson does both several times faster and,
for JSON-decoded data, writes the very bytes ``json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` writes (a test checks this on
every bundled record).

Every content hash of the project (a trial's registry record, a criteria
document, a patient profile) is `content_hash`: SHA-256 of the canonical
bytes. Two documents equal as JSON have the same hash, whatever their key
order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """Decode JSON; raises `json.JSONDecodeError` (orjson's error subclasses it)."""
    return orjson.loads(data)


def canonical_dumps(document: Any) -> str:
    """Sorted keys, no spaces, non-ASCII as is: the form content hashes are taken of."""
    return canonical_bytes(document).decode("utf-8")


def canonical_bytes(document: Any) -> bytes:
    """`canonical_dumps` as UTF-8 bytes: what is hashed and stored, with no str in between."""
    try:
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # e.g. an integer beyond 64 bits: the standard library copes
        pass
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def dumps(document: Any) -> str:
    """Compact JSON with non-ASCII as is (so FTS5 sees words, not ``\\u`` escapes)."""
    try:
        return orjson.dumps(document).decode("utf-8")
    except TypeError:
        pass
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def digest(data: bytes | str) -> str:
    """SHA-256 of *data* (text as UTF-8), in hex."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def content_hash(document: Any) -> str:
    """The hash of a JSON document: `digest` of its canonical bytes."""
    return digest(canonical_bytes(document))


def digest_of_files(folders: Iterable[Path], suffixes: Iterable[str]) -> str:
    """SHA-256 over every file with one of *suffixes* below *folders*, names and contents.

    What a derived version is made of: change any such file and the digest changes.
    """
    wanted = frozenset(suffixes)
    hashed = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and (path.suffix in wanted or ("" in wanted and not path.suffix)):
                hashed.update(path.relative_to(folder.parent).as_posix().encode())
                hashed.update(path.read_bytes())
    return hashed.hexdigest()
