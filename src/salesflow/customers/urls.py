"""Pages of the customers app."""

from django.urls import path

from salesflow.customers import organise_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/contacts/new/", views.contact_create, name="contact_create"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
    path("<int:customer_id>/tags/", organise_views.customer_tag_add, name="tag_customer"),
    path(
        "<int:customer_id>/tags/<int:tag_id>/remove/",
        organise_views.customer_tag_remove,
        name="untag_customer",
    ),
    path("selection/", organise_views.selection, name="selection"),
    path("categories/", organise_views.categories_page, name="categories"),
    path("categories/add/", organise_views.category_add, name="category_add"),
    path("categories/move/", organise_views.category_move, name="category_move"),
    path(
        "categories/<int:category_id>/rename/",
        organise_views.category_rename,
        name="category_rename",
    ),
    path("categories/<int:category_id>/step/", organise_views.category_step, name="category_step"),
    path(
        "categories/<int:category_id>/delete/",
        organise_views.category_delete,
        name="category_delete",
    ),
    path("tags/add/", organise_views.tag_add, name="tag_add"),
    path("tags/<int:tag_id>/", organise_views.tag_edit, name="tag_edit"),
    path("tags/<int:tag_id>/delete/", organise_views.tag_delete, name="tag_delete"),
]
