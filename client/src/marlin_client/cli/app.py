"""``marlin``: Marlin in a terminal, for contributors, reviewers, ops and finance."""

from __future__ import annotations

from typing import Annotated

import typer

from marlin_client.cli import account, operations, review, work
from marlin_client.cli.context import CliContext, reports_failures

app = typer.Typer(
    name="marlin",
    help="Marlin in a terminal: claim and judge tasks, review them, watch queues, pull reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
@reports_failures
def configure(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            envvar="MARLIN_URL",
            help="The Marlin server (default: the one you signed in to, else http://127.0.0.1:8000).",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the API's JSON (for scripts).")] = False,
) -> None:
    ctx.obj = CliContext.create(url=url, json_output=json_output)


ACCOUNT, CONTRIBUTOR, REVIEWER, OPS, FINANCE = "Account", "Contributors", "Reviewers", "Ops", "Finance"
app.command(rich_help_panel=ACCOUNT)(account.login)
app.command(rich_help_panel=ACCOUNT)(account.logout)
app.command(rich_help_panel=ACCOUNT)(account.whoami)
app.command(rich_help_panel=CONTRIBUTOR)(work.claim)
app.command(rich_help_panel=CONTRIBUTOR)(work.show)
app.command("template", rich_help_panel=CONTRIBUTOR)(work.template_command)
app.command(rich_help_panel=CONTRIBUTOR)(work.submit)
app.command(rich_help_panel=CONTRIBUTOR)(work.feedback)
app.command(rich_help_panel=CONTRIBUTOR)(work.appeal)
app.command(rich_help_panel=CONTRIBUTOR)(work.payouts)
app.command(rich_help_panel=REVIEWER)(review.reviews)
app.command(rich_help_panel=REVIEWER)(review.review)
app.command(rich_help_panel=REVIEWER)(review.decide)
app.command(rich_help_panel=OPS)(operations.queues)
app.command("import", rich_help_panel=OPS)(operations.import_tasks)
app.command(rich_help_panel=OPS)(operations.export)
app.command(rich_help_panel=FINANCE)(operations.report)


def main() -> None:
    app()
