"""Signing in and out: ``marlin login``, ``marlin logout``, ``marlin whoami``."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Annotated

import typer

from marlin_client.cli.context import context_of, reports_failures
from marlin_client.config import config_path, save_config
from marlin_client.errors import ApiError, MarlinError


@reports_failures
def login(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Option("--username", "-u", help="Asked for when left out.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (scripts).")
    ] = False,
) -> None:
    """Sign in: exchange a username and password for a token, kept in the config file (mode 0600)."""
    state = context_of(ctx)
    username = username or typer.prompt("Username")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True)
    if not password:
        raise MarlinError("no password given")
    with state.client(signed_in=False) as client:
        answer = client.sign_in(username, password)
    config = replace(
        state.config,
        url=state.url,
        token=answer["token"],
        username=username,
        expires_at=answer.get("expires_at"),
    )
    path = save_config(config)
    if state.json_output:
        state.emit_json({"url": state.url, "username": username, "expires_at": answer.get("expires_at")})
        return
    state.console.print(
        f"Signed in to {state.url} as [bold]{username}[/] until {answer.get('expires_at')}; "
        f"token kept in {path}",
        highlight=False,
    )


@reports_failures
def logout(ctx: typer.Context) -> None:
    """Revoke the token on the server and forget it here."""
    state = context_of(ctx)
    if not state.config.token_for(state.url):
        state.console.print(f"Not signed in to {state.url}.", highlight=False)
        return
    with state.client() as client:
        try:
            client.sign_out()
        except ApiError as error:
            if error.status != 401:  # 401: the token was already revoked or expired; forget it all the same
                raise
    save_config(replace(state.config, token=None, expires_at=None))
    state.console.print(f"Signed out of {state.url}; the token is revoked and forgotten.", highlight=False)


@reports_failures
def whoami(ctx: typer.Context) -> None:
    """Who the stored token signs in as: roles, reviewer level, skills."""
    state = context_of(ctx)
    with state.client() as client:
        me = client.me()
    if state.json_output:
        state.emit_json(me)
        return
    roles = ", ".join(me.get("roles") or []) or "no role"
    state.console.print(f"[bold]{me.get('username')}[/] on {state.url}: {roles}", highlight=False)
    if "reviewer" in (me.get("roles") or []):
        state.console.print(f"reviewer level {me['reviewer_level']}, capacity {me.get('capacity')}")
    if me.get("skills"):
        state.console.print("skills: " + ", ".join(me["skills"]))
    state.console.print(f"[dim]config: {config_path()}[/]", highlight=False)
