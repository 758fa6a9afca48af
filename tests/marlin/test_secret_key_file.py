"""``manage.py`` works in a checkout after ``make run`` without exporting ``SECRET_KEY``: the key
comes from the environment, or else from the key file ``make run`` writes; with neither, settings
refuse to load and say how to give one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        and not key.startswith("MARLIN_")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_manage_py_reads_the_key_file_in_the_data_directory_when_no_secret_key_is_set(tmp_path) -> None:
    (tmp_path / "secret_key").write_text("a-key-make-run-wrote-once\n")

    help_ = manage("--help", MARLIN_DATA_DIR=str(tmp_path))
    check = manage("check", MARLIN_DATA_DIR=str(tmp_path))

    assert help_.returncode == 0, help_.stderr
    assert check.returncode == 0, check.stderr


def test_manage_py_reads_the_key_file_marlin_secret_key_file_names(tmp_path) -> None:
    key_file = tmp_path / "elsewhere" / "key"
    key_file.parent.mkdir()
    key_file.write_text("another-key\n")

    result = manage("check", MARLIN_DATA_DIR=str(tmp_path), MARLIN_SECRET_KEY_FILE=str(key_file))

    assert result.returncode == 0, result.stderr


def test_manage_py_refuses_to_start_without_a_key_or_a_key_file_and_names_both(tmp_path) -> None:
    result = manage("check", MARLIN_DATA_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "MARLIN_SECRET_KEY_FILE" in result.stderr
    assert str(tmp_path / "secret_key") in result.stderr


def test_an_empty_key_file_is_no_key(tmp_path) -> None:
    (tmp_path / "secret_key").write_text("\n")

    result = manage("check", MARLIN_DATA_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "MARLIN_SECRET_KEY_FILE" in result.stderr
