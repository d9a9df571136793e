"""Pages of the customers app."""

from django.urls import path

from salesflow.customers import (
    duplicate_views,
    organise_views,
    pool_views,
    protection_views,
    shortcut_views,
    transfer_views,
    views,
)

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("import/", transfer_views.import_upload, name="import"),
    path("import/<int:job_id>/", transfer_views.import_job, name="import_job"),
    path("import/<int:job_id>/progress/", transfer_views.import_progress, name="import_progress"),
    path(
        "import/<int:job_id>/problems.<str:file_format>",
        transfer_views.import_problems,
        name="import_problems",
    ),
    path("export/", transfer_views.export_file, name="export"),
    path("duplicates/", duplicate_views.duplicate_list, name="duplicates"),
    path("merge/", duplicate_views.merge, name="merge"),
    path("<int:customer_id>/history/", duplicate_views.history, name="history"),
    path("shortcuts/", shortcut_views.shortcut_menu, name="shortcuts"),
    path("<int:customer_id>/pin/", shortcut_views.pin, name="pin"),
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
    path("<int:customer_id>/lock/", protection_views.customer_lock, name="lock"),
    path("<int:customer_id>/unlock/", protection_views.customer_unlock, name="unlock"),
    path("<int:customer_id>/delete/", protection_views.customer_delete, name="delete"),
    path("<int:customer_id>/protected/", protection_views.protected_edit, name="protected"),
    path("<int:customer_id>/reveal/<str:field>/", protection_views.reveal, name="reveal"),
    path("trash/", protection_views.trash_list, name="trash"),
    path("trash/<str:kind>/<int:item_id>/restore/", protection_views.trash_restore, name="restore"),
    path("trash/<str:kind>/<int:item_id>/purge/", protection_views.trash_purge, name="purge"),
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
