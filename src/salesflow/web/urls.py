from django.contrib.auth import views as auth_views
from django.urls import include, path

from salesflow.web import notifications, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("workspace/", views.switch_workspace, name="switch_workspace"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/count/", notifications.bell_count, name="notifications_count"),
    path("notifications/menu/", notifications.menu, name="notifications_menu"),
    path("notifications/read/", notifications.mark_all_read, name="notifications_read_all"),
    path(
        "notifications/<int:notification_id>/read/",
        notifications.mark_read,
        name="notification_read",
    ),
    path("deals/", include("salesflow.pipeline.urls")),
    path("customers/", include("salesflow.customers.urls")),
    path("activities/", include("salesflow.activities.urls")),
    path("analytics/", include("salesflow.analytics.urls")),
    path("settings/custom-fields/", include("salesflow.customers.customfield_urls")),
    path("settings/", include("salesflow.core.urls")),
]
