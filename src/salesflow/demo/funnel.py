"""The life of one demo deal: when it enters each stage and how it ends.

The shape comes from the seed document on stage targets (004): of 100 prospects, 50 are
contacted, 20 analysed, 10 get a proposal, 5 reach negotiation and 3 sign. A pipeline with
another number of open stages gets the same curve, resampled.

`simulate_eventful` tells the longer stories a CRM gathers over years of use, which funnel
analytics are built to read: deals skip a stage, fall back and advance again, and lost or
signed deals come back to life.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from salesflow.pipeline.models import StageKind

# Share of deals reaching each step, first open stage to won, from the seed document.
FUNNEL_SHAPE = (1.0, 0.5, 0.2, 0.1, 0.05, 0.03)
# Spread of the time spent in a stage around its expected days (log-normal sigma).
DWELL_SIGMA = 0.6
# Chance that a deal stalls in a stage (waiting for a budget, a signature, a decision) and
# how many times its usual time it then waits: what keeps late stages from running dry.
STALL_CHANCE = 0.15
STALL_FACTOR = (2.0, 5.0)
# Chance that a deal which does not advance falls back one stage instead of being lost.
BACKWARD_CHANCE = 0.12
MAX_STEP_RATE = 0.95
WORKDAY_START_HOUR = 9
WORKDAY_END_HOUR = 18
# Chance that something which would fall on a weekend is done on the next Monday instead.
WEEKEND_SHIFT_CHANCE = 0.85
# Eventful lives: at each decision an open deal advances with this chance (before its
# conversion factor); otherwise it is lost with the chance below (the first open stage has
# its own, higher one) or falls back a stage (from the first one it waits and tries again).
EVENTFUL_ADVANCE = 0.45
EVENTFUL_LOST_FIRST = 0.25
EVENTFUL_LOST_LATER = 0.1
# An eventful deal decides more often: each stay lasts this share of a tidy deal's.
EVENTFUL_PACE = 0.5
# Chance that an advance jumps over the next open stage.
SKIP_CHANCE = 0.1
# Chance that a lost deal is taken up again, and after how many days; chance that a
# signature falls through and the deal goes back to the last open stage.
REOPEN_LOST_CHANCE = 0.35
REOPEN_AFTER_DAYS = (14.0, 150.0)
REOPEN_WON_CHANCE = 0.1
MAX_REOPENS = 3


@dataclass(frozen=True)
class StageInfo:
    """What the generator needs to know about a stage, read once from the database."""

    pk: int
    position: int
    kind: str
    probability: int
    expected_days: int
    exit_checklist: tuple[str, ...]


@dataclass(frozen=True)
class PipelineShape:
    """A pipeline's stages split by kind, with the chance to advance from each open stage."""

    pk: int
    open: tuple[StageInfo, ...]
    won: tuple[StageInfo, ...]
    lost: StageInfo | None
    step_rates: tuple[float, ...]

    @classmethod
    def of(cls, pk: int, stages: list[StageInfo]) -> PipelineShape:
        ordered = sorted(stages, key=lambda s: (s.position, s.pk))
        open_stages = tuple(s for s in ordered if s.kind == StageKind.OPEN)
        lost = [s for s in ordered if s.kind == StageKind.LOST]
        return cls(
            pk=pk,
            open=open_stages,
            won=tuple(s for s in ordered if s.kind == StageKind.WON),
            lost=lost[0] if lost else None,
            step_rates=step_rates(len(open_stages)),
        )


def reached_share(x: float) -> float:
    """Share of deals reaching a point `x` of the way (0 to 1) from first stage to won."""
    steps = len(FUNNEL_SHAPE) - 1
    low = min(int(x * steps), steps - 1)
    fraction = x * steps - low
    log_low, log_high = math.log(FUNNEL_SHAPE[low]), math.log(FUNNEL_SHAPE[low + 1])
    return math.exp(log_low + (log_high - log_low) * fraction)


