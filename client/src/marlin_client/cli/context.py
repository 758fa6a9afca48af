"""What every command of the terminal client shares: the server, the token, the consoles, and
how a failure becomes a message and an exit status."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import httpx
import typer
from rich.console import Console

from marlin_client.cli import render
from marlin_client.client import MarlinClient
from marlin_client.config import DEFAULT_URL, Config, load_config, normalize_url
from marlin_client.errors import MarlinError, NotSignedIn

# Tests hand the client a fake network here (``httpx.MockTransport``); None: the real one.
TRANSPORT: httpx.BaseTransport | None = None

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class CliContext:
    url: str
    json_output: bool
    config: Config
    console: Console = field(default_factory=Console)
    errors: Console = field(default_factory=lambda: Console(stderr=True))

    @classmethod
    def create(cls, *, url: str | None, json_output: bool) -> CliContext:
        config = load_config()
        return cls(
            url=normalize_url(url or config.url or DEFAULT_URL), json_output=json_output, config=config
        )

    def client(self, *, signed_in: bool = True) -> MarlinClient:
        token = self.config.token_for(self.url)
        if signed_in and not token:
            raise NotSignedIn(f"not signed in to {self.url}: run `marlin login` first")
        return MarlinClient(self.url, token, transport=TRANSPORT)

    def emit_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def context_of(ctx: typer.Context) -> CliContext:
    state = ctx.find_root().obj
    if not isinstance(state, CliContext):
        raise RuntimeError("the marlin callback did not run")
    return state


def reports_failures(command: Callable[P, R]) -> Callable[P, R]:
    """A refused or failed command prints what went wrong to stderr and exits with status 1."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MarlinError as failure:
            render.error(Console(stderr=True), failure)
            raise typer.Exit(1) from failure

    return run
