"""One demo customer with everything around it: contacts, deals, their moves and activities.

Rows are plain records, not model instances: building and saving millions of model
instances costs many times what the database itself spends. They point at each other as
objects; the writer gives the parents their keys when it inserts them, parents first.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from salesflow.activities.models import ActivityKind
from salesflow.customers.models import (
    CompanySize,
    CustomerKind,
    DecisionRole,
    Lifecycle,
)
from salesflow.demo.funnel import (
    Clock,
    DealPath,
    Move,
    PipelineShape,
    StageInfo,
    simulate,
    simulate_eventful,
)
from salesflow.demo.names import (
    Company,
    Person,
    address,
    company_name,
    landline,
    mobile,
    person_name,
)
from salesflow.demo.people import Seller
from salesflow.demo.vocabulary import (
    CUSTOMER_NOTES,
    INDUSTRIES,
    LOST_NOTES,
    NEXT_STEPS,
    PERSONAL_MAIL_DOMAINS,
    PERSONAL_PRODUCTS,
    PHASE_ACTIVITIES,
    PRODUCTS,
    SOURCE_CHANNELS,
    TASK_SUBJECTS,
    TITLES,
    City,
)
from salesflow.pipeline.models import StageKind

# How many deals a customer has had (index = count), as relative weights.
DEALS_PER_CUSTOMER = (10, 50, 23, 10, 4, 3)
CONTACTS_PER_COMPANY = (0, 30, 35, 25, 10)
PERSON_CUSTOMER_SHARE = 0.15
# Share of customers with an English name, by whether the workspace speaks Chinese.
FOREIGN_SHARE = {True: 0.1, False: 0.65}
SIZE_WEIGHTS = {
    CompanySize.MICRO: 22,
    CompanySize.SMALL: 35,
    CompanySize.MEDIUM: 24,
    CompanySize.LARGE: 11,
    CompanySize.ENTERPRISE: 8,
}
# Median deal amount by customer size (a person buys for themselves: "").
MEDIAN_AMOUNT = {
    CompanySize.MICRO: 30_000,
    CompanySize.SMALL: 80_000,
    CompanySize.MEDIUM: 200_000,
    CompanySize.LARGE: 450_000,
    CompanySize.ENTERPRISE: 900_000,
    "": 20_000,
}
AMOUNT_SIGMA = 0.7
# A customer who has bought before is easier to sell to again.
REPEAT_CUSTOMER_BONUS = 1.5
# Conversion by source channel: referrals close more often than cold online ads.
CHANNEL_CONVERSION = {
    "转介绍": 1.35,
    "合作伙伴": 1.2,
    "展会": 1.05,
    "官网咨询": 1.0,
    "社交媒体": 0.9,
    "电话营销": 0.85,
    "线上广告": 0.8,
}
# Half the deals are spread evenly over the history, half lean to recent months (growth).
GROWTH_SHARE = 0.5
# In an eventful history, how many deals start in each month, January first, relative to the
# busiest: quiet around the Spring Festival and the October holidays, busy at quarter ends.
SEASON = (0.85, 0.6, 1.0, 0.9, 0.85, 1.0, 0.85, 0.8, 0.95, 0.75, 0.9, 1.0)
# In an eventful history, the chance that a move into an open or won stage is followed by an
# activity: long histories with every call logged would make activities outgrow everything.
EVENTFUL_ACTIVITY_SHARE = 0.12
OPEN_TASK_SHARE = 0.7
DONE_TASK_SHARE = 0.2
BIRTHDAY_SHARE = 0.35
SLIPPED_CLOSE_DATE_SHARE = 0.15
LOST_REASON_WEIGHTS = (30, 25, 15, 15, 10, 5)


@dataclass(frozen=True)
class World:
    """Everything fixed for one seeding run, read from the workspace once."""

    workspace_id: int
    currency: str
    chinese: bool
    zone: ZoneInfo
    shape: PipelineShape
    lost_reason_ids: tuple[int, ...]
    sellers: tuple[Seller, ...]
    window_start: datetime.datetime
    cutoff: datetime.datetime
    eventful: bool = False


@dataclass(slots=True, eq=False)
class CustomerRow:
    """A customer to insert; `pk` is given when its batch is written.

    `owner_id` is the rep who created it and followed it up; once `released_at` is set
    (by `demo.accounts`) the customer is in the public pool and has no owner.
    """

    kind: str
    name: str
    region: str
    owner_id: int
    phone: str
    email: str
    address: str
    created_at: datetime.datetime
    industry: str = ""
    size: str = ""
    website: str = ""
    source_channel: str = ""
    lifecycle: str = Lifecycle.PROSPECT
    # When its first deal was won, which made it a customer.
    customer_since: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    locked_at: datetime.datetime | None = None
    next_service_on: datetime.date | None = None
    # In clear text; encrypted when written.
    bank_account: str = ""
    released_at: datetime.datetime | None = None
    release_reason: str = ""
    pk: int = 0

    @property
    def current_owner_id(self) -> int | None:
        return None if self.released_at else self.owner_id

    @property
    def owner_since(self) -> datetime.datetime:
        """When the current owner got it, or when it entered the pool."""
        return self.released_at or self.created_at


@dataclass(slots=True, eq=False)
class ContactRow:
    """A contact, created (and last changed) by the customer's owner."""

    customer: CustomerRow
    name: str
    phones: list[str]
    emails: list[str]
    birthday: datetime.date | None
    decision_role: str
    created_by_id: int
    created_at: datetime.datetime
    title: str = ""
    pk: int = 0


