"""The ops pages: the queues across projects with their trends, a project's late items, a task's
rounds; and the steering the API offers (pause and resume a project, cancel a task, reassign a
review), through the same commands behind the same permission class (``dashboard/actions.py``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dashboard import charts, selectors
from dashboard.actions import GuardedPage, page_for, run_command
from marlin.api.permissions import IsOps
from marlin.kernel import clock
from marlin.kernel.errors import NotFound
from quality import reports as quality_reports
from quality import selectors as quality_selectors
from reviews import commands as review_commands
from reviews import selectors as review_selectors
from reviews.serializers import ReassignInput
from tasks import commands as task_commands
from tasks.domain.task import TaskStatus
from tasks.models import Project, Task
from tasks.serializers import ReasonInput

LATE_ITEMS_PER_PAGE = 25


@page_for(IsOps)
def ops_dashboard(request: HttpRequest) -> HttpResponse:
    days = _days(request)
    overview = selectors.ops_overview()
    standouts = quality_selectors.standouts(project["id"] for project in overview["projects"])
    return render(
        request,
        "ops/dashboard.html",
        {
            "overview": overview,
            "standouts": [(p, standouts[p["id"]]) for p in overview["projects"] if p["id"] in standouts],
            "days": days,
            "trend_days": selectors.TREND_DAYS,
            "charts": trend_charts(selectors.review_trends(days)),
        },
    )


@page_for(IsOps)
def project_page(request: HttpRequest, project_id: UUID) -> HttpResponse:
    overview = selectors.ops_overview()
    entry = next((p for p in overview["projects"] if p["id"] == project_id), None)
    if entry is None:
        raise Http404("no such project")
    days = _days(request)
    return render(
        request,
        "ops/project.html",
        {
            "generated_at": overview["generated_at"],
            "project": entry,
            "days": days,
            "trend_days": selectors.TREND_DAYS,
            "charts": trend_charts(selectors.review_trends(days, project_id=project_id), prefix="project-"),
            "overdue_claims": _page(request, "claims", selectors.overdue_claims(project_id)),
            "overdue_reviews": _page(request, "reviews", selectors.overdue_reviews(project_id)),
            "waiting": _page(request, "waiting", selectors.waiting_for_a_reviewer(project_id)),
        },
    )


@page_for(IsOps)
def project_quality_page(request: HttpRequest, project_id: UUID) -> HttpResponse:
    """The project's quality reports as two tables, flagged people marked, with their CSV files;
    and its models' leaderboard as a chart of ratings with their intervals and a table."""
    project = Project.objects.filter(pk=project_id).values("id", "name", "criteria", "overlap").first()
    if project is None:
        raise Http404("no such project")
    board = quality_reports.leaderboard_json(project_id)
    contributors = quality_reports.report_json("contributors", project_id)
    for row in board["models"]:  # the table's score cells in the criteria's order
        row["score_list"] = [row["mean_scores"].get(criterion) for criterion in project["criteria"]]
    return render(
        request,
        "ops/quality.html",
        {
            "project": project,
            "leaderboard": board,
            "leaderboard_chart": charts.interval_chart(
                [
                    charts.Interval(m["model"], m["rating"], m["ci_low"], m["ci_high"])
                    for m in board["models"]
                ],
                title="Model ratings with 95% intervals",
                reference=1000,
                chart_id="leaderboard-chart",
            )
            if board["models"]
            else None,
            "contributors": contributors["rows"],
            "agreement": contributors["agreement"],
            "reviewers": quality_reports.report_json("reviewers", project_id)["rows"],
        },
    )


@page_for(IsOps)
def task_page(request: HttpRequest, task_id: UUID) -> HttpResponse:
    try:
        task = selectors.task_page(task_id)
    except Task.DoesNotExist:
        raise Http404("no such task") from None
    return render(
        request,
        "ops/task.html",
        {
            "task": task,
            "assignments": selectors.task_assignments(task_id),
            "cancellable": _cancellable(task),
            "now": clock.now(),
        },
    )


# --- steering: each is the API's command, behind the API's permission ---------------------------


class OpsAction(GuardedPage):
    """A POST that steers: ops only, as in the API; back to the page it came from."""

    permission_class = IsOps
    http_method_names = ["post"]


class _ProjectTransition(OpsAction):
    """Pause or resume, as ``POST projects/{id}/pause/`` and ``resume/`` do."""

    transition: Any = None
    done = "{name}"

    def post(self, request: HttpRequest, project_id: UUID) -> HttpResponse:
        run_command(
            request,
            lambda: type(self).transition(actor_id=request.user.pk, project_id=project_id),
            done=lambda project: self.done.format(name=project.name),
        )
        return _back(request, reverse("ops-project", args=[project_id]))


