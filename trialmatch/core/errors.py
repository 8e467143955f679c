"""The one exception hierarchy of trialmatch.

::

    TrialmatchError
    ├── ConfigError                 a setting is missing or malformed
    ├── FetchError                  a request failed for good (after retries)
    │   └── RobotsDisallowed        robots.txt forbids the URL
    ├── SourceParseError            a registry record could not be read (registry, url)
    │   └── UnsupportedFormat       a retired or foreign record format (v1, legacy XML)
    ├── CriteriaParseError          eligibility text could not be parsed
    ├── ProfileError                a patient profile is invalid (field, where)
    │   └── IdentifierRefused       a profile carries a direct identifier
    ├── StorageError                the database refused an operation
    │   ├── TrialNotFound           (also LookupError)
    │   ├── UnknownRecordVersion    stored JSON of a version this code does not read
    │   └── DatabaseBusy            a writer held the database past the busy timeout
    ├── AccountError                a review-page account is unknown, taken or refused
    └── RunLocked                   another nightly run holds the lock

Third-party exceptions are translated at the border with ``raise … from exc``.
An exception raised while a patient is in hand is recorded by
`kind_and_place` (its class and the line that raised it), never by its
message, which may quote a fact of the patient.
"""

from __future__ import annotations

import traceback
from pathlib import Path


class TrialmatchError(Exception):
    """Base of every error trialmatch raises on purpose."""


class ConfigError(TrialmatchError):
    """A configuration value is missing or malformed."""


class FetchError(TrialmatchError):
    """A request failed for good, after the retries it was allowed."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class RobotsDisallowed(FetchError):
    """robots.txt forbids fetching the URL."""


class SourceParseError(TrialmatchError):
    """A registry page or record could not be turned into trials.

    ``url`` is where it came from (an address or a file), ``position`` where
    in it (``record 12``, ``line 340``), when a file holds many records.
    """

    def __init__(
        self, message: str, *, registry: str, url: str, excerpt: str = "", position: str = ""
    ) -> None:
        where = f"{url}, {position}" if position else url
        super().__init__(f"{registry}: {message} ({where})")
        self.registry = registry
        self.url = url
        self.excerpt = excerpt
        self.position = position
        self.reason = message


class UnsupportedFormat(SourceParseError):
    """A record in a format this source refuses (retired API v1, legacy XML)."""


class CriteriaParseError(TrialmatchError):
    """Eligibility text could not be parsed at all."""


class ProfileError(TrialmatchError):
    """A patient profile is invalid; names the field and where it was read."""

    def __init__(self, message: str, *, field: str | None = None, where: str = "") -> None:
        located = f"{where}: " if where else ""
        named = f"field '{field}': " if field else ""
        super().__init__(f"{located}{named}{message}")
        self.field = field
        self.where = where
        self.reason = message


class IdentifierRefused(ProfileError):
    """A profile carries a direct identifier and is refused whole."""


class StorageError(TrialmatchError):
    """The database refused an operation."""


class TrialNotFound(StorageError, LookupError):
    """No trial with the given id."""

    def __init__(self, trial_id: str) -> None:
        super().__init__(f"no trial {trial_id!r}")
        self.trial_id = trial_id


class UnknownRecordVersion(StorageError):
    """Stored JSON carries a version this code does not know how to read."""


class DatabaseBusy(StorageError):
    """Another process held the write lock for longer than the busy timeout."""


class AccountError(TrialmatchError):
    """An account of the review page is unknown, already taken, or its input refused."""


class RunLocked(TrialmatchError):
    """Another nightly run holds the lock."""


def kind_and_place(error: BaseException) -> str:
    """The exception's class and the code line that raised it: 'ValueError at rules.py:88 (_age)'.

    Its message is left out on purpose: it may quote a patient's data.
    """
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    frame = frames[-1]
    return f"{type(error).__name__} at {Path(frame.filename).name}:{frame.lineno} ({frame.name})"
