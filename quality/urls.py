from django.urls import path

from quality import api

urlpatterns = [
    path("quality/contributors/", api.ContributorQualityApi.as_view(), name="quality-contributors"),
    path("quality/reviewers/", api.ReviewerQualityApi.as_view(), name="quality-reviewers"),
    path("projects/<uuid:project_id>/leaderboard/", api.LeaderboardApi.as_view(), name="project-leaderboard"),
]
