"""The contract every top-level resource keeps: list, create, read, update, delete, versions.

Each test runs once per resource in RESOURCES, as the workspace admin (who sees everything
in the workspace, so only the behaviour under test decides the answer).
"""

from __future__ import annotations

import pytest
from django.db.models import Model

from salesflow.core.models import AuditRecord, Trashable
from tests.api.conftest import RESOURCES, Resource, counts, ids
from tests.conftest import World

pytestmark = pytest.mark.parametrize("resource", RESOURCES, ids=str)


def test_list_includes_the_row(world: World, api_as, resource: Resource) -> None:
    # given
    row = resource.make(world)

    # when
    response = api_as(world.admin).get(resource.path)

    # then
    assert response.status_code == 200
    body = response.json()
    assert row.pk in ids(body["items"])
    assert body["next_cursor"] is None


def test_create_answers_201_with_the_new_row(world: World, api_as, resource: Resource) -> None:
    # given
    sent = resource.create_body(world)
    before = counts()

    # when
    response = api_as(world.admin).post(resource.path, sent)

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in sent} == sent
    assert body["version"] == 1
    assert body["created_by_id"] == body["updated_by_id"] == world.admin.user_id
    assert body["created_at"].endswith("Z")
    assert resource.model._default_manager.filter(pk=body["id"]).exists()
    assert counts()[resource.model.__name__] == before[resource.model.__name__] + 1
    assert AuditRecord.objects.filter(entity_id=body["id"], action="create").exists()


def test_read_answers_the_row(world: World, api_as, resource: Resource) -> None:
    # given
    row = resource.make(world)

    # when
    response = api_as(world.admin).get(f"{resource.path}/{row.pk}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["version"]) == (row.pk, 1)
    assert {"created_at", "updated_at", "created_by_id", "updated_by_id"} <= set(body)


def test_update_changes_only_the_fields_sent(world: World, api_as, resource: Resource) -> None:
    # given
    row = resource.make(world)
    api = api_as(world.admin)
    before = api.get(f"{resource.path}/{row.pk}").json()
    field, value = resource.change

    # when
    response = api.patch(f"{resource.path}/{row.pk}", {"version": 1, field: value})

    # then
    assert response.status_code == 200, response.json()
    after = response.json()
    assert after[field] == value
    assert after["version"] == 2
    unchanged = set(before) - {field, "version", "updated_at", "updated_by_id"}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert api.get(f"{resource.path}/{row.pk}").json() == after


def test_update_with_a_stale_version_is_409_and_changes_nothing(
    world: World, api_as, resource: Resource
) -> None:
    # given: the row is at version 1, the client believes it is at version 7
    row = resource.make(world)
    api = api_as(world.admin)
    before = api.get(f"{resource.path}/{row.pk}").json()
    audits = AuditRecord.objects.count()
    field, value = resource.change

    # when
    response = api.patch(f"{resource.path}/{row.pk}", {"version": 7, field: value})

    # then
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This record was changed by someone else. Reload it and try again.",
        "errors": [],
        "current_version": 1,
    }
    assert api.get(f"{resource.path}/{row.pk}").json() == before
    assert AuditRecord.objects.count() == audits


def test_update_without_a_version_is_422(world: World, api_as, resource: Resource) -> None:
    # given
    row = resource.make(world)
    field, value = resource.change

    # when
    response = api_as(world.admin).patch(f"{resource.path}/{row.pk}", {field: value})

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "version", "message": "This field is required."}]


def gone_or_trashed(model: type[Model], pk: int) -> bool:
    """Deleting removes a row, or moves it to the trash when its kind has one."""
    if issubclass(model, Trashable):
        return model._default_manager.get(pk=pk).trashed_at is not None
    return not model._default_manager.filter(pk=pk).exists()


def test_delete_answers_204_and_the_row_is_gone(world: World, api_as, resource: Resource) -> None:
    # given
    row = resource.make(world)
    api = api_as(world.admin)

    # when
    response = api.delete(f"{resource.path}/{row.pk}", version=1)

    # then
    assert response.status_code == 204
    assert response.content == b""
    assert gone_or_trashed(resource.model, row.pk)
    assert api.get(f"{resource.path}/{row.pk}").status_code == 404


def test_delete_without_a_version_deletes(world: World, api_as, resource: Resource) -> None:
    # given
    row = resource.make(world)

    # when
    response = api_as(world.admin).delete(f"{resource.path}/{row.pk}")

    # then
    assert response.status_code == 204
    assert gone_or_trashed(resource.model, row.pk)


def test_delete_with_a_stale_version_is_409_and_keeps_the_row(
    world: World, api_as, resource: Resource
) -> None:
    # given
    row = resource.make(world)
    before = counts()

    # when
    response = api_as(world.admin).delete(f"{resource.path}/{row.pk}", version=2)

    # then
    assert response.status_code == 409
    assert response.json()["current_version"] == 1
    assert counts() == before


def test_a_missing_id_is_404_for_read_update_and_delete(
    world: World, api_as, resource: Resource
) -> None:
    # given: an id no row has
    row = resource.make(world)
    missing = row.pk + 10_000
    api = api_as(world.admin)

    # when
    answers = [
        api.get(f"{resource.path}/{missing}"),
        api.patch(f"{resource.path}/{missing}", {"version": 1}),
        api.delete(f"{resource.path}/{missing}"),
    ]

    # then
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert answers[0].json() == {"detail": "Not found.", "errors": []}


def test_no_token_is_401_for_list_and_create(world: World, api_as, resource: Resource) -> None:
    # given
    api = api_as(world.admin)
    api.authorization = None
    sent = resource.create_body(world)
    before = counts()

    # when
    answers = [api.get(resource.path), api.post(resource.path, sent)]

    # then
    assert [a.status_code for a in answers] == [401, 401]
    assert counts() == before
