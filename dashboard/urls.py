"""The pages for people, outside the API: home, API tokens, the ops queues, their steering, the
people tables, and finance."""

from __future__ import annotations

from django.urls import path

from dashboard import views
from dashboard.finance import FinanceClosePage, FinancePage, StatementPaidPage
from dashboard.pages import HomePage, TokenRevokePage, TokensPage
from dashboard.people_pages import contributors_page, reviewers_page

urlpatterns = [
    path("", HomePage.as_view(), name="home"),
    path("tokens/", TokensPage.as_view(), name="tokens"),
    path("tokens/<str:token_key>/revoke/", TokenRevokePage.as_view(), name="token-revoke"),
    path("ops/", views.ops_dashboard, name="ops-dashboard"),
    path("ops/projects/<uuid:project_id>/", views.project_page, name="ops-project"),
    path("ops/projects/<uuid:project_id>/quality/", views.project_quality_page, name="ops-project-quality"),
    path("ops/projects/<uuid:project_id>/pause/", views.ProjectPause.as_view(), name="ops-project-pause"),
    path("ops/projects/<uuid:project_id>/resume/", views.ProjectResume.as_view(), name="ops-project-resume"),
    path("ops/tasks/<uuid:task_id>/", views.task_page, name="ops-task"),
    path("ops/tasks/<uuid:task_id>/cancel/", views.TaskCancel.as_view(), name="ops-task-cancel"),
    path(
        "ops/reviews/<uuid:assignment_id>/reassign/",
        views.ReviewReassign.as_view(),
        name="ops-review-reassign",
    ),
    path("ops/reviewers/", reviewers_page, name="ops-reviewers"),
    path("ops/contributors/", contributors_page, name="ops-contributors"),
    path("finance/", FinancePage.as_view(), name="finance"),
    path("finance/close/", FinanceClosePage.as_view(), name="finance-close"),
    path(
        "finance/statements/<uuid:statement_id>/paid/", StatementPaidPage.as_view(), name="finance-mark-paid"
    ),
]
