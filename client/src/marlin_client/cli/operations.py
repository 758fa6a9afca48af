"""Ops' and finance's commands: queues, import, export, report."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from marlin_client.cli import render
from marlin_client.cli.context import context_of, reports_failures
from marlin_client.errors import MarlinError, flatten_messages

STATES = ("open", "claimed", "in_review", "changes_requested", "approved", "rejected")


@reports_failures
def queues(ctx: typer.Context) -> None:
    """Per project: tasks by state, each review layer's assigned and waiting work, what is overdue;
    then every reviewer's load."""
    state = context_of(ctx)
    with state.client() as client:
        overview = client.queues()
    if state.json_output:
        state.emit_json(overview)
        return
    projects = Table(title=f"Queues at {overview.get('generated_at')}")
    projects.add_column("project")
    for name in STATES:
        projects.add_column(name.replace("_", " "), justify="right")
    projects.add_column("layers (assigned+waiting)")
    projects.add_column("overdue claims/reviews", justify="right")
    projects.add_column("approved 24 h", justify="right")
    for project in overview.get("projects", []):
        tasks = project.get("tasks") or {}
        layers = "  ".join(
            f"L{layer['layer']} {layer['assigned']}+{layer['unassigned']}"
            for layer in project.get("layers", [])
        )
        projects.add_row(
            f"{project['name']} ({project.get('status')})\n[dim]{project['id']}[/]",
            *(str((tasks.get(name) or {}).get("count", 0)) for name in STATES),
            layers,
            f"{project.get('overdue_claims', 0)}/{project.get('overdue_reviews', 0)}",
            str((project.get("throughput_24h") or {}).get("approved", 0)),
        )
    state.console.print(projects)
    reviewers = Table(title="Reviewers")
    for column in ("reviewer", "level", "pending/capacity", "last assigned"):
        reviewers.add_column(column)
    for person in overview.get("reviewers", []):
        reviewers.add_row(
            person["username"] + ("" if person.get("active", True) else " (inactive)"),
            str(person.get("reviewer_level")),
            f"{person.get('pending')}/{person.get('capacity')}",
            render.when(person.get("last_assigned_at")) or "never",
        )
    state.console.print(reviewers)


@reports_failures
def import_tasks(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="The project's id.")],
    tasks_file: Annotated[
        Path, typer.Argument(help="A CSV or JSONL file of tasks.", exists=True, dir_okay=False)
    ],
) -> None:
    """Import tasks from a CSV or JSONL file (idempotent by external_id). Exits 1 if any row failed."""
    state = context_of(ctx)
    size = tasks_file.stat().st_size
    with state.client() as client, _progress(state.errors, tasks_file.name, size) as advance:
        result = client.import_tasks(project, tasks_file, progress=advance)
    errors = result.get("errors") or []
    if state.json_output:
        state.emit_json(result)
    else:
        state.console.print(
            f"Imported {tasks_file.name}: [bold]{result.get('created')}[/] created, "
            f"{result.get('skipped')} skipped (already there), {len(errors)} rows refused.",
            highlight=False,
        )
        if errors:
            table = Table(title="Refused rows", caption="Nothing of these rows was imported.")
            table.add_column("row", justify="right")
            table.add_column("field")
            table.add_column("problem", overflow="fold")
            for row_error in errors:
                for field, message in flatten_messages(row_error.get("errors") or {}):
                    table.add_row(str(row_error.get("row")), field, message)
            state.console.print(table)
    if errors:
        raise typer.Exit(1)


@contextlib.contextmanager
def _progress(console: Any, name: str, size: int) -> Iterator[Callable[[int], None]]:
    columns = (
        TextColumn("uploading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        upload = progress.add_task(name, total=size)
        yield lambda sent: progress.update(upload, completed=sent)


@reports_failures
def export(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="The project's id.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="A file (default: stdout).")] = None,
) -> None:
    """Approved judgments of a project as JSON Lines, streamed."""
    state = context_of(ctx)
    with state.client() as client:
        _to_file_or_stdout(output, lambda sink: client.export_preferences(project, sink))


@reports_failures
def report(
    ctx: typer.Context,
    period: Annotated[str, typer.Argument(help="The pay period, an ISO week such as 2026-W48.")],
    csv: Annotated[bool, typer.Option("--csv", help="The report as CSV, streamed.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="A file (default: stdout).")] = None,
) -> None:
    """A pay period's payout report: one row per contributor and a total per currency."""
    state = context_of(ctx)
    with state.client() as client:
        if csv:
            _to_file_or_stdout(output, lambda sink: client.download_payout_report(period, sink))
            return
        data = client.payout_report(period)
    if state.json_output or output:
        text = json.dumps(data, indent=2) + "\n"
        if output:
            _to_file_or_stdout(output, lambda sink: sink.write(text.encode()))
        else:
            state.emit_json(data)
        return
    state.console.print(_report_table(data))


def _report_table(data: dict[str, Any]) -> Table:
    columns = ("contributor", "name", "email", "approved_tasks", "gross", "reversals", "net", "currency")
    table = Table(title=f"Payouts {data.get('period')}")
    for column in (*columns, "statement_status", "ytd_net"):
        numeric = column in ("approved_tasks", "gross", "reversals", "net", "ytd_net")
        table.add_column(column.replace("_", " "), justify="right" if numeric else "left")
    for row in data.get("rows", []):
        table.add_row(*(str(row.get(column, "")) for column in (*columns, "statement_status", "ytd_net")))
    for total in data.get("totals", []):
        table.add_row(
            "[bold]TOTAL[/]", "", "", *(str(total.get(c, "")) for c in columns[3:]), "", "", style="bold"
        )
    return table


def _to_file_or_stdout(output: Path | None, write: Callable[[IO[bytes]], object]) -> None:
    """Into ``output`` (whole or not at all: written beside it, then moved into place) or stdout."""
    if output is None:
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    directory = output.resolve().parent
    if not directory.is_dir():
        raise MarlinError(f"no directory {directory} for {output}")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as sink:
            write(sink)
        os.replace(temporary, output)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
