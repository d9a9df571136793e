"""Where the funnel leaks: stages and reps that fall well below their own baseline.

A stage is compared with the same stage over the four periods of equal length just before
(the workspace's own baseline); a rep with the whole cut (their team, for a manager). The
thresholds are in `Thresholds` and in docs/analytics.md: nothing is flagged on a handful of
deals, and each flag says what was measured, against what, and what usually helps.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from fractions import Fraction

from django.contrib.auth.models import User
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salesflow.analytics.queries import Cut, Funnel, cohort_funnel, time_in_stage
from salesflow.core.scoping import Actor
from salesflow.pipeline.models import StageKind

BASELINE_PERIODS = 4


@dataclass(frozen=True)
class Thresholds:
    """When a difference is worth a manager's attention."""

    conversion_ratio: Fraction = Fraction(4, 5)  # below 80 % of the baseline's conversion
    time_ratio: Fraction = Fraction(3, 2)  # median stay above 150 % of the baseline's
    rep_ratio: Fraction = Fraction(7, 10)  # a rep below 70 % of the team's conversion
    min_deals: int = 20  # deals that reached the stage, in the period and in the baseline
    min_stays: int = 10  # stays that ended, in the period and in the baseline
    min_rep_deals: int = 10  # deals of the rep that reached the stage


@dataclass(frozen=True)
class Bottleneck:
    kind: str  # "conversion", "time" or "rep"
    stage_id: int
    stage: str
    measured: Fraction
    baseline: Fraction
    sample: int
    explanation: str | Promise
    advice: str | Promise
    owner_id: int | None = None


def baseline_cut(cut: Cut) -> Cut:
    """The four periods of the same length just before the cut's period, together."""
    length = (cut.last_day - cut.first_day).days + 1
    last = cut.first_day - datetime.timedelta(days=1)
    first = cut.first_day - datetime.timedelta(days=length * BASELINE_PERIODS)
    return dataclasses.replace(cut, first_day=first, last_day=last)


def advice_for(position: int, open_stages: int) -> Promise:
    """What usually helps when deals do not leave this stage, by where it sits in the funnel."""
    if position == open_stages - 1:
        return _(
            "Few deals close from here: work on negotiation (prepare concessions and the "
            "decision maker's criteria) and on after-sales, which wins the next deal."
        )
    if position == 0:
        return _(
            "Few new deals get a first real contact: check the sources and the qualification "
            "(budget, authority, need, timing) of what comes in, and step up outreach."
        )
    if position == 1:
        return _(
            "Deals stop after the first contact: needs discovery is weak. Prepare discovery "
            "questions, listen more than you present, and write the customer's needs down."
        )
    return _(
        "Deals stop in the middle of the process: tailor the proposal to the needs found, "
        "show the product working, and bring in the people who decide."
    )


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.1f}"


def bottlenecks(actor: Actor, cut: Cut, thresholds: Thresholds | None = None) -> list[Bottleneck]:
    """Stages whose conversion or time in stage fell well below the baseline; reps behind."""
    limits = thresholds or Thresholds()
    now = cohort_funnel(actor, cut, by_owner=True)
    whole = cohort_funnel(actor, cut)[None]
    before = cohort_funnel(actor, baseline_cut(cut))[None]
    open_rows = [r for r in whole.stages if r.kind == StageKind.OPEN]
    found: list[Bottleneck] = []
    for position, row in enumerate(open_rows):
        past = before.stages[position]
        advice = advice_for(position, len(open_rows))
        if (
            row.conversion_to_next is not None
            and past.conversion_to_next
            and min(row.count, past.count) >= limits.min_deals
            and row.conversion_to_next < past.conversion_to_next * limits.conversion_ratio
        ):
            found.append(
                Bottleneck(
                    "conversion",
                    row.stage_id,
                    row.name,
                    row.conversion_to_next,
                    past.conversion_to_next,
                    row.count,
                    _(
                        "%(measured)s %% of the deals that reached “%(stage)s” went further, "
                        "against %(baseline)s %% in the four periods before."
                    )
                    % {
                        "measured": _percent(row.conversion_to_next),
                        "stage": row.name,
                        "baseline": _percent(past.conversion_to_next),
                    },
                    advice,
                )
            )
    found.extend(_slow_stages(actor, cut, limits))
    found.extend(_reps_behind(now, whole, limits))
    return found


def _slow_stages(actor: Actor, cut: Cut, limits: Thresholds) -> list[Bottleneck]:
    past = {t.stage_id: t.days for t in time_in_stage(actor, baseline_cut(cut))}
    found = []
    for current in time_in_stage(actor, cut):
        before = past[current.stage_id]
        if (
            current.days.median is not None
            and before.median
            and min(current.days.count, before.count) >= limits.min_stays
            and current.days.median > before.median * limits.time_ratio
        ):
            found.append(
                Bottleneck(
                    "time",
                    current.stage_id,
                    current.name,
                    current.days.median,
                    before.median,
                    current.days.count,
                    _(
                        "Deals stayed a median of %(measured)s days in “%(stage)s”, against "
                        "%(baseline)s days in the four periods before."
                    )
                    % {
                        "measured": f"{float(current.days.median):.1f}",
                        "stage": current.name,
                        "baseline": f"{float(before.median):.1f}",
                    },
                    _(
                        "Deals stall here: agree a dated next step at every contact, follow up "
                        "sooner, and check that the stage's playbook is being used."
                    ),
                )
            )
    return found


def _reps_behind(
    now: dict[int | None, Funnel], whole: Funnel, limits: Thresholds
) -> list[Bottleneck]:
    names = {
        user.pk: user.get_full_name() or user.username
        for user in User.objects.filter(pk__in=[o for o in now if o is not None])
    }
    found = []
    for owner, funnel in now.items():
        if owner is None or len(now) < 2:
            continue
        for row, team in zip(funnel.stages, whole.stages, strict=True):
            if (
                row.kind == StageKind.OPEN
                and row.conversion_to_next is not None
                and team.conversion_to_next
                and row.count >= limits.min_rep_deals
                and row.conversion_to_next < team.conversion_to_next * limits.rep_ratio
            ):
                found.append(
                    Bottleneck(
                        "rep",
                        row.stage_id,
                        row.name,
                        row.conversion_to_next,
                        team.conversion_to_next,
                        row.count,
                        _(
                            "%(rep)s moved %(measured)s %% of their deals on from “%(stage)s”, "
                            "against %(baseline)s %% for everyone in the report."
                        )
                        % {
                            "rep": names.get(owner, str(owner)),
                            "measured": _percent(row.conversion_to_next),
                            "stage": row.name,
                            "baseline": _percent(team.conversion_to_next),
                        },
                        _(
                            "Coach this stage: review a few of these deals together and pair the "
                            "rep with a colleague who converts well here."
                        ),
                        owner_id=owner,
                    )
                )
    return found
