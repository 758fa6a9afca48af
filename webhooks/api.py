"""Webhook endpoints for ops: ``webhooks/``, ``webhooks/{id}/``, its deliveries and replays."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from marlin.api.base import CommandApiView
from marlin.api.permissions import IsOps
from marlin.api.serializers import ErrorOutput, validated
from webhooks import commands, selectors
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.serializers import (
    DeliveryOutput,
    WebhookCreatedOutput,
    WebhookCreateInput,
    WebhookOutput,
    WebhookUpdateInput,
)

REFUSED = OpenApiResponse(ErrorOutput, description="not signed in (401) or not ops (403)")
NOT_FOUND = OpenApiResponse(ErrorOutput, description="no such endpoint (or delivery)")
BAD_TARGET = OpenApiResponse(
    ErrorOutput,
    description="invalid input; the URL's target refused: webhook_target_private, webhook_target_scheme, "
    "webhook_target_unresolvable, webhook_target_invalid; unknown_event_type",
)


class WebhooksApi(CommandApiView, ListAPIView):
    """Webhook endpoints: list them, or register one (its secret is in this answer only)."""

    permission_classes = [IsOps]
    serializer_class = WebhookOutput

    def get_queryset(self) -> Any:
        return selectors.endpoints_list()

    @extend_schema(responses={200: WebhookOutput(many=True), 401: REFUSED, 403: REFUSED})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=WebhookCreateInput,
        responses={201: WebhookCreatedOutput, 400: BAD_TARGET, 401: REFUSED, 403: REFUSED},
    )
    def post(self, request: Request) -> Response:
        data = validated(WebhookCreateInput, request.data)
        registered = commands.webhook_register(actor_id=request.user.pk, **data)
        output = WebhookCreatedOutput(registered.endpoint, context={"secret": registered.secret})
        return Response(output.data, status=201)


class WebhookApi(CommandApiView):
    """One endpoint: read it, change it (``active``: false stops, true resumes), delete it."""

    permission_classes = [IsOps]

    @extend_schema(responses={200: WebhookOutput, 401: REFUSED, 403: REFUSED, 404: NOT_FOUND})
    def get(self, request: Request, webhook_id: UUID) -> Response:
        return Response(WebhookOutput(selectors.endpoint_get(webhook_id)).data)

    @extend_schema(
        request=WebhookUpdateInput,
        responses={200: WebhookOutput, 400: BAD_TARGET, 401: REFUSED, 403: REFUSED, 404: NOT_FOUND},
    )
    def patch(self, request: Request, webhook_id: UUID) -> Response:
        data = validated(WebhookUpdateInput, request.data)
        endpoint = commands.webhook_update(actor_id=request.user.pk, endpoint_id=webhook_id, fields=data)
        return Response(WebhookOutput(endpoint).data)

    @extend_schema(responses={204: None, 401: REFUSED, 403: REFUSED, 404: NOT_FOUND})
    def delete(self, request: Request, webhook_id: UUID) -> Response:
        commands.webhook_delete(actor_id=request.user.pk, endpoint_id=webhook_id)
        return Response(status=204)


@extend_schema_view(
    get=extend_schema(
        parameters=[OpenApiParameter("status", enum=list(DeliveryStatus.values))],
        responses={
            200: DeliveryOutput(many=True),
            400: BAD_TARGET,
            401: REFUSED,
            403: REFUSED,
            404: NOT_FOUND,
        },
    )
)
class WebhookDeliveriesApi(ListAPIView):
    """An endpoint's deliveries, newest first, each with every attempt (filter: ``status``)."""

    permission_classes = [IsOps]
    serializer_class = DeliveryOutput
    queryset = WebhookDelivery.objects.none()  # for the schema; get_queryset gives the rows

    def get_queryset(self) -> Any:
        return selectors.deliveries_list(
            self.kwargs["webhook_id"], status=self.request.query_params.get("status")
        )


class WebhookReplayApi(CommandApiView):
    """Send a delivery's event again, soon, with the same event id: 202 with the new delivery."""

    permission_classes = [IsOps]

    @extend_schema(
        request=None,
        responses={
            202: DeliveryOutput,
            401: REFUSED,
            403: REFUSED,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorOutput, description="webhook_inactive: enable the endpoint first"),
        },
    )
    def post(self, request: Request, webhook_id: UUID, delivery_id: UUID) -> Response:
        replay = commands.webhook_delivery_replay(
            actor_id=request.user.pk, endpoint_id=webhook_id, delivery_id=delivery_id
        )
        return Response(DeliveryOutput(replay).data, status=202)
