"""The REST API under /api/v1: the per-app routers assembled in one NinjaAPI."""

from ninja import NinjaAPI

api = NinjaAPI(title="Salesflow API", version="1", urls_namespace="api-v1")