@dataclass(slots=True, eq=False)
class DealRow:
    """A deal and its moves; it was created at its first move and last changed at its last."""

    name: str
    customer: CustomerRow
    contact: ContactRow
    stage_id: int
    owner_id: int
    amount: Decimal
    expected_close_date: datetime.date
    probability: int
    next_step: str
    lost_reason_id: int | None
    lost_note: str
    checklist: dict[str, list[str]]
    moves: list[Move]
    closed_at: datetime.datetime | None
    pk: int = 0


@dataclass(slots=True, eq=False)
class ActivityRow:
    """An activity, created (and last changed) by its owner at `created_at`."""

    kind: str
    subject: str
    outcome: str
    customer: CustomerRow
    contact: ContactRow | None
    deal: DealRow | None
    owner_id: int
    created_at: datetime.datetime
    done_at: datetime.datetime | None = None
    due_at: datetime.datetime | None = None


@dataclass
class Bundle:
    """A customer and the rows that hang from it, in insertion order."""

    customer: CustomerRow
    contacts: list[ContactRow] = field(default_factory=list)
    deals: list[DealRow] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)


def probability(stage: StageInfo) -> int:
    """What the deal services store on entering a stage: 100 once won, 0 once lost."""
    if stage.kind == StageKind.WON:
        return 100
    if stage.kind == StageKind.LOST:
        return 0
    return stage.probability


