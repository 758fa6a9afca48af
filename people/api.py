"""People endpoints: ``me/`` for anyone signed in; ``people/``, ``people/{id}/`` and
``people/{id}/invite/`` for ops; ``auth/invitation/`` for the invited person."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api.base import CommandApiView
from marlin.api.permissions import IsOps
from marlin.api.serializers import validated
from marlin.api.throttling import AnonRateThrottle
from marlin.kernel.errors import InvalidInput
from marlin.kernel.roles import ALL_ROLES, effective_roles
from people import commands, selectors
from people.serializers import (
    InvitationAcceptedOutput,
    InvitationAcceptInput,
    MeOutput,
    PersonCreateInput,
    PersonInvitedOutput,
    PersonOutput,
    PersonUpdateInput,
)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("role", enum=list(ALL_ROLES)),
            OpenApiParameter("active", bool),
            OpenApiParameter("search", str),
        ]
    )
)
class PeopleApi(CommandApiView, ListAPIView):
    """List people (filters: ``role``, ``active``, ``search``) or register one."""

    permission_classes = [IsOps]
    serializer_class = PersonOutput

    def get_queryset(self) -> Any:
        params = self.request.query_params
        role = params.get("role")
        if role and role not in ALL_ROLES:
            raise InvalidInput(fields={"role": [f"must be one of {list(ALL_ROLES)}"]})
        active = {"true": True, "false": False, "": None}.get(params.get("active", "").lower(), "?")
        if active == "?":
            raise InvalidInput(fields={"active": ["must be true or false"]})
        return selectors.people_list(role=role, active=active, search=params.get("search"))

    @extend_schema(request=PersonCreateInput, responses={201: PersonInvitedOutput})
    def post(self, request: Request) -> Response:
        data = validated(PersonCreateInput, request.data)
        registration = commands.person_register_invited(actor_id=request.user.pk, **data)
        return _invited(request, registration.person, registration.invitation)


class PersonApi(CommandApiView):
    """One person: read, or change roles, level, skills, capacity, activity, password."""

    permission_classes = [IsOps]

    @extend_schema(responses=PersonOutput)
    def get(self, request: Request, person_id: int) -> Response:
        return Response(PersonOutput(selectors.person_get(person_id)).data)

    @extend_schema(request=PersonUpdateInput, responses=PersonOutput)
    def patch(self, request: Request, person_id: int) -> Response:
        data = validated(PersonUpdateInput, request.data)
        person = commands.person_update(actor_id=request.user.pk, user_id=person_id, fields=data)
        return Response(PersonOutput(person).data)


class PersonInviteApi(CommandApiView):
    """A new invitation for the person: their password, tokens and sessions stop working."""

    permission_classes = [IsOps]

    @extend_schema(request=None, responses={201: PersonInvitedOutput})
    def post(self, request: Request, person_id: int) -> Response:
        invitation = commands.person_invite(actor_id=request.user.pk, user_id=person_id)
        return _invited(request, selectors.person_get(person_id), invitation)


class InvitationAcceptApi(CommandApiView):
    """Redeem an invitation: set your password, once. Then sign in with ``POST auth/token/``."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(request=InvitationAcceptInput, responses={200: InvitationAcceptedOutput})
    def post(self, request: Request) -> Response:
        data = validated(InvitationAcceptInput, request.data)
        person = commands.invitation_accept(token=data["token"], password=data["password"])
        return Response(InvitationAcceptedOutput(person).data)


def _invited(request: Request, person: Any, invitation: commands.IssuedInvitation) -> Response:
    shown = {
        "token": invitation.token,
        "url": request.build_absolute_uri(reverse("auth-invitation")),
        "expires_at": invitation.expires_at,
    }
    return Response(PersonInvitedOutput(person, context={"invitation": shown}).data, status=201)


class MeApi(APIView):
    """Who am I: id, username, roles, reviewer level, skills, capacity."""

    @extend_schema(responses=MeOutput)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "email": user.email,
            "roles": effective_roles(user),
            "reviewer_level": user.reviewer_level,
            "skills": list(user.skills or []),
            "capacity": user.capacity,
            "active": user.active,
            "is_superuser": user.is_superuser,
        }
        return Response(MeOutput(data).data)
