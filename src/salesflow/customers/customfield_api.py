"""REST endpoints for custom field definitions: every member reads them, admins manage them."""

import datetime
from decimal import Decimal

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from salesflow.core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRequest,
    InputSchema,
    RecordOut,
    VersionedInput,
    changes,
    column,
)
from salesflow.core.pagination import KeysetPagination
from salesflow.core.scoping import get_visible
from salesflow.customers import customfield_services as services
from salesflow.customers.customfields import visible_definitions
from salesflow.customers.models import CustomField, CustomFieldEntity, CustomFieldType

custom_fields = Router(tags=["custom fields"])

ORDERINGS = ("position", "key", "id")
TYPES = (
    "text (one line), long_text, number (decimal_places 0–6), money (the workspace's "
    "currency, 2 places), date, single_choice, multiple_choice (both need options), yes_no."
)


class OptionSchema(Schema):
    key: str = Field(
        "", max_length=40, description="Stable slug; made from the label if left empty."
    )
    label: str = Field(max_length=100)
    retired: bool = Field(False, description="Kept on records that hold it; not offered anew.")


class CustomFieldOut(RecordOut):
    entity: CustomFieldEntity
    key: str
    label: str
    type: CustomFieldType = Field(description=TYPES)
    required: bool
    help_text: str
    position: int
    options: list[OptionSchema]
    max_length: int | None
    pattern: str
    pattern_message: str
    min_value: Decimal | None
    max_value: Decimal | None
    decimal_places: int
    min_date: datetime.date | None
    max_date: datetime.date | None
    shown_in_list: bool
    archived: bool


class CustomFieldSettings(InputSchema):
    """Every setting a client may send; only the ones it sent reach the service."""

    label: str = column(CustomField, "label")
    type: CustomFieldType = Field(CustomFieldType.TEXT, description=TYPES)
    required: bool = column(CustomField, "required")
    help_text: str = column(CustomField, "help_text")
    position: int | None = Field(None, description="Defaults to after the last field.")
    options: list[OptionSchema] = Field(default_factory=list)
    max_length: int | None = Field(None, description="text (≤ 255) and long_text (≤ 10000).")
    pattern: str = column(
        CustomField, "pattern", description="text: a regular expression the whole value matches."
    )
    pattern_message: str = column(
        CustomField, "pattern_message", description="What to say when the pattern fails."
    )
    min_value: Decimal | None = Field(None, description="number and money.")
    max_value: Decimal | None = Field(None, description="number and money.")
    decimal_places: int = Field(0, description="number: 0 to 6.")
    min_date: datetime.date | None = Field(None, description="date.")
    max_date: datetime.date | None = Field(None, description="date.")
    shown_in_list: bool = column(
        CustomField, "shown_in_list", description="A column of the customer and deal lists."
    )
    archived: bool = column(
        CustomField, "archived", description="Hidden from forms; stored values are kept."
    )


class CustomFieldCreate(CustomFieldSettings):
    entity: CustomFieldEntity
    key: str = Field(
        "",
        max_length=40,
        description="Lower-case slug, unique per entity, never changed; made from the label "
        "(its pinyin for Chinese) if left empty.",
    )
    label: str = column(CustomField, "label", required=True)
    type: CustomFieldType = Field(description=TYPES)


class CustomFieldUpdate(CustomFieldSettings, VersionedInput):
    pass


class OrderIn(InputSchema):
    entity: CustomFieldEntity
    field_ids: list[int] = Field(description="Every field of the entity, in the new order.")


class DefinitionFilter(Schema):
    entity: CustomFieldEntity | None = None


@custom_fields.get("", response={200: list[CustomFieldOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=ORDERINGS, default="position")
def list_custom_fields(
    request: ApiRequest, filters: Query[DefinitionFilter]
) -> QuerySet[CustomField]:
    """The workspace's custom fields (archived ones too), for one entity if asked."""
    return visible_definitions(request.auth, filters.entity)


@custom_fields.post("", response={201: CustomFieldOut, **WRITE_ERRORS})
def create_custom_field(request: ApiRequest, payload: CustomFieldCreate) -> Status[CustomField]:
    field = services.create_field(request.auth, payload.model_dump(exclude_unset=True))
    return Status(201, field)


@custom_fields.put("/order", response={200: list[CustomFieldOut], **WRITE_ERRORS})
def order_custom_fields(request: ApiRequest, payload: OrderIn) -> list[CustomField]:
    return services.reorder_fields(request.auth, payload.entity, payload.field_ids)


@custom_fields.get("/{field_id}", response={200: CustomFieldOut, **READ_ERRORS})
def read_custom_field(request: ApiRequest, field_id: int) -> CustomField:
    return get_visible(CustomField, request.auth, field_id)


@custom_fields.patch("/{field_id}", response={200: CustomFieldOut, **WRITE_ERRORS})
def update_custom_field(
    request: ApiRequest, field_id: int, payload: CustomFieldUpdate
) -> CustomField:
    """A field holding values keeps its type; options can be retired, not removed."""
    return services.update_field(request.auth, field_id, payload.version, changes(payload))


@custom_fields.delete("/{field_id}", response={204: None, **WRITE_ERRORS})
def delete_custom_field(
    request: ApiRequest, field_id: int, version: int | None = None
) -> Status[None]:
    """Only a field no record holds a value of; archive the others."""
    services.delete_field(request.auth, field_id, version)
    return Status(204, None)
