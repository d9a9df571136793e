"""Pages of the activities app."""

from django.urls import path

from salesflow.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("<int:activity_id>/done/", views.mark_done, name="done"),
    path("<int:activity_id>/reschedule/", views.reschedule, name="reschedule"),
    path("log/<int:customer_id>/", views.log_activity, name="log"),
]
