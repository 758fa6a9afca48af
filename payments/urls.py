from django.urls import path

from payments import api

urlpatterns = [
    path("payouts/", api.PayoutsApi.as_view(), name="payouts"),
    path("payouts/report/", api.PayoutReportApi.as_view(), name="payout-report"),
    path("payouts/controls/", api.PayoutControlsApi.as_view(), name="payout-controls"),
    path("statements/", api.StatementsApi.as_view(), name="statements"),
    path("statements/close/", api.StatementCloseApi.as_view(), name="statements-close"),
    path("statements/<uuid:statement_id>/paid/", api.StatementPaidApi.as_view(), name="statement-paid"),
    path("me/earnings/", api.EarningsApi.as_view(), name="me-earnings"),
]
