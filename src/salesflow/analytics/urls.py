from django.urls import path

from salesflow.analytics import forecast_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.funnel_page, name="funnel"),
    path("trend/", views.trend_page, name="trend"),
    path("outcomes/", views.outcomes_page, name="outcomes"),
    path("plan/", views.plan_page, name="plan"),
    path("forecast/", forecast_views.forecast_page, name="forecast"),
    path("forecast/adjust/", forecast_views.forecast_adjust, name="forecast_adjust"),
    path("bottlenecks/", forecast_views.bottlenecks_page, name="bottlenecks"),
]
