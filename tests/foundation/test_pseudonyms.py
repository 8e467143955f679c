"""The installation's secret and the keyed pseudonyms derived with it."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from trialmatch.core.errors import ConfigError
from trialmatch.core.pseudonyms import PseudonymKey, load_or_create_secret
from trialmatch.core.settings import Settings, load_settings


def test_the_secret_is_created_on_first_use_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "trialmatch.secret"
    key = PseudonymKey(path)
    assert not path.exists()  # nothing is created until a pseudonym is derived
    first = key.pseudonym("FHIR-", "12345678")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    assert PseudonymKey(path).pseudonym("FHIR-", "12345678") == first
    assert [name.name for name in path.parent.iterdir()] == ["trialmatch.secret"]


def test_pseudonyms_depend_on_the_secret_the_id_and_the_source(tmp_path: Path) -> None:
    key = PseudonymKey(tmp_path / "one.secret")
    other = PseudonymKey(tmp_path / "two.secret")
    one = key.pseudonym("FHIR-", "12345678")
    assert one.startswith("FHIR-") and one[5:].isalpha() and len(one) == 21
    assert one != other.pseudonym("FHIR-", "12345678")
    assert one != key.pseudonym("FHIR-", "12345679")
    assert one != key.pseudonym("FHIR-", "12345678", kind="csv")


def test_a_secret_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trialmatch.secret"
    load_or_create_secret(path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="may be read by others"):
        load_or_create_secret(path)


def test_a_malformed_secret_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "trialmatch.secret"
    path.write_text("not hex\n")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError, match="does not hold 32 bytes"):
        PseudonymKey(path).pseudonym("FHIR-", "x")
    assert path.read_text() == "not hex\n"


def test_concurrent_first_uses_agree_on_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "trialmatch.secret"
    found: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: found.append(load_or_create_secret(path))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len(set(found)) == 1


def test_the_secret_lives_beside_the_database_unless_set() -> None:
    assert Settings().secret_path == Path("var/trialmatch.secret")
    assert Settings(db=Path("/data/x.db")).secret_path == Path("/data/trialmatch.secret")
    settings = load_settings(
        {"TRIALMATCH_CONFIG": "/nonexistent", "TRIALMATCH_SECRET_FILE": "/keys/tm.secret"}
    )
    assert settings.secret_path == Path("/keys/tm.secret")
    flagged = settings.with_overrides({"secret_file": "/other/tm.secret"})
    assert flagged.secret_path == Path("/other/tm.secret")
