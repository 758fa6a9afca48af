from django.urls import path

from reviews import api

urlpatterns = [
    path("reviews/", api.ReviewsApi.as_view(), name="reviews"),
    path("reviews/<uuid:assignment_id>/", api.ReviewApi.as_view(), name="review"),
    path("reviews/<uuid:assignment_id>/decision/", api.ReviewDecisionApi.as_view(), name="review-decision"),
    path("reviews/<uuid:assignment_id>/reassign/", api.ReviewReassignApi.as_view(), name="review-reassign"),
    path("queues/", api.QueuesApi.as_view(), name="queues"),
    path("exports/preferences/", api.PreferenceExportApi.as_view(), name="export-preferences"),
]
