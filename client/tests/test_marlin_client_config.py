"""The config file: where it lives, that only its owner can read it, and that a token is only
ever sent to the server that issued it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from marlin_client.config import Config, config_path, load_config, save_config
from marlin_client.errors import MarlinError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_file_is_written_0600_in_a_0700_directory(config_dir: Path) -> None:
    old_umask = os.umask(0)  # the loosest umask there is: the modes must not depend on it
    try:
        path = save_config(Config(url="http://marlin.test", token="secret", username="alice"))
    finally:
        os.umask(old_umask)

    assert path == config_dir / "config.json"
    assert mode(path) == 0o600
    assert mode(config_dir) == 0o700
    assert load_config() == Config(url="http://marlin.test", token="secret", username="alice")


def test_rewriting_keeps_the_mode_and_leaves_no_temporary_file(config_dir: Path) -> None:
    save_config(Config(url="http://marlin.test", token="one"))
    save_config(Config(url="http://marlin.test", token=None))

    assert [p.name for p in config_dir.iterdir()] == ["config.json"]
    assert mode(config_dir / "config.json") == 0o600
    assert load_config().token is None


def test_marlin_config_dir_wins_else_xdg_config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARLIN_CONFIG_DIR", str(tmp_path / "mine"))
    assert config_path() == tmp_path / "mine" / "config.json"

    monkeypatch.delenv("MARLIN_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "marlin" / "config.json"


def test_no_file_is_no_sign_in() -> None:
    assert load_config() == Config()


def test_a_file_this_client_did_not_write_is_an_error_not_a_crash(config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "config.json").write_text("[1, 2")

    with pytest.raises(MarlinError, match="cannot read"):
        load_config()


def test_the_token_is_only_for_the_server_that_issued_it() -> None:
    config = Config(url="http://marlin.test:8000", token="secret")

    assert config.token_for("http://marlin.test:8000/") == "secret"
    assert config.token_for("http://marlin.test:8000/api/v1") == "secret"
    assert config.token_for("http://elsewhere.test:8000") is None
    assert Config(token="secret").token_for("http://marlin.test:8000") is None
