from django.urls import path

from people.api import InvitationAcceptApi, MeApi, PeopleApi, PersonApi, PersonInviteApi

urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
    path("people/", PeopleApi.as_view(), name="people"),
    path("people/<int:person_id>/", PersonApi.as_view(), name="person"),
    path("people/<int:person_id>/invite/", PersonInviteApi.as_view(), name="person-invite"),
    path("auth/invitation/", InvitationAcceptApi.as_view(), name="auth-invitation"),
]
