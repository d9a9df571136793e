from django.urls import path

from salesflow.api import api
from salesflow.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
]
