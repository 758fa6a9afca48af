from django.urls import path

from people.api import PeopleApi, PersonApi

urlpatterns = [
    path("people/", PeopleApi.as_view(), name="people"),
    path("people/<int:person_id>/", PersonApi.as_view(), name="person"),
]
