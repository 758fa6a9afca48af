"""Review endpoints: assignments, decisions, reassignment, and the ops queue view."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import django_filters
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api.base import CommandApiView
from marlin.api.permissions import IsOps, IsReviewer
from marlin.api.serializers import validated
from marlin.kernel.roles import Role, has_role
from reviews import commands, exports, queues, selectors
from reviews.models import ReviewAssignment
from reviews.serializers import (
    AssignmentDetailOutput,
    AssignmentOutput,
    DecisionInput,
    ExportInput,
    QueueOverviewOutput,
    ReassignInput,
)
from tasks.domain.review_round import AssignmentStatus
from tasks.selectors import project_for


class AssignmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=[(s.value, s.value) for s in AssignmentStatus])
    task = django_filters.UUIDFilter(field_name="task_id")
    layer = django_filters.TypedChoiceFilter(choices=[(n, str(n)) for n in range(1, 6)], coerce=int)

    class Meta:
        model = ReviewAssignment
        fields = ["status", "task", "layer"]


class ReviewsApi(ListAPIView):
    """Review assignments: a reviewer's own, or all for ops. Filters: ``status``, ``task``, ``layer``."""

    serializer_class = AssignmentOutput
    filterset_class = AssignmentFilter

    def get_queryset(self) -> Any:
        return selectors.assignments_visible_to(self.request.user).order_by("-assigned_at", "id")


class ReviewApi(APIView):
    """One assignment with the task (no models), the submission under review, earlier versions and
    earlier rounds' feedback, and the project's criteria and reason codes."""

    @extend_schema(responses=AssignmentDetailOutput)
    def get(self, request: Request, assignment_id: UUID) -> Response:
        assignment = selectors.assignment_for(request.user, assignment_id)
        context = {"viewer": request.user, "review": selectors.review_context(assignment)}
        return Response(AssignmentDetailOutput(assignment, context=context).data)


class ReviewDecisionApi(CommandApiView):
    """Approve, request changes or reject (feedback and reason codes required for the last two)."""

    one_command = True

    permission_classes = [IsReviewer]

    @extend_schema(request=DecisionInput, responses=AssignmentOutput)
    def post(self, request: Request, assignment_id: UUID) -> Response:
        data = validated(DecisionInput, request.data)
        assignment = commands.review_decide(
            reviewer_id=request.user.pk,
            assignment_id=assignment_id,
            sees_every_review=has_role(request.user, Role.OPS),
            **data,
        )
        return Response(AssignmentOutput(assignment).data)


class ReviewReassignApi(CommandApiView):
    """Ops: give a pending review to a named eligible reviewer (by id or username), or let routing
    pick. A refused name answers 400 with the rule broken as its code and in ``details.rule``."""

    permission_classes = [IsOps]

    @extend_schema(
        request=ReassignInput,
        responses={200: AssignmentOutput, 202: OpenApiResponse(description="nobody eligible: queued")},
    )
    def post(self, request: Request, assignment_id: UUID) -> Response:
        data = validated(ReassignInput, request.data)
        selectors.assignment_for(request.user, assignment_id)
        named = data.get("reviewer")
        new = commands.review_reassign(
            actor_id=request.user.pk,
            assignment_id=assignment_id,
            reviewer_id=None if named is None else selectors.reviewer_id_for(named),
        )
        if new is None:
            return Response(
                {"detail": "nobody is eligible now: the task waits in the unassigned queue"}, status=202
            )
        return Response(AssignmentOutput(new).data)


class PreferenceExportApi(APIView):
    """Ops: approved judgments of ``?project=`` as streamed JSON Lines (reversed ones left out)."""

    permission_classes = [IsOps]

    @extend_schema(
        parameters=[OpenApiParameter("project", UUID, required=True)],
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        project = validated(ExportInput, request.query_params)["project"]
        project_for(request.user, project)  # 404 for an unknown project
        response = StreamingHttpResponse(
            exports.preference_lines(project), content_type="application/x-ndjson"
        )
        response["Content-Disposition"] = f'attachment; filename="preferences-{project}.jsonl"'
        return response


class QueuesApi(APIView):
    """Ops: per project, counts by state and layer with oldest ages, overdue work, 24 h throughput,
    first-pass approval rate and reason counts; and every reviewer's load."""

    permission_classes = [IsOps]

    @extend_schema(responses=QueueOverviewOutput)
    def get(self, request: Request) -> Response:
        return Response(queues.queue_overview())
