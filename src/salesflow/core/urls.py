"""Pages of the core app: the admin's settings."""

from django.urls import path

from salesflow.core import settings_views as views
from salesflow.customers import tier_views

app_name = "core"
urlpatterns = [
    path("", views.overview, name="settings"),
    path("pipelines/", views.pipeline_list, name="pipelines"),
    path("pipelines/<int:pipeline_id>/", views.pipeline_detail, name="pipeline"),
    path("pipelines/<int:pipeline_id>/default/", views.pipeline_default, name="pipeline_default"),
    path("pipelines/<int:pipeline_id>/delete/", views.pipeline_delete, name="pipeline_delete"),
    path("pipelines/<int:pipeline_id>/stages/", views.stage_add, name="stage_add"),
    path("pipelines/<int:pipeline_id>/order/", views.stage_order, name="stage_order"),
    path("stages/<int:stage_id>/", views.stage_detail, name="stage"),
    path("stages/<int:stage_id>/delete/", views.stage_delete, name="stage_delete"),
    path("members/", views.member_list, name="members"),
    path("members/<int:membership_id>/", views.member_detail, name="member"),
    path("teams/", views.team_add, name="team_add"),
    path("teams/<int:team_id>/", views.team_detail, name="team"),
    path("teams/<int:team_id>/delete/", views.team_delete, name="team_delete"),
    path("tiers/", tier_views.tier_settings, name="tiers"),
]