def step_rates(open_count: int) -> tuple[float, ...]:
    """Chance to advance from each open stage to the next (the last one: to won)."""
    if open_count == 0:
        return ()
    shares = [reached_share(k / open_count) for k in range(open_count + 1)]
    return tuple(shares[k + 1] / shares[k] for k in range(open_count))


class Move(NamedTuple):
    from_stage: StageInfo | None
    to_stage: StageInfo
    at: datetime.datetime


@dataclass
class DealPath:
    """Every move of one deal in order; the last move's stage is where the deal stands."""

    moves: list[Move] = field(default_factory=list)
    closed_at: datetime.datetime | None = None
    open_index: int = 0

    @property
    def stage(self) -> StageInfo:
        return self.moves[-1].to_stage

    @property
    def entered_at(self) -> datetime.datetime:
        return self.moves[-1].at

    @property
    def outcome(self) -> str:
        return self.stage.kind

    def left_forward(self) -> list[StageInfo]:
        """Open stages the deal left by going forward: their exit checklists were ticked."""
        return [
            m.from_stage
            for m in self.moves
            if m.from_stage is not None
            and m.from_stage.kind == StageKind.OPEN
            and (m.to_stage.kind != StageKind.OPEN or m.to_stage.position > m.from_stage.position)
        ]


class Clock:
    """Turns "about N days later" into a moment inside office hours in the workspace's zone."""

    def __init__(self, rng: random.Random, zone: ZoneInfo) -> None:
        self.rng = rng
        self.zone = zone

    def office_time(self, moment: datetime.datetime) -> datetime.datetime:
        local = moment.astimezone(self.zone)
        day = local.date()
        if day.weekday() >= 5 and self.rng.random() < WEEKEND_SHIFT_CHANCE:
            day += datetime.timedelta(days=7 - day.weekday())
        return datetime.datetime.combine(
            day,
            datetime.time(
                self.rng.randrange(WORKDAY_START_HOUR, WORKDAY_END_HOUR),
                self.rng.randrange(60),
            ),
            tzinfo=self.zone,
        )

    def after(self, previous: datetime.datetime, days: float) -> datetime.datetime:
        """A working moment about `days` after `previous`, and always strictly after it."""
        moment = self.office_time(previous + datetime.timedelta(days=days))
        if moment <= previous:
            moment = previous + datetime.timedelta(minutes=self.rng.randint(5, 90))
        return moment

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        """A moment strictly inside (start, end), in office hours when one fits."""
        span = (end - start).total_seconds()
        raw = start + datetime.timedelta(seconds=span * self.rng.uniform(0.05, 0.95))
        moment = self.office_time(raw)
        if start < moment < end:
            return moment
        whole_minute = raw.replace(second=0, microsecond=0)
        return whole_minute if start < whole_minute else raw

    def dwell(self, expected_days: int) -> float:
        """Days spent in a stage: around its expected days, now and then much longer."""
        days = max(expected_days, 1) * self.rng.lognormvariate(0.0, DWELL_SIGMA)
        if self.rng.random() < STALL_CHANCE:
            days *= self.rng.uniform(*STALL_FACTOR)
        return max(0.05, days)


def simulate(
    clock: Clock,
    shape: PipelineShape,
    created: datetime.datetime,
    cutoff: datetime.datetime,
    conversion: float,
) -> DealPath:
    """Walk one deal from the first open stage until it closes or the anchor day arrives.

    `conversion` scales the chance to win from the first stage (spread evenly over the
    steps), so a strong rep or a referral wins more often.
    """
    rng = clock.rng
    step_factor = conversion ** (1 / len(shape.open))
    path = DealPath(moves=[Move(None, shape.open[0], created)])
    went_back = False
    while True:
        k = path.open_index
        current = shape.open[k]
        moment = clock.after(path.entered_at, clock.dwell(current.expected_days))
        if moment >= cutoff:
            return path
        rate = min(MAX_STEP_RATE, shape.step_rates[k] * step_factor)
        if rng.random() < rate:
            if k + 1 < len(shape.open):
                path.moves.append(Move(current, shape.open[k + 1], moment))
                path.open_index = k + 1
                continue
            if shape.won:
                path.moves.append(Move(current, shape.won[0], moment))
                path.closed_at = moment
                _after_signing(clock, shape, path, cutoff)
                return path
        if k > 0 and not went_back and rng.random() < BACKWARD_CHANCE:
            path.moves.append(Move(current, shape.open[k - 1], moment))
            path.open_index = k - 1
            went_back = True
            continue
        if shape.lost is None:
            return path
        path.moves.append(Move(current, shape.lost, moment))
        path.closed_at = moment
        return path


