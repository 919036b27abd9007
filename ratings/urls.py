from django.urls import path

from .views import overrides, runs

app_name = "ratings"

urlpatterns = [
    path("runs/", runs.run_list, name="runs"),
    path("runs/start/", runs.run_start, name="run_start"),
    path("runs/<int:pk>/", runs.run_detail, name="run"),
    path("runs/<int:pk>/progress.json", runs.run_progress, name="run_progress"),
    path("levels/<key:level>/", runs.level_list, name="level"),
    path("file/<key:account_no>/override/", overrides.override_set, name="override_set"),
    path("file/<key:account_no>/override/<int:pk>/revoke/", overrides.override_revoke, name="override_revoke"),
]
