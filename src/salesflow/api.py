"""The REST API under /api/v1: the per-app routers assembled in one NinjaAPI."""

from ninja import NinjaAPI

from salesflow.activities.api import activities
from salesflow.analytics.api import analytics
from salesflow.analytics.forecast_api import forecasts
from salesflow.core.api import BearerToken, register_error_handlers
from salesflow.core.notifications_api import router as notifications
from salesflow.customers.api import contacts, customers
from salesflow.customers.customfield_api import custom_fields
from salesflow.customers.duplicate_api import duplicates
from salesflow.customers.duplicate_schemas import register_duplicate_handler
from salesflow.customers.organise_api import categories, selections, tags
from salesflow.customers.pool_api import router as pool
from salesflow.customers.protection_api import contact_reveals, customer_locks, trash_router
from salesflow.customers.shortcuts_api import customer_shortcuts
from salesflow.customers.transfer_api import exports_router, imports_router
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
register_duplicate_handler(api)
# Before the customers' own routes, whose /{customer_id} would take /duplicate-groups.
api.add_router("/customers", duplicates)
api.add_router("/customers", customers)
api.add_router("/customers", customer_locks)
api.add_router("/customers", selections)
api.add_router("/contacts", contacts)
api.add_router("/contacts", contact_reveals)
api.add_router("/trash", trash_router)
api.add_router("/custom-fields", custom_fields)
api.add_router("/imports", imports_router)
api.add_router("/exports", exports_router)
api.add_router("/pool", pool)
api.add_router("/categories", categories)
api.add_router("/tags", tags)
api.add_router("/pipelines", pipelines)
api.add_router("/lost-reasons", lost_reasons)
api.add_router("/deals", deals)
api.add_router("/activities", activities)
api.add_router("/analytics", analytics)
api.add_router("/analytics", forecasts)
api.add_router("/notifications", notifications)
