"""Payouts, reports, statements and a contributor's earnings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api.base import CommandApiView
from marlin.api.files import JsonOrCsvApi
from marlin.api.filters import IntegerFilter
from marlin.api.permissions import IsFinance
from marlin.api.serializers import validated
from payments import commands, controls, reports, selectors
from payments.models import PayoutEntry
from payments.periods import SCHEMA_PATTERN, parse_period
from payments.serializers import (
    CloseInput,
    ControlsOutput,
    EarningsOutput,
    PaidInput,
    PayoutOutput,
    PeriodCloseOutput,
    ReportOutput,
    StatementOutput,
)


class PayoutFilter(django_filters.FilterSet):
    # Not stripped and checked whole: a period that is not a week is a 400, not an empty page.
    period = django_filters.CharFilter(method="filter_period", strip=False)
    contributor = IntegerFilter(field_name="contributor_id")
    kind = django_filters.ChoiceFilter(choices=[("accrual", "accrual"), ("reversal", "reversal")])
    currency = django_filters.CharFilter()
    task = django_filters.UUIDFilter(field_name="task_id")

    class Meta:
        model = PayoutEntry
        fields = ["period", "contributor", "kind", "currency", "task"]

    def filter_period(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(period=parse_period(value))


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("period", str, pattern=SCHEMA_PATTERN)]))
class PayoutsApi(ListAPIView):
    """Ledger entries: finance sees all (filters: period, contributor, kind, currency, task);
    a contributor sees their own."""

    serializer_class = PayoutOutput
    filterset_class = PayoutFilter

    def get_queryset(self) -> Any:
        return selectors.payouts_visible_to(self.request.user)


class PeriodFileApi(JsonOrCsvApi):
    """A finance read of one period (``?period=``), as JSON or, with ``?format=csv``, a streamed
    CSV file. Subclasses name the two answers and the file."""

    permission_classes = [IsFinance]
    file_name = ""

    def as_json(self, period: str) -> dict[str, Any]:
        raise NotImplementedError

    def as_csv(self, period: str) -> Iterator[str]:
        raise NotImplementedError

    def get(self, request: Request) -> Any:
        period = parse_period(request.query_params.get("period"))
        return self.answer(
            request,
            as_json=lambda: self.as_json(period),
            as_csv=lambda: self.as_csv(period),
            file_name=f"{self.file_name}-{period}",
        )


def _period_file_schema(output: Any) -> Any:
    return extend_schema_view(
        get=extend_schema(
            parameters=[
                OpenApiParameter("period", str, required=True, pattern=SCHEMA_PATTERN),
                OpenApiParameter("format", enum=["json", "csv"]),
            ],
            responses={(200, "application/json"): output, (200, "text/csv"): OpenApiTypes.STR},
        )
    )


@_period_file_schema(ReportOutput)
class PayoutReportApi(PeriodFileApi):
    """The period report: one row per contributor and currency, totals per currency.
    ``?period=2026-W48&format=json`` (default) or ``format=csv`` (streamed, RFC 4180)."""

    file_name = "payouts"

    def as_json(self, period: str) -> dict[str, Any]:
        return reports.report_json(period)

    def as_csv(self, period: str) -> Iterator[str]:
        return reports.report_csv(period)


@_period_file_schema(ControlsOutput)
class PayoutControlsApi(PeriodFileApi):
    """Finance's controls, an audit view that blocks nothing: the period's accruals whose
    approval chain had a reviewer named by ops (``hand_assigned_reviewer``), or a contributor or
    deciding reviewer registered less than 7 days before the approval (``new_account``), with
    who did what and when. ``?period=2026-W48&format=json`` (default) or ``format=csv``
    (streamed: one line per accrual, flags joined by ``;``, actors as ``<person> <did> <at>``)."""

    file_name = "payout-controls"

    def as_json(self, period: str) -> dict[str, Any]:
        return controls.controls_json(period)

    def as_csv(self, period: str) -> Iterator[str]:
        return controls.controls_csv(period)


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("period", str, pattern=SCHEMA_PATTERN)]))
class StatementsApi(ListAPIView):
    """Statements: finance sees all (filter ``period``), a contributor their own."""

    serializer_class = StatementOutput

    def get_queryset(self) -> Any:
        statements = selectors.statements_visible_to(self.request.user)
        period = self.request.query_params.get("period")
        return statements.filter(period=parse_period(period)) if period else statements


class StatementCloseApi(CommandApiView):
    """Close a period: one frozen statement per contributor and currency with a non-zero net.
    Closing it again adds nothing and answers ``"already_closed": true``; later entries for it go
    to the next open period."""

    permission_classes = [IsFinance]

    @extend_schema(request=CloseInput, responses=PeriodCloseOutput)
    def post(self, request: Request) -> Response:
        data = validated(CloseInput, request.data)
        result = commands.period_close(actor_id=request.user.pk, period=data["period"])
        return Response(PeriodCloseOutput(result).data)


class StatementPaidApi(CommandApiView):
    """Record that a statement was paid, with the payment's external reference (once)."""

    permission_classes = [IsFinance]

    @extend_schema(request=PaidInput, responses=StatementOutput)
    def post(self, request: Request, statement_id: UUID) -> Response:
        data = validated(PaidInput, request.data)
        statement = commands.statement_mark_paid(
            actor_id=request.user.pk, statement_id=statement_id, reference=data["reference"]
        )
        return Response(StatementOutput(statement).data)


class EarningsApi(APIView):
    """Your own totals per currency: accrued (net of reversals), pending a statement, on
    statements not yet paid, and paid."""

    @extend_schema(responses=EarningsOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(EarningsOutput(selectors.earnings_of(request.user.pk), many=True).data)
