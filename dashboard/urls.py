"""The pages for people, outside the API: home, API tokens, the ops queues, finance."""

from __future__ import annotations

from django.urls import path

from dashboard.finance import FinanceClosePage, FinancePage, StatementPaidPage
from dashboard.pages import HomePage, TokenRevokePage, TokensPage
from dashboard.views import ops_dashboard

urlpatterns = [
    path("", HomePage.as_view(), name="home"),
    path("tokens/", TokensPage.as_view(), name="tokens"),
    path("tokens/<str:token_key>/revoke/", TokenRevokePage.as_view(), name="token-revoke"),
    path("ops/", ops_dashboard, name="ops-dashboard"),
    path("finance/", FinancePage.as_view(), name="finance"),
    path("finance/close/", FinanceClosePage.as_view(), name="finance-close"),
    path(
        "finance/statements/<uuid:statement_id>/paid/", StatementPaidPage.as_view(), name="finance-mark-paid"
    ),
]
