"""Pages of the customers app."""

from django.urls import path

from salesflow.customers import transfer_views, views

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
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/contacts/new/", views.contact_create, name="contact_create"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
]
