from django.urls import path

from tasks import api

urlpatterns = [
    path("projects/", api.ProjectsApi.as_view(), name="projects"),
    path("projects/<uuid:project_id>/", api.ProjectApi.as_view(), name="project"),
    path("projects/<uuid:project_id>/pause/", api.ProjectPauseApi.as_view(), name="project-pause"),
    path("projects/<uuid:project_id>/resume/", api.ProjectResumeApi.as_view(), name="project-resume"),
    path("projects/<uuid:project_id>/archive/", api.ProjectArchiveApi.as_view(), name="project-archive"),
    path("projects/<uuid:project_id>/tasks/", api.ProjectTaskImportApi.as_view(), name="project-tasks"),
    path(
        "projects/<uuid:project_id>/calibration/",
        api.ProjectCalibrationApi.as_view(),
        name="project-calibration",
    ),
    path(
        "projects/<uuid:project_id>/suspensions/",
        api.ProjectSuspensionsApi.as_view(),
        name="project-suspensions",
    ),
    path(
        "projects/<uuid:project_id>/suspensions/<int:person_id>/lift/",
        api.ProjectSuspensionLiftApi.as_view(),
        name="project-suspension-lift",
    ),
    path("tasks/", api.TasksApi.as_view(), name="tasks"),
    path("tasks/claim/", api.TaskClaimApi.as_view(), name="task-claim"),
    path("tasks/<uuid:task_id>/", api.TaskApi.as_view(), name="task"),
    path("tasks/<uuid:task_id>/release/", api.TaskReleaseApi.as_view(), name="task-release"),
    path("tasks/<uuid:task_id>/submissions/", api.TaskSubmissionsApi.as_view(), name="task-submissions"),
    path("tasks/<uuid:task_id>/history/", api.TaskHistoryApi.as_view(), name="task-history"),
    path("tasks/<uuid:task_id>/appeal/", api.TaskAppealApi.as_view(), name="task-appeal"),
    path("tasks/<uuid:task_id>/cancel/", api.TaskCancelApi.as_view(), name="task-cancel"),
    path(
        "tasks/<uuid:task_id>/reverse-approval/",
        api.TaskReverseApprovalApi.as_view(),
        name="task-reverse-approval",
    ),
]
