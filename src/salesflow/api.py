"""The REST API under /api/v1: the per-app routers assembled in one NinjaAPI."""

from ninja import NinjaAPI

from salesflow.activities.api import activities
from salesflow.analytics.api import analytics
from salesflow.analytics.forecast_api import forecasts
from salesflow.core.api import BearerToken, register_error_handlers
from salesflow.customers.api import contacts, customers
from salesflow.customers.shortcuts_api import customer_shortcuts
from salesflow.pipeline.api import deals, lost_reasons, pipelines

api = NinjaAPI(
    title="Salesflow API",
    version="1",
    urls_namespace="api-v1",
    auth=BearerToken(),
    description="Send `Authorization: Bearer <token>`. Lists page with `limit` and `cursor`.",
)
register_error_handlers(api)
# Before the customers router, whose /customers/{customer_id} would take "shortcuts".
api.add_router("/customers", customer_shortcuts)
api.add_router("/customers", customers)
api.add_router("/contacts", contacts)
api.add_router("/pipelines", pipelines)
api.add_router("/lost-reasons", lost_reasons)
api.add_router("/deals", deals)
api.add_router("/activities", activities)
api.add_router("/analytics", analytics)
api.add_router("/analytics", forecasts)