class ProjectPause(_ProjectTransition):
    transition = task_commands.project_pause
    done = "{name} is paused: no new claims; work in flight goes on."


class ProjectResume(_ProjectTransition):
    transition = task_commands.project_resume
    done = "{name} is active again."


class TaskCancel(OpsAction):
    def post(self, request: HttpRequest, task_id: UUID) -> HttpResponse:
        data = _form(request, ReasonInput)
        if data is not None:
            run_command(
                request,
                lambda: task_commands.task_cancel(
                    actor_id=request.user.pk, task_id=task_id, reason=data["reason"]
                ),
                done="The task is cancelled.",
            )
        return redirect("ops-task", task_id=task_id)


class ReviewReassign(OpsAction):
    def post(self, request: HttpRequest, assignment_id: UUID) -> HttpResponse:
        try:
            assignment = review_selectors.assignment_for(request.user, assignment_id)
        except NotFound:
            raise Http404("no such review") from None
        named_field = {
            key: value for key, value in request.POST.items() if key == "reviewer" and value.strip()
        }
        data = _form(request, ReassignInput, named_field)
        if data is not None:
            named = data.get("reviewer")

            def reassign() -> Any:
                reviewer_id = None if named is None else review_selectors.reviewer_id_for(named)
                return review_commands.review_reassign(
                    actor_id=request.user.pk, assignment_id=assignment_id, reviewer_id=reviewer_id
                )

            run_command(request, reassign, done=_reassigned)
        return _back(request, reverse("ops-task", args=[assignment.task_id]))


def _reassigned(new: Any) -> str:
    if new is None:
        return "Taken back; nobody is eligible now, so the review waits in the unassigned queue."
    return f"Reassigned to {new.reviewer.username}, due {new.due_at:%Y-%m-%d %H:%M} UTC."


# --- helpers ---------------------------------------------------------------------------------------


def trend_charts(trends: selectors.Trends, *, prefix: str = "") -> dict[str, Any]:
    labels = [day.strftime("%m-%d") for day in trends.days]
    layers = [
        charts.Series(f"layer {layer}", values) for layer, values in sorted(trends.backlog_by_layer.items())
    ]
    return {
        "trends": trends,
        "backlog": charts.line_chart(
            layers or [charts.Series("in review", [0] * len(labels))],
            labels,
            title="In review at each day's end, per layer",
            chart_id=f"{prefix}chart-backlog",
        ),
        "decisions": charts.bar_chart(
            [charts.Series("approved", trends.approvals), charts.Series("rejected", trends.rejections)],
            labels,
            title="Final decisions per day",
            chart_id=f"{prefix}chart-decisions",
        ),
        "first_pass": charts.line_chart(
            [charts.Series("first-pass approval", trends.first_pass_rate)],
            labels,
            title="First-pass approval rate of the tasks decided that day",
            fmt=lambda value: f"{value:.0%}",
            ceiling=1.0,
            chart_id=f"{prefix}chart-first-pass",
        ),
        "time_to_decision": charts.line_chart(
            [charts.Series("median hours", trends.median_hours_to_decision)],
            labels,
            title="Median hours from first submission to final decision",
            fmt=lambda value: f"{value:.1f} h",
            chart_id=f"{prefix}chart-time-to-decision",
        ),
    }


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", selectors.TREND_DAYS[0]))
    except ValueError:
        return selectors.TREND_DAYS[0]
    return days if days in selectors.TREND_DAYS else selectors.TREND_DAYS[0]


def _page(request: HttpRequest, name: str, query: Any) -> Any:
    return Paginator(query, LATE_ITEMS_PER_PAGE).get_page(request.GET.get(f"{name}_page"))


def _form(request: HttpRequest, serializer_class: Any, data: Any = None) -> dict[str, Any] | None:
    """The API's own input serializer on the posted form; its messages shown when refused."""
    serializer = serializer_class(data=request.POST.dict() if data is None else data)
    if serializer.is_valid():
        return dict(serializer.validated_data)
    problems = "; ".join(
        f"{field}: {' '.join(map(str, errors))}" for field, errors in serializer.errors.items()
    )
    messages.error(request, f"Refused (invalid): {problems}")
    return None


def _cancellable(task: Task) -> bool:
    """SPEC: ops cancel a task in any state but approved (and a cancelled one stays so)."""
    return task.status not in (TaskStatus.APPROVED, TaskStatus.CANCELLED)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)
