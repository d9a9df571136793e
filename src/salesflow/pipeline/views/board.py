"""The pipeline board: one column per open stage, filtered, loaded a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from salesflow.core.errors import NotFound
from salesflow.core.scoping import Actor
from salesflow.pipeline import queries
from salesflow.pipeline.forms import BoardFilterForm
from salesflow.pipeline.models import Deal, Pipeline, Stage, StageKind
from salesflow.web.pages import PageRequest, fragment_or_page, page


@dataclass(frozen=True)
class Column:
    stage: Stage
    total: queries.ColumnTotal
    cards: list[Deal]
    cursor: str | None


@dataclass(frozen=True)
class Board:
    """The board as the request asked for it: pipeline, filters, and the query string to keep."""

    form: BoardFilterForm
    pipeline: Pipeline
    filters: queries.BoardFilters
    query: str

    @property
    def stages(self) -> list[Stage]:
        return [s for s in self.pipeline.stages.all() if s.kind == StageKind.OPEN]


def read_board(request: PageRequest, pipeline_id: int | None = None) -> Board:
    """The board named by the request's query string (or the deal's pipeline, when given)."""
    form = BoardFilterForm(request.actor, request.GET)
    form.is_valid()
    pipeline = queries.board_pipeline(request.actor, pipeline_id or form.value("pipeline"))
    query = request.GET.copy()
    query.pop("after", None)
    return Board(form, pipeline, form.filters(pipeline.pk), query.urlencode())


def board_columns(actor: Actor, board: Board, stage_ids: set[int] | None = None) -> list[Column]:
    """The board's columns (only those of `stage_ids`, when given) with their first cards."""
    totals = queries.column_totals(actor, board.filters)
    columns = []
    for stage in board.stages:
        if stage_ids is None or stage.pk in stage_ids:
            cards, cursor = queries.column_cards(actor, board.filters, stage.pk)
            total = totals.get(stage.pk, queries.ColumnTotal(0, []))
            columns.append(Column(stage, total, cards, cursor))
    return columns


def board_context(actor: Actor, board: Board) -> dict[str, Any]:
    return {
        "board": board,
        "filter_form": board.form,
        "pipeline": board.pipeline,
        "stages": board.stages,
        "columns": board_columns(actor, board),
        "query": board.query,
    }


@page()
def board_page(request: PageRequest) -> HttpResponse:
    context = board_context(request.actor, read_board(request))
    return fragment_or_page(request, "pipeline/_board.html", "pipeline/board.html", context)


@page()
def column_page(request: PageRequest, stage_id: int) -> HttpResponse:
    """The next cards of one column, after the cursor: what scrolling down a column loads."""
    board = read_board(request)
    stage = next((s for s in board.stages if s.pk == stage_id), None)
    if stage is None:
        raise NotFound()
    cards, cursor = queries.column_cards(
        request.actor, board.filters, stage.pk, request.GET.get("after")
    )
    context = {"cards": cards, "cursor": cursor, "stage": stage, "stages": board.stages}
    return render(request, "pipeline/_cards.html", {**context, "query": board.query})
