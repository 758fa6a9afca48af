"""Ops' quality reports: ``GET quality/contributors/`` and ``GET quality/reviewers/``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request

from marlin.api.files import JsonOrCsvApi
from marlin.api.permissions import IsOps
from marlin.api.serializers import validated
from quality import reports
from quality.serializers import (
    ContributorReportOutput,
    LeaderboardOutput,
    ReportInput,
    ReviewerReportOutput,
)
from tasks.selectors import project_for


def _schema(output: Any) -> Any:
    return extend_schema(
        parameters=[
            OpenApiParameter("project", OpenApiTypes.UUID, required=True),
            OpenApiParameter("format", enum=["json", "csv"]),
        ],
        responses={(200, "application/json"): output, (200, "text/csv"): OpenApiTypes.STR},
    )


class QualityReportApi(JsonOrCsvApi):
    """One project's quality report (``?project=``, required), as JSON or, with
    ``?format=csv``, a streamed CSV file with the same columns (``flags`` joined by ``;``)."""

    permission_classes = [IsOps]
    kind = ""

    def get(self, request: Request) -> Any:
        project_id = validated(ReportInput, request.query_params)["project"]
        project_for(request.user, project_id)  # 404 for an unknown project
        return self.answer(
            request,
            as_json=lambda: reports.report_json(self.kind, project_id),
            as_csv=lambda: reports.report_csv(self.kind, project_id),
            file_name=f"quality-{self.kind}-{project_id}",
        )


class ContributorQualityApi(QualityReportApi):
    """Per contributor: volume, outcomes, first-pass approval, revisions, time spent, and the
    quality-control figures (README "Quality reports" defines each)."""

    kind = "contributors"

    @_schema(ContributorReportOutput)
    def get(self, request: Request) -> Any:
        return super().get(request)


class ReviewerQualityApi(QualityReportApi):
    """Per reviewer: decisions and their shares, time to decide, approvals a later layer
    overturned, expired assignments (README "Quality reports" defines each)."""

    kind = "reviewers"

    @_schema(ReviewerReportOutput)
    def get(self, request: Request) -> Any:
        return super().get(request)


class LeaderboardApi(JsonOrCsvApi):
    """The project's models ranked by their Bradley-Terry rating from approved, non-gold
    judgments, with 95% bootstrap intervals, records and mean scores (README "Model
    leaderboard"); ``?format=csv`` streams one row per model, a ``mean_<criterion>`` column per
    criterion."""

    permission_classes = [IsOps]

    @extend_schema(
        parameters=[OpenApiParameter("format", enum=["json", "csv"])],
        responses={(200, "application/json"): LeaderboardOutput, (200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request, project_id: UUID) -> Any:
        project_for(request.user, project_id)  # 404 for an unknown project
        return self.answer(
            request,
            as_json=lambda: reports.leaderboard_json(project_id),
            as_csv=lambda: reports.leaderboard_csv(project_id),
            file_name=f"leaderboard-{project_id}",
        )
