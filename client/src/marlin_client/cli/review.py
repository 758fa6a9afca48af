"""A reviewer's commands: reviews, review, decide."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, cast

import typer
from rich.table import Table
from rich.text import Text

from marlin_client.cli import render
from marlin_client.cli.context import context_of, reports_failures
from marlin_client.client import Decision
from marlin_client.errors import MarlinError

ReviewArgument = Annotated[str, typer.Argument(help="The review's id.")]


class DecisionChoice(StrEnum):
    approve = "approve"
    request_changes = "request-changes"
    reject = "reject"

    @property
    def api_value(self) -> Decision:
        return cast(Decision, self.value.replace("-", "_"))


@reports_failures
def reviews(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="pending, decided, expired, reassigned, or all.")] = "pending",
) -> None:
    """Your review assignments (pending ones by default)."""
    state = context_of(ctx)
    with state.client() as client:
        items = list(client.reviews(**({} if status == "all" else {"status": status})))
    if state.json_output:
        state.emit_json(items)
        return
    if not items:
        state.console.print(f"No {'' if status == 'all' else status + ' '}reviews.")
        return
    table = Table(title=f"Reviews ({status})")
    for column in ("id", "task", "layer", "version", "status", "assigned", "due", "decision"):
        table.add_column(column, no_wrap=column in ("id", "task"))
    for item in items:
        table.add_row(
            str(item["id"]),
            str(item.get("task")),
            str(item.get("layer")),
            str(item.get("submission_version") or ""),
            str(item.get("status")),
            render.when(item.get("assigned_at")),
            render.when(item.get("due_at")),
            str(item.get("decision") or ""),
        )
    state.console.print(table)


@reports_failures
def review(ctx: typer.Context, review_id: ReviewArgument) -> None:
    """One review: the task, both answers, the submission, earlier versions and rounds."""
    state = context_of(ctx)
    with state.client() as client:
        detail = client.review(review_id)
    if state.json_output:
        state.emit_json(detail)
        return
    console = state.console
    task = detail.get("task_detail") or {}
    console.print(
        Text.from_markup(
            f"[bold]Review[/] {detail['id']} · layer {detail.get('layer')} · {detail.get('status')} · "
            f"due {render.when(detail.get('due_at'))} · contributor {task.get('contributor_pseudonym')}"
        )
    )
    for part in render.prompt_and_context(task):
        console.print(part)
    console.print(render.answers_side_by_side(task))
    if detail.get("submission"):
        console.print(render.submission(detail["submission"], title="Submission under review"))
    for earlier in detail.get("earlier_submissions") or []:
        console.print(render.submission(earlier, title=f"Earlier version v{earlier.get('version')}"))
    if detail.get("earlier_rounds"):
        console.print(render.rounds(detail["earlier_rounds"], title="Earlier rounds"))
    console.print("Criteria: " + ", ".join(detail.get("criteria") or []))
    console.print("Reason codes: " + ", ".join(detail.get("reason_codes") or []))
    console.print(
        f"Decide: [bold]marlin decide {detail['id']} approve[/] or request-changes / reject "
        "with --reason CODE and --feedback TEXT",
        highlight=False,
    )


@reports_failures
def decide(
    ctx: typer.Context,
    review_id: ReviewArgument,
    decision: Annotated[DecisionChoice, typer.Argument(help="approve, request-changes or reject.")],
    reason: Annotated[
        list[str] | None, typer.Option("--reason", "-r", help="A reason code (repeat for more).")
    ] = None,
    feedback: Annotated[str, typer.Option("--feedback", "-f", help="What the contributor should read.")] = "",
) -> None:
    """Decide a review. request-changes and reject need feedback and at least one reason code."""
    state = context_of(ctx)
    reasons = reason or []
    if decision is not DecisionChoice.approve and (not reasons or not feedback.strip()):
        raise MarlinError(f"{decision.value} needs --feedback and at least one --reason (a reason code)")
    with state.client() as client:
        if reasons:
            known = client.review(review_id).get("reason_codes") or []
            unknown = [code for code in reasons if code not in known]
            if unknown:
                raise MarlinError(
                    f"not a reason code of this project: {', '.join(unknown)} (use {', '.join(known)})"
                )
        decided = client.decide(review_id, decision.api_value, reasons=reasons, feedback=feedback)
    if state.json_output:
        state.emit_json(decided)
        return
    state.console.print(
        f"Review {review_id}: {decided.get('decision')} (layer {decided.get('layer')}).", highlight=False
    )
