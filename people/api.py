"""People endpoints: ``me/`` for anyone signed in; ``people/`` and ``people/{id}/`` for ops."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api.base import CommandApiView
from marlin.api.permissions import IsOps
from marlin.api.serializers import validated
from marlin.kernel.errors import InvalidInput
from marlin.kernel.roles import ALL_ROLES, effective_roles
from people import commands, selectors
from people.serializers import MeOutput, PersonCreateInput, PersonOutput, PersonUpdateInput


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
        active = {"true": True, "false": False}.get(params.get("active", "").lower())
        return selectors.people_list(role=role, active=active, search=params.get("search"))

    @extend_schema(request=PersonCreateInput, responses={201: PersonOutput})
    def post(self, request: Request) -> Response:
        data = validated(PersonCreateInput, request.data)
        person = commands.person_register(actor_id=request.user.pk, **data)
        return Response(PersonOutput(person).data, status=201)


class PersonApi(CommandApiView):
    """One person: read, or change roles, level, skills, capacity, activity, password."""

    permission_classes = [IsOps]

    @extend_schema(responses=PersonOutput)
    def get(self, request: Request, person_id: int) -> Response:
        return Response(PersonOutput(selectors.person_get(person_id)).data)

    @extend_schema(request=PersonUpdateInput, responses=PersonOutput)
    def patch(self, request: Request, person_id: int) -> Response:
        data = validated(PersonUpdateInput, request.data)
        password = data.pop("password", None)
        person = commands.person_update(
            actor_id=request.user.pk, user_id=person_id, fields=data, password=password
        )
        return Response(PersonOutput(person).data)


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
