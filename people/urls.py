from django.urls import path

from people.api import MeApi, PeopleApi, PersonApi

urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
    path("people/", PeopleApi.as_view(), name="people"),
    path("people/<int:person_id>/", PersonApi.as_view(), name="person"),
]
