"""The finance page: this week and last week in money, closing a week, paying statements.

``/finance/`` shows, for the current ISO week (UTC) and the last one (and a week chosen with
``?period=``), the payout report's totals per currency, the contributors paid, whether the week
is closed, and its statements issued, paid and unpaid; the latest earlier weeks that still have
unpaid statements; and one week's statements (the last week unless chosen), filtered by status,
sorted and paged, each unpaid one with a form to mark it paid. The download links are the API's
own report and controls endpoints, which take the browser's session like any API read.

Closing goes through a confirmation page and then ``payments.commands.period_close``; marking
paid through ``payments.commands.statement_mark_paid``: the commands the API runs, guarded by
the API's own ``IsFinance``. Every POST answers with a redirect back to the page (PRG) and says
what happened, or why it was refused, in a message.
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse

from dashboard.actions import GuardedPage, run_command
from dashboard.finance_selectors import (
    DEFAULT_SORT,
    STATEMENT_SORTS,
    current_and_last_period,
    earlier_unpaid,
    period_figures,
    statements_page,
)
from marlin.api.permissions import IsFinance
from marlin.kernel.errors import InvalidInput
from marlin.kernel.money import from_cents
from payments import commands
from payments.commands import PeriodCloseResult
from payments.models import Statement
from payments.periods import parse_period

# The statements table's query: kept across sorting, paging and the POSTs that come back to it.
LIST_QUERY = ("period", "status", "sort", "page")
SORTABLE_COLUMNS = ("contributor", "total", "status")


class FinanceGuarded(GuardedPage):
    permission_class = IsFinance


class FinancePage(FinanceGuarded):
    """``/finance/``: the weeks' figures, the reports to download, and one week's statements."""

    def get(self, request: HttpRequest) -> HttpResponse:
        current, last = current_and_last_period()
        try:
            chosen = parse_period(request.GET.get("period") or last)
        except InvalidInput:
            messages.error(request, "A period is an ISO week such as 2026-W48; showing the last week.")
            return redirect("finance")
        status = request.GET.get("status", "")
        sort = request.GET.get("sort", DEFAULT_SORT)
        sort = sort if sort in STATEMENT_SORTS else DEFAULT_SORT
        page, rows = statements_page(
            request.user, period=chosen, status=status, sort=sort, page=request.GET.get("page")
        )
        periods = {period: period_figures(period) for period in dict.fromkeys([current, last, chosen])}
        return render(
            request,
            "dashboard/finance.html",
            {
                "current": current,
                "last": last,
                "chosen": chosen,
                "chosen_closed": periods[chosen].closed,
                "periods": list(periods.values()),
                "earlier_unpaid": earlier_unpaid(before=last),
                "status": status,
                "sort": sort,
                "columns": _sort_links(sort),
                "page": page,
                "rows": rows,
            },
        )


def _sort_links(sort: str) -> dict[str, dict[str, str]]:
    """Per sortable column, the sort its header links to (a second click reverses it) and the
    header's CSS classes (``sorted``, ``asc``: the page styles draw the arrow)."""
    links = {}
    for column in SORTABLE_COLUMNS:
        here = sort.lstrip("-") == column
        css = ("sorted" + ("" if sort.startswith("-") else " asc")) if here else ""
        links[column] = {"sort": f"-{column}" if sort == column else column, "css": css}
    return links


class FinanceClosePage(FinanceGuarded):
    """``/finance/close/``: GET asks to confirm closing ``?period=`` and shows what it closes;
    POST closes it (``period_close``) and goes back to the page, on that week's statements."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            period = parse_period(request.GET.get("period"))
        except InvalidInput:
            messages.error(request, "Choose the week to close: an ISO week such as 2026-W48.")
            return redirect("finance")
        figures = period_figures(period)
        if figures.closed:
            messages.success(request, f"{period} was already closed; its statements are below.")
            return _back_to_finance({"period": period})
        return render(request, "dashboard/finance_close.html", {"figures": figures})

    def post(self, request: HttpRequest) -> HttpResponse:
        period = request.POST.get("period", "")
        run_command(
            request,
            lambda: commands.period_close(actor_id=request.user.pk, period=period),
            done=lambda result: _closed_message(period, result),
        )
        return _back_to_finance({"period": period if _is_period(period) else ""})


def _is_period(text: str) -> bool:
    try:
        parse_period(text)
    except InvalidInput:
        return False
    return True


def _closed_message(period: str, result: PeriodCloseResult) -> str:
    closed = result.closed
    if result.already_closed:
        return (
            f"{period} was already closed (at {closed.closed_at:%Y-%m-%d %H:%M} UTC, "
            f"{closed.statements} statements); nothing was added."
        )
    return f"{period} closed: {closed.statements} statements issued."


class StatementPaidPage(FinanceGuarded):
    """``/finance/statements/<id>/paid/``: record the payment with its external reference
    (``statement_mark_paid``), then back to the statements as they were shown."""

    def post(self, request: HttpRequest, statement_id: UUID) -> HttpResponse:
        reference = request.POST.get("reference", "")
        run_command(
            request,
            lambda: commands.statement_mark_paid(
                actor_id=request.user.pk, statement_id=statement_id, reference=reference
            ),
            done=_paid_message,
        )
        return _back_to_finance({key: request.POST.get(key, "") for key in LIST_QUERY})


def _paid_message(statement: Statement) -> str:
    return (
        f"Statement of {statement.contributor.name} for {statement.period} "
        f"({from_cents(statement.total_cents)} {statement.currency}) marked paid, "
        f"reference {statement.reference}."
    )


def _back_to_finance(query: dict[str, str]) -> HttpResponseRedirect:
    """A redirect to the finance page with the non-empty parts of ``query`` (values are checked
    again there: a bad one only falls back to the default)."""
    shown = {key: value for key, value in query.items() if value}
    return redirect(reverse("finance") + (f"?{urlencode(shown)}" if shown else ""))
