"""Keyed pseudonyms: HMAC-SHA-256 of a source id under the installation's secret.

A pseudonym derived from a source id (a FHIR ``Patient.id``, which exports
often fill with the medical record number) must not be recomputable by
someone who knows the id: a plain hash of a record number can be reversed by
hashing every record number. The secret is 32 random bytes kept in one file
per installation (setting ``secret_file``, by default ``trialmatch.secret``
beside the database), created with mode 0600 the first time a pseudonym is
needed and refused when others may read it. Losing the file changes every
derived pseudonym: the same patient imported again gets a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from trialmatch.core.errors import ConfigError

SECRET_BYTES = 32
PSEUDONYM_LETTERS = 16  # 26**16 is about 2**75: no collision among any plausible count
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


class PseudonymKey:
    """The installation's secret, read (or created) when the first pseudonym is derived."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._secret: bytes | None = None

    def pseudonym(self, prefix: str, source_id: str, *, kind: str = "patient") -> str:
        """*prefix* followed by letters only (a run of digits would look like a record number).

        *kind* separates the namespaces of different sources, so one id in two
        of them gives two pseudonyms.
        """
        if self._secret is None:
            self._secret = load_or_create_secret(self.path)
        message = f"{kind}\x00{source_id}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        number = int.from_bytes(digest, "big")
        letters = []
        for _ in range(PSEUDONYM_LETTERS):
            number, remainder = divmod(number, len(_ALPHABET))
            letters.append(_ALPHABET[remainder])
        return prefix + "".join(letters)


def load_or_create_secret(path: Path) -> bytes:
    """The secret stored at *path*, created there (mode 0600) when there is none."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    _create_secret(path)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    with path.open("rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"secret file {path} may be read by others (mode {stat.S_IMODE(mode):o}); "
                "make it 0600"
            )
        text = handle.read().decode("ascii", errors="replace").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != SECRET_BYTES:
        raise ConfigError(f"secret file {path} does not hold {SECRET_BYTES} bytes in hex")
    return secret


def _create_secret(path: Path) -> None:
    """Write the secret under a temporary name, then link it into place: a concurrent
    first use either wins the link or reads the winner's file, never a half-written one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot create secret file {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(secrets.token_hex(SECRET_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
        except OSError as exc:
            raise ConfigError(f"cannot create secret file {path}: {exc.strerror}") from exc
    finally:
        temporary.unlink(missing_ok=True)
