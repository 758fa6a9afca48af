"""Where the client keeps the server it signed in to and its token.

One JSON file, ``config.json``, in ``$MARLIN_CONFIG_DIR`` if set, else the user's config
directory (``$XDG_CONFIG_HOME/marlin``, by default ``~/.config/marlin`` on Linux). The token is a
secret: the file is written with mode 0600 (never readable by others, not even for a moment: it is
created with that mode, then moved into place) and a directory this creates has mode 0700.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

from marlin_client.errors import MarlinError

DEFAULT_URL = "http://127.0.0.1:8000"
FILE_NAME = "config.json"


@dataclass(frozen=True)
class Config:
    url: str | None = None
    token: str | None = None
    username: str | None = None
    expires_at: str | None = None

    def token_for(self, url: str) -> str | None:
        """The token, only for the server it was issued by: a token is never sent elsewhere."""
        if self.token and self.url and same_server(self.url, url):
            return self.token
        return None


def config_dir() -> Path:
    override = os.environ.get("MARLIN_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("marlin", appauthor=False))


def config_path() -> Path:
    return config_dir() / FILE_NAME


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, ValueError) as error:
        raise ConfigUnreadable(f"cannot read {path}: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigUnreadable(f"cannot read {path}: not a JSON object")
    known = {name: raw.get(name) for name in Config.__dataclass_fields__}
    return Config(**{name: value for name, value in known.items() if isinstance(value, str)})


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write the file atomically with mode 0600 (created so, whatever the umask)."""
    path = path or config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".config-", suffix=".json", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)  # mkstemp already uses 0600; say it rather than rely on it
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({k: v for k, v in asdict(config).items() if v is not None}, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path


def same_server(first: str, second: str) -> bool:
    return normalize_url(first) == normalize_url(second)


def normalize_url(url: str) -> str:
    """The server's root: no trailing slash and no ``/api/v1`` (both spellings name one server)."""
    url = url.strip().rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url


class ConfigUnreadable(MarlinError):
    """The config file exists but is not what this client wrote."""
