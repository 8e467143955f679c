"""Settings: defaults < config file < environment (``TRIALMATCH_*``) < flags.

The config file is TOML, read from ``$TRIALMATCH_CONFIG`` or
``./trialmatch.toml``; its keys are the field names below. Environment
variables are the upper-cased names with the ``TRIALMATCH_`` prefix
(``TRIALMATCH_DB``, ``TRIALMATCH_REQUEST_DELAY``). Command-line flags are
applied last with :func:`Settings.with_overrides`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from trialmatch.core import __version__
from trialmatch.core.errors import ConfigError

CTGOV_PUBLIC_API = "https://clinicaltrials.gov/api/v2"
CTIS_PUBLIC_API = "https://euclinicaltrials.eu/ctis-public-api"
EUCTR_PUBLIC_SITE = "https://www.clinicaltrialsregister.eu"
ISRCTN_PUBLIC_SITE = "https://www.isrctn.com"


@dataclass(frozen=True)
class Settings:
    db: Path = Path("var/trialmatch.db")
    out_dir: Path = Path("var/referrals")
    ctgov_base_url: str = CTGOV_PUBLIC_API
    ctis_base_url: str = CTIS_PUBLIC_API
    euctr_base_url: str = EUCTR_PUBLIC_SITE
    isrctn_base_url: str = ISRCTN_PUBLIC_SITE
    # The registries `nightly` crawls, each as its own step (TOML: registries = ["ctgov", "ctis"];
    # environment: TRIALMATCH_REGISTRIES=ctgov,ctis).
    registries: tuple[str, ...] = ("ctgov",)
    page_size: int = 1000
    contact: str = "set TRIALMATCH_CONTACT to an e-mail address"
    request_delay: float = 1.0
    request_timeout: float = 30.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    obey_robots: bool = True
    schedule_cron: str = "0 2 * * *"
    schedule_timezone: str = ""
    misfire_grace_seconds: int = 3600
    # the key of derived pseudonyms (`trialmatch.core.pseudonyms`) and of the review page's
    # cookies; None: beside the database
    secret_file: Path | None = None
    # the review page (`trialmatch serve`): a session unused this long ends; failed logins
    # allowed per account and per address within 15 minutes
    session_idle_minutes: int = 30
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20

    @property
    def secret_path(self) -> Path:
        """Where the installation's pseudonym secret lives."""
        return self.secret_file or self.db.with_name("trialmatch.secret")

    @property
    def user_agent(self) -> str:
        return f"trialmatch/{__version__} (clinical trial referral crawler; {self.contact})"

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with every non-None value of *overrides* applied."""
        chosen = {key: value for key, value in overrides.items() if value is not None}
        return dataclasses.replace(self, **_coerce_all(chosen))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the config file, then the environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_path = Path(environ.get("TRIALMATCH_CONFIG", "trialmatch.toml"))
    if config_path.is_file():
        values.update(_read_config_file(config_path))
    for field in fields(Settings):
        env_name = f"TRIALMATCH_{field.name.upper()}"
        if env_name in environ:
            values[field.name] = environ[env_name]
    return Settings(**_coerce_all(values))


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    known = {field.name for field in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {', '.join(unknown)}")
    return data


def _coerce_all(values: Mapping[str, Any]) -> dict[str, Any]:
    types = {field.name: field.type for field in fields(Settings)}
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise ConfigError(f"unknown settings {', '.join(unknown)}")
    return {name: _coerce(name, str(types[name]), value) for name, value in values.items()}


def _coerce(name: str, type_name: str, value: Any) -> Any:
    try:
        if type_name in ("Path", "Path | None"):
            return Path(value)
        if type_name == "int":
            return int(value)
        if type_name == "float":
            return float(value)
        if type_name == "bool":
            return _parse_bool(value)
        if type_name == "tuple[str, ...]":
            return _parse_names(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: expected {type_name}, got {value!r}") from exc


def _parse_names(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(value)
    names = tuple(item.strip() for item in items if item.strip())
    if not names:
        raise ValueError(value)
    return names


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)
