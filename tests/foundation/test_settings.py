from __future__ import annotations

from pathlib import Path

import pytest

from trialmatch.core.errors import ConfigError
from trialmatch.core.settings import Settings, load_settings


def test_defaults_are_polite() -> None:
    settings = Settings()
    assert settings.request_delay >= 1.0
    assert settings.obey_robots
    assert "trialmatch/" in settings.user_agent


def test_file_then_environment_then_flags_in_that_order(tmp_path: Path) -> None:
    config = tmp_path / "trialmatch.toml"
    config.write_text('db = "from-file.db"\nrequest_delay = 2.5\npage_size = 50\n')
    environ = {"TRIALMATCH_CONFIG": str(config), "TRIALMATCH_REQUEST_DELAY": "0.5"}

    settings = load_settings(environ)
    assert settings.db == Path("from-file.db")
    assert settings.request_delay == 0.5
    assert settings.page_size == 50

    flagged = settings.with_overrides({"db": Path("flag.db"), "page_size": None})
    assert flagged.db == Path("flag.db")
    assert flagged.page_size == 50


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ("no_such_setting = 1\n", "unknown settings no_such_setting"),
        ("page_size = 'many'\n", "setting page_size: expected int"),
        ("db = [\n", "cannot read config file"),
    ],
    ids=["unknown-key", "wrong-type", "broken-toml"],
)
def test_bad_config_file_names_the_problem(tmp_path: Path, contents: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(contents)
    with pytest.raises(ConfigError, match=message):
        load_settings({"TRIALMATCH_CONFIG": str(config)})


def test_bad_boolean_in_environment() -> None:
    with pytest.raises(ConfigError, match="obey_robots"):
        load_settings({"TRIALMATCH_CONFIG": "/nonexistent", "TRIALMATCH_OBEY_ROBOTS": "perhaps"})
