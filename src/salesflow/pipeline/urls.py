"""Pages of the pipeline app."""

from django.urls import path

from salesflow.pipeline.views import board, deal, moves, new, table

app_name = "pipeline"
urlpatterns = [
    path("board/", board.board_page, name="board"),
    path("list/", table.deal_list, name="list"),
    path("board/columns/<int:stage_id>/", board.column_page, name="column"),
    path("new/", new.new_deal, name="new"),
    path("new/customers/", new.customer_options, name="customer_options"),
    path("<int:deal_id>/", deal.deal_page, name="deal"),
    path("<int:deal_id>/edit/", deal.edit_deal, name="edit"),
    path("<int:deal_id>/checklist/", deal.tick_checklist, name="checklist"),
    path("<int:deal_id>/reopen/", deal.reopen_deal, name="reopen"),
    path("<int:deal_id>/move/", moves.move_deal, name="move"),
]
