"""Pages of the customers app."""

from django.urls import path

from salesflow.customers import shortcut_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("shortcuts/", shortcut_views.shortcut_menu, name="shortcuts"),
    path("<int:customer_id>/pin/", shortcut_views.pin, name="pin"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/contacts/new/", views.contact_create, name="contact_create"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
]