def _after_signing(
    clock: Clock, shape: PipelineShape, path: DealPath, cutoff: datetime.datetime
) -> None:
    """Follow the won stages after signing (to after-sales) as far as time allows."""
    moment = path.entered_at
    for previous, following in zip(shape.won, shape.won[1:], strict=False):
        moment = clock.after(moment, clock.dwell(previous.expected_days))
        if moment >= cutoff:
            return
        path.moves.append(Move(previous, following, moment))


def simulate_eventful(
    clock: Clock,
    shape: PipelineShape,
    created: datetime.datetime,
    cutoff: datetime.datetime,
    conversion: float,
) -> DealPath:
    """Walk one deal that may go forward, skip, fall back, close and reopen, up to the anchor.

    `conversion` scales the chance to advance from each open stage, as in `simulate`.
    """
    rng = clock.rng
    advance = min(MAX_STEP_RATE, EVENTFUL_ADVANCE * conversion ** (1 / len(shape.open)))
    path = DealPath(moves=[Move(None, shape.open[0], created)])
    reopens = 0
    while True:
        stage = path.stage
        if stage.kind == StageKind.LOST:
            if reopens == MAX_REOPENS or rng.random() >= REOPEN_LOST_CHANCE:
                return path
            moment = clock.after(path.entered_at, rng.uniform(*REOPEN_AFTER_DAYS))
            if moment >= cutoff:
                return path
            reopens += 1
            path.moves.append(Move(stage, shape.open[path.open_index], moment))
            path.closed_at = None
            continue
        moment = clock.after(path.entered_at, clock.dwell(stage.expected_days) * EVENTFUL_PACE)
        if moment >= cutoff:
            return path
        if stage.kind == StageKind.WON:
            if stage is shape.won[0] and reopens < MAX_REOPENS and rng.random() < REOPEN_WON_CHANCE:
                reopens += 1
                path.open_index = len(shape.open) - 1
                path.moves.append(Move(stage, shape.open[-1], moment))
                path.closed_at = None
                continue
            following = shape.won.index(stage) + 1
            if following == len(shape.won):
                return path
            path.moves.append(Move(stage, shape.won[following], moment))
            continue
        _decide(rng, shape, path, advance, moment)


def _decide(
    rng: random.Random,
    shape: PipelineShape,
    path: DealPath,
    advance: float,
    moment: datetime.datetime,
) -> None:
    """Where an open deal goes next in an eventful life; it may also stay where it is."""
    k = path.open_index
    current = shape.open[k]
    last = len(shape.open) - 1
    if rng.random() < advance:
        if k < last:
            step = 2 if k + 1 < last and rng.random() < SKIP_CHANCE else 1
            path.open_index = k + step
            path.moves.append(Move(current, shape.open[k + step], moment))
            return
        if shape.won:
            path.moves.append(Move(current, shape.won[0], moment))
            path.closed_at = moment
            return
    lost_chance = EVENTFUL_LOST_FIRST if k == 0 else EVENTFUL_LOST_LATER
    if shape.lost is not None and rng.random() < lost_chance:
        path.moves.append(Move(current, shape.lost, moment))
        path.closed_at = moment
    elif k > 0:
        path.open_index = k - 1
        path.moves.append(Move(current, shape.open[k - 1], moment))
