"""Projects and tasks endpoints. Views parse input, call one command or selector, serialize."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api.base import CommandApiView
from marlin.api.parsers import DecimalJSONParser
from marlin.api.permissions import IsContributor, IsOps, ReadAnyWriteOps
from marlin.api.serializers import ErrorOutput, validated
from marlin.kernel.errors import InvalidInput
from marlin.kernel.roles import Role, has_role
from tasks import calibration, commands, importing, selectors
from tasks.models import Suspension, Task
from tasks.serializers import (
    TASK_STATUSES,
    AppealInput,
    ClaimInput,
    ImportResultOutput,
    JudgmentInput,
    ProjectOutput,
    ProjectSettingsInput,
    ProjectUpdateInput,
    ReasonInput,
    SubmissionOutput,
    SuspensionOutput,
    TaskEventOutput,
    TaskOpsOutput,
    project_output,
    project_serializer,
    task_serializer,
)

# --- projects ----------------------------------------------------------------------------------------


class ProjectsApi(CommandApiView, ListAPIView):
    """Ops: every project, and create one. Others: the active projects they may work on."""

    permission_classes = [ReadAnyWriteOps]
    serializer_class = ProjectOutput

    def get_queryset(self) -> Any:
        return selectors.projects_visible_to(self.request.user)

    def get_serializer_class(self) -> Any:
        return project_serializer(self.request.user)

    @extend_schema(request=ProjectSettingsInput, responses={201: ProjectOutput})
    def post(self, request: Request) -> Response:
        data = validated(ProjectSettingsInput, request.data)
        project = commands.project_create(actor_id=request.user.pk, fields=data)
        return Response(ProjectOutput(project).data, status=201)


class ProjectApi(APIView):
    permission_classes = [ReadAnyWriteOps]

    @extend_schema(responses=ProjectOutput)
    def get(self, request: Request, project_id: UUID) -> Response:
        return Response(project_output(selectors.project_for(request.user, project_id), request.user))

    @extend_schema(request=ProjectUpdateInput, responses=ProjectOutput)
    def patch(self, request: Request, project_id: UUID) -> Response:
        data = validated(ProjectUpdateInput, request.data)
        project = commands.project_update(actor_id=request.user.pk, project_id=project_id, fields=data)
        return Response(ProjectOutput(project).data)


class _ProjectTransitionApi(CommandApiView):
    permission_classes = [IsOps]
    transition: Any = None

    @extend_schema(request=None, responses=ProjectOutput)
    def post(self, request: Request, project_id: UUID) -> Response:
        project = type(self).transition(actor_id=request.user.pk, project_id=project_id)
        return Response(ProjectOutput(project).data)


class ProjectPauseApi(_ProjectTransitionApi):
    """Stop handing out new claims; work in flight goes on."""

    transition = commands.project_pause


class ProjectResumeApi(_ProjectTransitionApi):
    transition = commands.project_resume


class ProjectArchiveApi(_ProjectTransitionApi):
    """Close the project for good: no claims, no imports, no changes."""

    transition = commands.project_archive


class ProjectTaskImportApi(CommandApiView):
    """Import tasks: a JSON list, or a JSONL or CSV file uploaded as the multipart field ``file``."""

    permission_classes = [IsOps]
    parser_classes = [DecimalJSONParser, MultiPartParser]

    @extend_schema(
        request={
            "application/json": {"type": "array", "items": {"type": "object"}},
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            },
        },
        responses={
            200: ImportResultOutput,
            413: OpenApiResponse(ErrorOutput, description="the body exceeds MARLIN_MAX_REQUEST_BYTES"),
        },
    )
    def post(self, request: Request, project_id: UUID) -> Response:
        if "file" in request.FILES:
            upload = request.FILES["file"]
            rows = importing.rows_from_file(upload.name or "", upload)  # line by line
        elif request.content_type.startswith("multipart/"):
            raise InvalidInput(fields={"file": ["upload the tasks as the multipart field 'file'"]})
        else:
            rows = importing.rows_from_json(request.data)
        result = importing.task_import(actor_id=request.user.pk, project_id=project_id, rows=rows)
        return Response(result.as_dict())


class ProjectCalibrationApi(CommandApiView):
    """Plant calibration submissions: a JSON list of ``{external_id, prompt, context, response_a,
    response_b, model_a, model_b, layer, submission: {preference, strength, scores, rationale,
    time_spent_minutes}, expected_decision, expected_reasons, explanation}`` (the submission in the
    import's order of A and B). Routing hands each plant to up to ``calibration_reviews``
    reviewers of its layer, at most one plant in every ``calibration_every`` assignments of a
    reviewer, as an ordinary review; each decision is scored. Plants never pay and never show in
    ops' task lists, queues, payouts, exports or the leaderboard. Answers like an import: valid
    rows are planted even when others fail; planting an external id again is skipped."""

    permission_classes = [IsOps]

    @extend_schema(
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses={200: ImportResultOutput},
    )
    def post(self, request: Request, project_id: UUID) -> Response:
        rows = calibration.plants_from_json(request.data)
        result = calibration.calibration_plant(actor_id=request.user.pk, project_id=project_id, rows=rows)
        return Response(result.as_dict())


class ProjectSuspensionsApi(ListAPIView):
    """Ops: the project's gold suspensions, newest first, lifted ones included."""

    permission_classes = [IsOps]
    serializer_class = SuspensionOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no project
            return Suspension.objects.none()
        project = selectors.project_for(self.request.user, self.kwargs["project_id"])
        return selectors.suspensions_of(project.id)


class ProjectSuspensionLiftApi(CommandApiView):
    """Ops: lift a person's suspension in the project; from then on only their new gold answers
    count towards another. 404 when the person was never suspended there, 409 ``not_suspended``
    when it is lifted already."""

    one_command = True
    permission_classes = [IsOps]

    @extend_schema(request=None, responses=SuspensionOutput)
    def post(self, request: Request, project_id: UUID, person_id: int) -> Response:
        suspension = commands.suspension_lift(
            actor_id=request.user.pk, project_id=project_id, contributor_id=person_id
        )
        return Response(SuspensionOutput(suspension).data)


# --- tasks -------------------------------------------------------------------------------------------


class TaskFilter(django_filters.FilterSet):
    """``status`` and ``layer`` as the rows show them (a reviewer's calibration plant: as their
    decision left it, ``shown_status`` and ``shown_layer`` in ``tasks.selectors``)."""

    project = django_filters.UUIDFilter(field_name="project_id")
    status = django_filters.MultipleChoiceFilter(choices=[(s, s) for s in TASK_STATUSES])
    layer = django_filters.TypedChoiceFilter(choices=[(n, str(n)) for n in range(1, 6)], coerce=int)

    class Meta:
        model = Task
        fields = ["project", "status", "layer"]

    def filter_queryset(self, queryset: Any) -> Any:
        for name in ("status", "layer"):  # this instance's own copies of the filters
            if f"shown_{name}" in queryset.query.annotations:
                self.filters[name].field_name = f"shown_{name}"
        return super().filter_queryset(queryset)


class TasksApi(ListAPIView):
    """Tasks you may see: ops all; a contributor their own; a reviewer those assigned to them.
    Filters: ``project``, ``status`` (repeatable), ``layer``. ``model_a``/``model_b``: ops only."""

    serializer_class = TaskOpsOutput
    filterset_class = TaskFilter

    def get_queryset(self) -> Any:
        return selectors.tasks_visible_to(self.request.user)

    def get_serializer_class(self) -> Any:
        return task_serializer(self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "viewer": self.request.user}


class TaskApi(APIView):
    @extend_schema(responses=TaskOpsOutput)
    def get(self, request: Request, task_id: UUID) -> Response:
        return Response(_task_data(selectors.task_for(request.user, task_id), request.user))


class TaskClaimApi(CommandApiView):
    """Claim the next open task (optionally only from ``project``): 201 with it, 204 if none;
    403 ``missing_skill`` (with ``details.missing_skills``) for a project whose skills you lack,
    403 ``suspended`` for a project whose gold bar suspended you (a claim naming no project skips
    it), 404 for an unknown or inactive one, 409 ``claim_held`` (``details.task``) while you hold
    one."""

    one_command = True

    permission_classes = [IsContributor]

    @extend_schema(
        request=ClaimInput, responses={201: TaskOpsOutput, 204: OpenApiResponse(description="none open")}
    )
    def post(self, request: Request) -> Response:
        data = validated(ClaimInput, request.data)
        task = commands.task_claim(contributor_id=request.user.pk, project_id=data.get("project"))
        if task is None:
            return Response(status=204)
        return Response(_task_data(task, request.user), status=201)


class TaskReleaseApi(CommandApiView):
    """Give your claimed task back to the queue."""

    permission_classes = [IsContributor]

    @extend_schema(request=None, responses=TaskOpsOutput)
    def post(self, request: Request, task_id: UUID) -> Response:
        held = selectors.task_for(request.user, task_id)
        task = commands.task_release(contributor_id=request.user.pk, task_id=task_id)
        # Open again, the task has no order of its own; the answer keeps the one its contributor
        # was just shown, so giving a claim back never reveals whether it was swapped.
        task.presented_swapped = held.presented_swapped
        return Response(_task_data(task, request.user))


class TaskSubmissionsApi(CommandApiView):
    """Every version of the task's judgment (ops, its contributor, its reviewers); POST submits
    (or revises) yours, as a contributor."""

    one_command = True

    def get_permissions(self) -> list[Any]:
        extra = [IsContributor()] if self.request.method == "POST" else []
        return [*super().get_permissions(), *extra]

    @extend_schema(responses=SubmissionOutput(many=True))
    def get(self, request: Request, task_id: UUID) -> Response:
        submissions = selectors.submissions_for(request.user, task_id)
        return Response(SubmissionOutput(submissions, many=True, context={"viewer": request.user}).data)

    @extend_schema(request=JudgmentInput, responses={201: SubmissionOutput})
    def post(self, request: Request, task_id: UUID) -> Response:
        if not isinstance(request.data, dict):
            raise InvalidInput(fields={"judgment": ["send a JSON object"]})
        task = commands.task_submit(
            contributor_id=request.user.pk,
            task_id=task_id,
            judgment=dict(request.data),
            sees_every_task=has_role(request.user, Role.OPS),
        )
        return Response(
            SubmissionOutput(task.current_submission, context={"viewer": request.user}).data, status=201
        )


class TaskHistoryApi(APIView):
    """The task's events, oldest first (ops; the task's contributor, without model identities)."""

    @extend_schema(responses=TaskEventOutput(many=True))
    def get(self, request: Request, task_id: UUID) -> Response:
        return Response(TaskEventOutput(selectors.history_for(request.user, task_id), many=True).data)


class TaskAppealApi(CommandApiView):
    """Appeal your task's rejection, once, within the project's ``appeal_window_days`` (7) of it,
    saying why in at least 50 characters: the task is ``appealed`` until a top-layer reviewer who
    has not reviewed it decides. Approve overturns (the task is approved and paid), reject
    upholds. 409 ``appeal_window_closed``, ``already_appealed``, ``not_rejected`` or
    ``approval_reversed`` (ops reversed its approval: not a review to appeal)."""

    permission_classes = [IsContributor]

    @extend_schema(request=AppealInput, responses=TaskOpsOutput)
    def post(self, request: Request, task_id: UUID) -> Response:
        data = validated(AppealInput, request.data)
        task = commands.task_appeal(contributor_id=request.user.pk, task_id=task_id, reason=data["reason"])
        return Response(_task_data(task, request.user))


class TaskCancelApi(CommandApiView):
    permission_classes = [IsOps]

    @extend_schema(request=ReasonInput, responses=TaskOpsOutput)
    def post(self, request: Request, task_id: UUID) -> Response:
        data = validated(ReasonInput, request.data)
        task = commands.task_cancel(actor_id=request.user.pk, task_id=task_id, reason=data["reason"])
        return Response(_task_data(task, request.user))


class TaskReverseApprovalApi(CommandApiView):
    """Ops: the task becomes rejected with the reason in its history; its payout is reversed."""

    permission_classes = [IsOps]

    @extend_schema(request=ReasonInput, responses=TaskOpsOutput)
    def post(self, request: Request, task_id: UUID) -> Response:
        data = validated(ReasonInput, request.data)
        task = commands.task_reverse_approval(
            actor_id=request.user.pk, task_id=task_id, reason=data["reason"]
        )
        return Response(_task_data(task, request.user))


def _task_data(task: Task, viewer: Any) -> dict[str, Any]:
    return task_serializer(viewer, task)(task, context={"viewer": viewer}).data
