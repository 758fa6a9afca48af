from django.urls import path

from webhooks.api import WebhookApi, WebhookDeliveriesApi, WebhookReplayApi, WebhooksApi

urlpatterns = [
    path("webhooks/", WebhooksApi.as_view(), name="webhooks"),
    path("webhooks/<uuid:webhook_id>/", WebhookApi.as_view(), name="webhook"),
    path("webhooks/<uuid:webhook_id>/deliveries/", WebhookDeliveriesApi.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/replay/",
        WebhookReplayApi.as_view(),
        name="webhook-delivery-replay",
    ),
]