class CustomerBuilder:
    """Draws customers one after another from a single random stream, so a seed repeats."""

    def __init__(self, rng: random.Random, world: World) -> None:
        self.rng = rng
        self.world = world
        self.clock = Clock(rng, world.zone)
        self.hanzi = world.chinese
        self.open_index = {s.pk: k for k, s in enumerate(world.shape.open)}
        self.seller_loads = [s.load for s in world.sellers]
        self.industry_weights = [i.weight for i in INDUSTRIES]
        self.channel_weights = [c.weight for c in SOURCE_CHANNELS]
        self.title_weights = [t.weight for t in TITLES]
        self.reason_weights = [
            LOST_REASON_WEIGHTS[i] if i < len(LOST_REASON_WEIGHTS) else 5
            for i in range(len(world.lost_reason_ids))
        ]

    def bundles(self, total_deals: int) -> Iterator[Bundle]:
        remaining = total_deals
        while remaining > 0:
            count = self.rng.choices(range(len(DEALS_PER_CUSTOMER)), DEALS_PER_CUSTOMER)[0]
            count = min(count, remaining)
            remaining -= count
            yield self.bundle(count)

    def bundle(self, deal_count: int) -> Bundle:
        rng, world = self.rng, self.world
        seller = rng.choices(world.sellers, self.seller_loads)[0]
        city = seller.cities[0] if rng.random() < 0.6 else rng.choice(seller.cities)
        chinese_name = rng.random() >= FOREIGN_SHARE[world.chinese]
        channel = rng.choices(SOURCE_CHANNELS, self.channel_weights)[0]
        deal_times = sorted(self._deal_created() for _ in range(deal_count))
        if deal_times:
            created = deal_times[0] - datetime.timedelta(days=rng.uniform(1, 45))
        else:
            created = self._deal_created()
        if rng.random() < PERSON_CUSTOMER_SHARE:
            bundle, short = self._person(seller, city, chinese_name, created)
        else:
            bundle, short = self._company(seller, city, chinese_name, created)
        bundle.customer.source_channel = channel.word.text(world.chinese)
        conversion = seller.skill * CHANNEL_CONVERSION.get(channel.word.zh, 1.0)
        won_at: list[datetime.datetime] = []
        life = simulate_eventful if world.eventful else simulate
        for deal_created in deal_times:
            repeat = REPEAT_CUSTOMER_BONUS if any(w < deal_created for w in won_at) else 1.0
            path = life(self.clock, world.shape, deal_created, world.cutoff, conversion * repeat)
            if path.closed_at is not None and path.outcome == StageKind.WON:
                won_at.append(path.closed_at)
            self._deal(bundle, seller, path, short)
        if not deal_times and rng.random() < 0.6:
            self._activity(
                bundle,
                seller,
                None,
                phase=0,
                start=created,
                end=created + datetime.timedelta(days=7),
            )
        if rng.random() < 0.25:
            note = rng.choice(CUSTOMER_NOTES).text(self.hanzi)
            at = min(
                world.cutoff - datetime.timedelta(hours=1),
                self.clock.after(created, rng.uniform(1, 30)),
            )
            self._add_activity(
                bundle, seller, None, kind=ActivityKind.NOTE, subject=note, outcome="", at=at
            )
        customer = bundle.customer
        # Winning a deal makes a prospect a customer, and reopening it later does not undo that.
        customer.customer_since = min(
            (m.at for d in bundle.deals for m in d.moves if m.to_stage.kind == StageKind.WON),
            default=None,
        )
        customer.lifecycle = Lifecycle.CUSTOMER if customer.customer_since else Lifecycle.PROSPECT
        customer.updated_at = customer.customer_since or created
        return bundle

    def _deal_created(self) -> datetime.datetime:
        rng, world = self.rng, self.world
        span = world.cutoff - world.window_start - datetime.timedelta(hours=1)
        while True:
            share = rng.random()
            if rng.random() < GROWTH_SHARE:
                share = math.sqrt(share)
            raw = world.window_start + span * share
            if not world.eventful or rng.random() < SEASON[raw.month - 1]:
                break
        moment = self.clock.office_time(raw)
        return moment if moment < world.cutoff else raw

    def _company(
        self, seller: Seller, city: City, chinese_name: bool, created: datetime.datetime
    ) -> tuple[Bundle, str]:
        rng = self.rng
        industry = rng.choices(INDUSTRIES, self.industry_weights)[0]
        company = company_name(rng, industry, city, chinese=chinese_name, hanzi=self.hanzi)
        size = rng.choices(list(SIZE_WEIGHTS), list(SIZE_WEIGHTS.values()))[0]
        customer = CustomerRow(
            kind=CustomerKind.COMPANY,
            name=company.name,
            industry=industry.name.text(self.hanzi),
            size=size,
            region=city.region(self.hanzi),
            owner_id=seller.user_id,
            phone=landline(rng, city),
            email=f"{rng.choice(('info', 'sales', 'contact'))}@{company.domain}"
            if rng.random() < 0.6
            else "",
            website=f"https://www.{company.domain}" if rng.random() < 0.7 else "",
            address=address(rng, city, hanzi=self.hanzi),
            created_at=created,
        )
        bundle = Bundle(customer)
        count = rng.choices(range(len(CONTACTS_PER_COMPANY)), CONTACTS_PER_COMPANY)[0]
        for _ in range(count):
            contact_chinese = chinese_name or (self.hanzi and rng.random() < 0.7)
            person = person_name(rng, contact_chinese, hanzi=self.hanzi)
            self._contact(bundle, seller, person, company, created)
        return bundle, company.short

    def _person(
        self, seller: Seller, city: City, chinese_name: bool, created: datetime.datetime
    ) -> tuple[Bundle, str]:
        rng = self.rng
        person = person_name(rng, chinese_name, hanzi=self.hanzi)
        phone = mobile(rng)
        email = ""
        if rng.random() < 0.6:
            local = person.mail_name.replace(".", "")
            email = f"{local}{rng.randint(1, 99)}@{rng.choice(PERSONAL_MAIL_DOMAINS)}"
        customer = CustomerRow(
            kind=CustomerKind.PERSON,
            name=person.full,
            region=city.region(self.hanzi),
            owner_id=seller.user_id,
            phone=phone,
            email=email,
            address=address(rng, city, hanzi=self.hanzi),
            created_at=created,
        )
        bundle = Bundle(customer)
        contact = ContactRow(
            customer=customer,
            name=person.full,
            phones=[phone],
            emails=[email] if email else [],
            birthday=self._birthday(),
            decision_role=DecisionRole.DECISION_MAKER,
            created_by_id=seller.user_id,
            created_at=created,
        )
        bundle.contacts.append(contact)
        return bundle, person.full

    def _contact(
        self,
        bundle: Bundle,
        seller: Seller,
        person: Person,
        company: Company,
        created: datetime.datetime,
    ) -> None:
        rng = self.rng
        title = rng.choices(TITLES, self.title_weights)[0]
        phones = [mobile(rng)]
        if rng.random() < 0.15:
            extension = "转" if self.hanzi else "ext."
            phones.append(f"{bundle.customer.phone} {extension} {rng.randint(100, 899)}")
        emails = [f"{person.mail_name}@{company.domain}"] if rng.random() < 0.85 else []
        birthday = self._birthday()
        contact = ContactRow(
            customer=bundle.customer,
            name=person.full,
            title=title.word.text(self.hanzi),
            phones=phones,
            emails=emails,
            birthday=birthday,
            decision_role=title.decision_role,
            created_by_id=seller.user_id,
            created_at=created + datetime.timedelta(minutes=rng.randint(1, 240)),
        )
        bundle.contacts.append(contact)

    def _birthday(self) -> datetime.date | None:
        rng = self.rng
        if rng.random() >= BIRTHDAY_SHARE:
            return None
        return datetime.date(rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28))

    def _amount(self, size: str) -> Decimal:
        value = MEDIAN_AMOUNT[size] * self.rng.lognormvariate(0.0, AMOUNT_SIGMA)
        step = 100 if value < 100_000 else 1000
        return Decimal(max(1, round(value / step)) * step).quantize(Decimal("0.01"))

    def _deal(self, bundle: Bundle, seller: Seller, path: DealPath, short: str) -> None:
        rng, world = self.rng, self.world
        customer = bundle.customer
        products = PERSONAL_PRODUCTS if customer.kind == CustomerKind.PERSON else PRODUCTS
        contacts = bundle.contacts
        contact = contacts[0] if rng.random() < 0.6 else rng.choice(contacts)
        stage = path.stage
        closed_at = path.closed_at
        lost = stage.kind == StageKind.LOST
        last_open = path.moves[-1].from_stage if closed_at and lost else None
        step_stage = last_open or (stage if stage.kind == StageKind.OPEN else None)
        deal = DealRow(
            name=f"{short} - {rng.choice(products).text(self.hanzi)}",
            customer=customer,
            contact=contact,
            stage_id=stage.pk,
            owner_id=seller.user_id,
            amount=self._amount(customer.size),
            expected_close_date=self._close_date(path),
            probability=probability(stage),
            next_step=self._next_step(step_stage),
            lost_reason_id=(
                rng.choices(world.lost_reason_ids, self.reason_weights)[0] if lost else None
            ),
            lost_note=rng.choice(LOST_NOTES).text(self.hanzi)
            if lost and rng.random() < 0.5
            else "",
            checklist={
                str(s.pk): list(s.exit_checklist) for s in path.left_forward() if s.exit_checklist
            },
            moves=path.moves,
            closed_at=closed_at,
        )
        bundle.deals.append(deal)
        if world.eventful:
            self._few_deal_activities(bundle, seller, deal, path)
        else:
            self._deal_activities(bundle, seller, deal, path)

    def _close_date(self, path: DealPath) -> datetime.date:
        rng, world = self.rng, self.world
        if path.closed_at is not None:
            closed = path.closed_at.astimezone(world.zone).date()
            if path.outcome == StageKind.WON:
                return closed
            return closed + datetime.timedelta(days=rng.randint(0, 30))
        today = world.cutoff.date()
        if rng.random() < SLIPPED_CLOSE_DATE_SHARE:
            return today - datetime.timedelta(days=rng.randint(1, 20))
        ahead = sum(s.expected_days for s in world.shape.open[path.open_index :])
        return today + datetime.timedelta(days=max(1, round(ahead * rng.lognormvariate(0, 0.3))))

    def _next_step(self, stage: StageInfo | None) -> str:
        if stage is None:
            group = NEXT_STEPS[-1]
        else:
            index = self.open_index[stage.pk] * (len(NEXT_STEPS) - 1) // len(self.world.shape.open)
            group = NEXT_STEPS[index]
        return self.rng.choice(group).text(self.hanzi)

    def _phase(self, stage: StageInfo) -> int:
        """Which group of typical activities fits a stage: early, middle, late, closing, won."""
        if stage.kind != StageKind.OPEN:
            return len(PHASE_ACTIVITIES) - 1
        open_count = len(self.world.shape.open)
        return self.open_index[stage.pk] * (len(PHASE_ACTIVITIES) - 1) // open_count

    def _deal_activities(
        self, bundle: Bundle, seller: Seller, deal: DealRow, path: DealPath
    ) -> None:
        rng, cutoff = self.rng, self.world.cutoff
        moves = path.moves
        for index, move in enumerate(moves):
            stage = move.to_stage
            if stage.kind == StageKind.LOST:
                continue
            end = moves[index + 1].at if index + 1 < len(moves) else cutoff
            if stage.kind == StageKind.WON and rng.random() < 0.5:
                continue
            for _ in range(rng.choice((1, 1, 2)) if stage.kind == StageKind.OPEN else 1):
                self._activity(
                    bundle, seller, deal, phase=self._phase(stage), start=move.at, end=end
                )
            if stage.kind == StageKind.OPEN and rng.random() < DONE_TASK_SHARE:
                at = self.clock.between(move.at, end)
                subject = rng.choice(TASK_SUBJECTS).text(self.hanzi)
                task = self._add_activity(
                    bundle, seller, deal, kind=ActivityKind.TASK, subject=subject, outcome="", at=at
                )
                task.due_at = at + datetime.timedelta(hours=rng.randint(1, 72))
        if path.closed_at is None and rng.random() < OPEN_TASK_SHARE:
            self._open_task(bundle, seller, deal, path)

    def _few_deal_activities(
        self, bundle: Bundle, seller: Seller, deal: DealRow, path: DealPath
    ) -> None:
        """An activity now and then along a long history, and the open deal's next task."""
        rng, moves = self.rng, path.moves
        for index, move in enumerate(moves):
            stage = move.to_stage
            if stage.kind == StageKind.LOST or rng.random() >= EVENTFUL_ACTIVITY_SHARE:
                continue
            end = moves[index + 1].at if index + 1 < len(moves) else self.world.cutoff
            self._activity(bundle, seller, deal, phase=self._phase(stage), start=move.at, end=end)
        if path.closed_at is None and rng.random() < OPEN_TASK_SHARE:
            self._open_task(bundle, seller, deal, path)

    def _activity(
        self,
        bundle: Bundle,
        seller: Seller,
        deal: DealRow | None,
        *,
        phase: int,
        start: datetime.datetime,
        end: datetime.datetime,
    ) -> None:
        kind, subject, outcome = self.rng.choice(PHASE_ACTIVITIES[phase])
        at = self.clock.between(start, min(end, self.world.cutoff))
        self._add_activity(
            bundle,
            seller,
            deal,
            kind=kind,
            subject=subject.text(self.hanzi),
            outcome=outcome.text(self.hanzi),
            at=at,
        )

    def _add_activity(
        self,
        bundle: Bundle,
        seller: Seller,
        deal: DealRow | None,
        *,
        kind: str,
        subject: str,
        outcome: str,
        at: datetime.datetime,
    ) -> ActivityRow:
        activity = ActivityRow(
            kind=kind,
            subject=subject,
            done_at=at,
            outcome=outcome,
            customer=bundle.customer,
            contact=self._activity_contact(bundle.contacts, deal),
            deal=deal,
            owner_id=seller.user_id,
            created_at=at,
        )
        bundle.activities.append(activity)
        return activity

    def _activity_contact(
        self, contacts: Sequence[ContactRow], deal: DealRow | None
    ) -> ContactRow | None:
        roll = self.rng.random()
        if not contacts or roll < 0.1:
            return None
        if deal is not None and roll < 0.85:
            return deal.contact
        return self.rng.choice(contacts)

    def _open_task(self, bundle: Bundle, seller: Seller, deal: DealRow, path: DealPath) -> None:
        """A task still to do: some overdue, some due today, most coming up."""
        rng, world = self.rng, self.world
        today = world.cutoff.date()
        roll = rng.random()
        if roll < 0.25:
            due_day = today - datetime.timedelta(days=rng.randint(1, 10))
        elif roll < 0.45:
            due_day = today
        else:
            due_day = today + datetime.timedelta(days=rng.randint(1, 14))
        due_at = datetime.datetime.combine(
            due_day,
            datetime.time(rng.randrange(9, 18), rng.choice((0, 15, 30, 45))),
            tzinfo=world.zone,
        )
        created = max(
            path.entered_at + datetime.timedelta(minutes=1),
            world.cutoff - datetime.timedelta(days=rng.randint(1, 14)),
        )
        created = min(created, world.cutoff - datetime.timedelta(minutes=1))
        subject = deal.next_step or rng.choice(TASK_SUBJECTS).text(self.hanzi)
        task = ActivityRow(
            kind=ActivityKind.TASK,
            subject=subject,
            outcome="",
            due_at=due_at,
            customer=bundle.customer,
            contact=deal.contact,
            deal=deal,
            owner_id=seller.user_id,
            created_at=created,
        )
        bundle.activities.append(task)
