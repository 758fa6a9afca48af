"""A contributor's commands: claim, show, template, submit, feedback, appeal, payouts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from marlin_client.cli import render
from marlin_client.cli.context import context_of, reports_failures
from marlin_client.judgment import JudgmentInvalid, judgment_problems, load_judgment, template

TaskArgument = Annotated[str, typer.Argument(help="The task's id.")]


@reports_failures
def claim(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option(help="Only claim from this project (its id).")] = None,
) -> None:
    """Claim the next open task (highest priority, then oldest)."""
    state = context_of(ctx)
    with state.client() as client:
        task = client.claim(project)
    if state.json_output:
        state.emit_json(task)
        return
    if task is None:
        state.console.print("Nothing open to claim right now.")
        return
    state.console.print(render.task_header(task))
    state.console.print(f"Next: [bold]marlin show {task['id']}[/]", highlight=False)


@reports_failures
def show(ctx: typer.Context, task_id: TaskArgument) -> None:
    """The task: prompt, context, both answers side by side, the project's criteria."""
    state = context_of(ctx)
    with state.client() as client:
        task = client.task(task_id)
        project = client.project(task["project"])
    if state.json_output:
        state.emit_json({"task": task, "project": project})
        return
    console = state.console
    console.print(render.task_header(task, project))
    for part in render.prompt_and_context(task):
        console.print(part)
    console.print(render.answers_side_by_side(task))
    console.print("Criteria (score A and B from 1 to 5): " + ", ".join(project.get("criteria") or []))
    if task.get("current_submission"):
        console.print(render.submission(task["current_submission"], title="Your current submission"))
    console.print(
        f"Write your judgment: [bold]marlin template {task_id} > judgment.yaml[/], then "
        f"[bold]marlin submit {task_id} judgment.yaml[/]",
        highlight=False,
    )


@reports_failures
def template_command(ctx: typer.Context, task_id: TaskArgument) -> None:
    """Print a judgment file to fill in, with the task's project's criteria."""
    state = context_of(ctx)
    with state.client() as client:
        project = client.project(client.task(task_id)["project"])
    typer.echo(template(project.get("criteria") or []), nl=False)


@reports_failures
def submit(
    ctx: typer.Context,
    task_id: TaskArgument,
    judgment_file: Annotated[Path, typer.Argument(help="The judgment, as YAML.", dir_okay=False)],
    check: Annotated[bool, typer.Option("--check", help="Only check the file; send nothing.")] = False,
) -> None:
    """Submit (or revise) a judgment, checked first against the project's criteria."""
    state = context_of(ctx)
    judgment = load_judgment(judgment_file)
    with state.client() as client:
        project = client.project(client.task(task_id)["project"])
        problems = judgment_problems(judgment, project.get("criteria") or [])
        if problems:
            raise JudgmentInvalid(str(judgment_file), problems)
        if check:
            state.console.print(f"{judgment_file} is a valid judgment for this task's project.")
            return
        submission = client.submit(task_id, judgment)
    if state.json_output:
        state.emit_json(submission)
        return
    state.console.print(
        f"Submitted version {submission.get('version')} of task {task_id}: it is in review.", highlight=False
    )


@reports_failures
def feedback(ctx: typer.Context, task_id: TaskArgument) -> None:
    """Your reviewers' decisions on a task: layer, decision, reasons, feedback."""
    state = context_of(ctx)
    with state.client() as client:
        task = client.task(task_id)
    rounds = task.get("rounds")
    if state.json_output:
        state.emit_json({"task": task_id, "status": task.get("status"), "rounds": rounds})
        return
    state.console.print(render.task_header(task))
    if rounds is None:
        state.console.print("Rounds are shown to the task's contributor and ops only.")
    elif not rounds:
        state.console.print("No review decided yet.")
    else:
        state.console.print(render.rounds(rounds))


MIN_APPEAL_REASON = 50  # the server's rule, checked here so a short reason sends nothing


@reports_failures
def appeal(
    ctx: typer.Context,
    task_id: TaskArgument,
    reason: Annotated[str, typer.Option(help="Why the rejection was wrong: at least 50 characters.")],
) -> None:
    """Appeal your task's rejection, once, within the project's window: a top-layer reviewer who
    has not reviewed it decides."""
    state = context_of(ctx)
    if len(reason.strip()) < MIN_APPEAL_REASON:
        state.console.print(
            f"--reason must say why in at least {MIN_APPEAL_REASON} characters "
            f"({len(reason.strip())} given); nothing was sent."
        )
        raise typer.Exit(1)
    with state.client() as client:
        task = client.appeal(task_id, reason.strip())
    if state.json_output:
        state.emit_json(task)
        return
    state.console.print(
        f"Appealed task {task_id}: it is {task.get('status')} until a reviewer decides "
        f"(see [bold]marlin feedback {task_id}[/]).",
        highlight=False,
    )


@reports_failures
def payouts(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option(help="A pay period, e.g. 2026-W48.")] = None,
    task: Annotated[str | None, typer.Option(help="Only this task's entries.")] = None,
) -> None:
    """Payout entries: your own (contributors) or everyone's (finance)."""
    state = context_of(ctx)
    filters = {name: value for name, value in {"period": period, "task": task}.items() if value}
    with state.client() as client:
        entries = list(client.payouts(**filters))
    if state.json_output:
        state.emit_json(entries)
        return
    table = Table(title="Payouts")
    for column in ("period", "task", "contributor", "kind", "amount", "currency", "statement"):
        table.add_column(column, justify="right" if column == "amount" else "left", no_wrap=column == "task")
    for entry in entries:
        table.add_row(
            str(entry.get("period")),
            str(entry.get("task")),
            str(entry.get("contributor")),
            str(entry.get("kind")),
            str(entry.get("amount")),
            str(entry.get("currency")),
            str(entry.get("statement") or "")[:8],  # enough to tell statements apart
        )
    state.console.print(table)
