from django.urls import include, path

from salesflow.api import api
from salesflow.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("", include("salesflow.web.urls")),
]
