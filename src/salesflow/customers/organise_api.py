"""REST endpoints for the customer category tree, tags, and changes to a selection of
customers (move to a category, add or remove a tag) in one call."""

from __future__ import annotations

from typing import Annotated, Literal

from django.db.models import QuerySet
from ninja import Field, Router, Schema
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
from salesflow.customers import categories as tree
from salesflow.customers import tags as labels
from salesflow.customers.models import Category, Tag, TagColour
from salesflow.customers.selection import MAX_SELECTED

categories = Router(tags=["categories"])
tags = Router(tags=["tags"])
selections = Router(tags=["customers"])


class CategoryOut(RecordOut):
    name: str
    parent_id: int | None
    position: int = Field(description="Place among its siblings, from 1.")
    depth: int = Field(description="0 at the top level, 1 below it, and so on.")


class CategoryCreate(InputSchema):
    name: str = column(Category, "name", required=True)
    parent_id: int | None = column(Category, "parent_id", description="None: the top level.")


class CategoryRename(VersionedInput):
    name: str = column(Category, "name", required=True)


class CategoryMove(VersionedInput):
    parent_id: int | None = Field(..., description="The new parent; null for the top level.")
    position: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Place among the new siblings, 1 first; omitted: last."
    )


@categories.get("", response={200: list[CategoryOut], **READ_ERRORS})
def list_categories(request: ApiRequest) -> list[Category]:
    """The whole tree, depth first: each category before its sub-categories, siblings in
    their order. A workspace holds at most 1000 categories, so it comes in one answer."""
    return [node.category for node in tree.flatten(tree.tree(request.auth))]


@categories.post("", response={201: CategoryOut, **WRITE_ERRORS})
def create_category(request: ApiRequest, payload: CategoryCreate) -> Status[Category]:
    category = tree.create_category(request.auth, payload.model_dump(exclude_unset=True))
    return Status(201, category)


@categories.get("/{category_id}", response={200: CategoryOut, **READ_ERRORS})
def read_category(request: ApiRequest, category_id: int) -> Category:
    return tree.category(request.auth, category_id)


@categories.patch("/{category_id}", response={200: CategoryOut, **WRITE_ERRORS})
def rename_category(request: ApiRequest, category_id: int, payload: CategoryRename) -> Category:
    return tree.rename_category(request.auth, category_id, payload.version, changes(payload))


@categories.post("/{category_id}/move", response={200: CategoryOut, **WRITE_ERRORS})
def move_category(request: ApiRequest, category_id: int, payload: CategoryMove) -> Category:
    """Move under another parent, or to another place among the same siblings; the whole
    subtree comes along. Refused under itself or one of its sub-categories."""
    return tree.move_category(
        request.auth, category_id, payload.version, payload.parent_id, payload.position
    )


@categories.delete("/{category_id}", response={204: None, **WRITE_ERRORS})
def delete_category(
    request: ApiRequest, category_id: int, version: int | None = None
) -> Status[None]:
    """Refused (422) while customers or sub-categories are filed under it."""
    tree.delete_category(request.auth, category_id, version)
    return Status(204, None)


class TagOut(RecordOut):
    name: str
    colour: TagColour | Literal[""]


class TagRef(Schema):
    """A tag as a customer carries it."""

    id: int
    name: str
    colour: TagColour | Literal[""]


class TagFields(InputSchema):
    name: str = column(Tag, "name")
    colour: TagColour | Literal[""] = column(Tag, "colour")


class TagCreate(TagFields):
    name: str = column(Tag, "name", required=True)


class TagUpdate(TagFields, VersionedInput):
    pass


@tags.get("", response={200: list[TagOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=("name", "created_at", "id"), default="name")
def list_tags(request: ApiRequest) -> QuerySet[Tag]:
    return labels.tags(request.auth)


@tags.post("", response={201: TagOut, **WRITE_ERRORS})
def create_tag(request: ApiRequest, payload: TagCreate) -> Status[Tag]:
    return Status(201, labels.create_tag(request.auth, payload.model_dump(exclude_unset=True)))


@tags.get("/{tag_id}", response={200: TagOut, **READ_ERRORS})
def read_tag(request: ApiRequest, tag_id: int) -> Tag:
    return labels.tag(request.auth, tag_id)


@tags.patch("/{tag_id}", response={200: TagOut, **WRITE_ERRORS})
def update_tag(request: ApiRequest, tag_id: int, payload: TagUpdate) -> Tag:
    return labels.update_tag(request.auth, tag_id, payload.version, changes(payload))


@tags.delete("/{tag_id}", response={204: None, **WRITE_ERRORS})
def delete_tag(request: ApiRequest, tag_id: int, version: int | None = None) -> Status[None]:
    """The tag comes off every customer carrying it."""
    labels.delete_tag(request.auth, tag_id, version)
    return Status(204, None)


SelectedIds = Annotated[
    list[int],
    Field(
        min_length=1,
        max_length=MAX_SELECTED,
        description="Customers you see; one you do not see refuses the whole call.",
    ),
]


class MoveSelection(InputSchema):
    customer_ids: SelectedIds
    category_id: int | None = Field(..., description="The category; null for none.")


class TagSelection(InputSchema):
    customer_ids: SelectedIds
    tag_id: int


class Changed(Schema):
    changed: int = Field(description="How many customers changed (the others already were so).")


@selections.post("/bulk/category", response={200: Changed, **WRITE_ERRORS})
def move_customers(request: ApiRequest, payload: MoveSelection) -> Changed:
    """File every selected customer under one category, all or none of them."""
    moved = tree.move_customers(request.auth, payload.customer_ids, payload.category_id)
    return Changed(changed=moved)


@selections.post("/bulk/tags/add", response={200: Changed, **WRITE_ERRORS})
def tag_customers(request: ApiRequest, payload: TagSelection) -> Changed:
    return Changed(changed=labels.tag_customers(request.auth, payload.customer_ids, payload.tag_id))


@selections.post("/bulk/tags/remove", response={200: Changed, **WRITE_ERRORS})
def untag_customers(request: ApiRequest, payload: TagSelection) -> Changed:
    untagged = labels.untag_customers(request.auth, payload.customer_ids, payload.tag_id)
    return Changed(changed=untagged)
