"""The custom field settings pages."""

from django.urls import path

from salesflow.customers import customfield_views as views

app_name = "customfields"
urlpatterns = [
    path("", views.field_list, name="list"),
    path("new/", views.field_create, name="create"),
    path("<int:field_id>/", views.field_edit, name="edit"),
    path("<int:field_id>/move/", views.field_move, name="move"),
    path("<int:field_id>/archive/", views.field_archive, name="archive"),
    path("<int:field_id>/delete/", views.field_delete, name="delete"),
]
