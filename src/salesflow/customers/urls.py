"""Pages of the customers app."""

from django.urls import path

from salesflow.customers import pool_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/release/", pool_views.customer_release, name="release"),
    path("pool/", pool_views.pool_list, name="pool"),
    path("pool/history/", pool_views.pool_history, name="pool_history"),
    path("pool/rules/", pool_views.pool_rules, name="pool_rules"),
    path("pool/<int:customer_id>/claim/", pool_views.pool_claim, name="pool_claim"),
    path("pool/<int:customer_id>/assign/", pool_views.pool_assign, name="pool_assign"),
    path("<int:customer_id>/contacts/new/", views.contact_create, name="contact_create"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
]
