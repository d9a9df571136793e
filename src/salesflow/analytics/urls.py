from django.urls import path

from salesflow.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.funnel_page, name="funnel"),
    path("trend/", views.trend_page, name="trend"),
    path("outcomes/", views.outcomes_page, name="outcomes"),
    path("plan/", views.plan_page, name="plan"),
]
