"""REST endpoints for the forecast (weighted, roll-up with adjustments, learned probability,
Monte Carlo) and the bottlenecks. Mounted beside `analytics.api` under /api/v1/analytics."""

import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salesflow.analytics import bottlenecks, forecast, montecarlo
from salesflow.analytics.api import RATIO, Ratio
from salesflow.analytics.cuts import CutParams
from salesflow.analytics.models import ForecastAdjustment
from salesflow.analytics.services import adjust_forecast
from salesflow.core.api import READ_ERRORS, WRITE_ERRORS, ApiRequest, InputSchema, Money
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS
from salesflow.pipeline.models import ForecastCategory

forecasts = Router(tags=["analytics"])


class Simulation(Schema):
    runs: int = Field(montecarlo.DEFAULT_RUNS, ge=100, le=100_000, description="Monte Carlo runs.")
    seed: int = Field(1, ge=0, description="Random seed: the same seed gives the same answer.")


class CategoryOut(Schema):
    category: ForecastCategory
    deals: int
    amount: Money
    weighted: Money = Field(description="Σ amount × win probability.")
    adjusted: Money | None = Field(
        description="The reader's own figure for this category, when they set one."
    )
    adjustment_note: str


class OwnerForecastOut(Schema):
    owner_id: int
    categories: list[CategoryOut]


class LearnedOut(Schema):
    stage_id: int
    name: str
    configured: int = Field(description="The stage's configured win probability, in %.")
    learned: Ratio | None = Field(
        description=f"Share of the deals closed in the last 365 days that reached the stage and "
        f"were won, {RATIO}; null when none reached it."
    )
    closed_deals: int = Field(description="How many closed deals the learned share rests on.")


class WonSpreadOut(Schema):
    p10: Money
    p50: Money
    p90: Money
    mean: Money


class MonthOut(Schema):
    first_day: datetime.date
    last_day: datetime.date
    won: WonSpreadOut


class MonteCarloOut(Schema):
    runs: int
    seed: int
    deals: int = Field(description="Open deals simulated.")
    aggregated_deals: int = Field(
        description="Of them, the smaller deals drawn in aggregate: each figure draws their sum "
        "from a distribution with its mean, variance and skewness (docs/analytics.md)."
    )
    aggregate_error: float = Field(
        description="Estimated largest shift, as a share (0.001 is a tenth of a percentile "
        "point), that the aggregate draw may cause in the rank of any percentile reported."
    )
    months: list[MonthOut]
    total: WonSpreadOut


class ForecastOut(Schema):
    pipeline_id: int
    first_day: datetime.date
    last_day: datetime.date
    categories: list[CategoryOut] = Field(
        description="Open deals expected to close in the period, by forecast category."
    )
    deals: int
    amount: Money
    weighted: Money
    by_owner: list[OwnerForecastOut]
    learned_probabilities: list[LearnedOut]
    monte_carlo: MonteCarloOut | None = Field(
        description="P10/P50/P90 of the amount won per month; null when the period is past."
    )


class AdjustmentIn(InputSchema):
    pipeline_id: int
    first_day: datetime.date
    last_day: datetime.date
    team_id: int | None = Field(None, description="The team whose roll-up this adjusts.")
    category: ForecastCategory
    amount: Decimal | None = Field(
        description="The manager's figure; null withdraws it.",
        max_digits=MAX_DIGITS + 6,
        decimal_places=DECIMAL_PLACES,
        ge=0,
    )
    note: str = Field("", max_length=2000)


class AdjustmentOut(Schema):
    id: int
    pipeline_id: int
    team_id: int | None
    first_day: datetime.date
    last_day: datetime.date
    category: ForecastCategory
    amount: Money
    note: str
    version: int


class BottleneckOut(Schema):
    kind: str = Field(description="conversion, time or rep.")
    stage_id: int
    stage: str
    measured: Ratio = Field(description="Conversion (a share) or median days, as measured.")
    baseline: Ratio = Field(description="What it is compared with.")
    sample: int = Field(description="Deals (or stays) the measured figure rests on.")
    explanation: str
    advice: str
    owner_id: int | None = Field(description="The rep, for kind rep.")


@forecasts.get("/forecast", response={200: ForecastOut, **READ_ERRORS})
def read_forecast(
    request: ApiRequest, params: Query[CutParams], simulation: Query[Simulation]
) -> dict[str, Any]:
    """Weighted pipeline by category and owner with the reader's adjustments, learned
    probabilities and the Monte Carlo spread, for the open deals of the period."""
    actor = request.auth
    cut = params.cut(actor)
    rolled = forecast.rollup(actor, cut, params.team_id)
    simulated = forecast.monte_carlo_forecast(
        actor, cut, runs=simulation.runs, seed=simulation.seed
    )
    result = simulated.forecast
    return {
        "pipeline_id": cut.pipeline_id,
        "first_day": cut.first_day,
        "last_day": cut.last_day,
        "categories": rolled.lines,
        "deals": rolled.deals,
        "amount": rolled.amount,
        "weighted": rolled.weighted,
        "by_owner": [
            {"owner_id": owner, "categories": lines}
            for owner, lines in sorted(rolled.by_owner.items())
        ],
        "learned_probabilities": forecast.learned_probabilities(actor, cut),
        "monte_carlo": None
        if result is None
        else {
            "runs": result.runs,
            "seed": result.seed,
            "deals": simulated.deals,
            "aggregated_deals": result.aggregated,
            "aggregate_error": result.aggregate_error,
            "months": [
                {"first_day": first, "last_day": last, "won": period.won}
                for (first, last), period in zip(simulated.months, result.periods, strict=True)
            ],
            "total": result.total,
        },
    }


@forecasts.put("/forecast/adjustments", response={200: AdjustmentOut, 204: None, **WRITE_ERRORS})
def put_adjustment(request: ApiRequest, payload: AdjustmentIn) -> ForecastAdjustment | Status[None]:
    """A manager's own figure for one category of their roll-up; the computed one is kept."""
    adjustment = adjust_forecast(request.auth, **payload.model_dump())
    return Status(204, None) if adjustment is None else adjustment


@forecasts.get("/bottlenecks", response={200: list[BottleneckOut], **READ_ERRORS})
def read_bottlenecks(request: ApiRequest, params: Query[CutParams]) -> list[Any]:
    """Stages below their own baseline and reps behind the report (docs/analytics.md)."""
    return bottlenecks.bottlenecks(request.auth, params.cut(request.auth))
