"""Fidelity: each programme's checklist of what good peer support looks like, the
observations supervisors make of their supervisees against it, and scores over time by
peer and by site.

The checklist starts with one item for each of the five core elements of peer support
programmes (seed 001), written as something an observer can see; leaders add the
programme's own items and retire any they no longer use. An observation rates every
active item 0 (not seen), 1 (partly), 2 (fully) or not applicable; its score is the
share of the points possible on the applicable items (0-100).

Who sees what (evaluation.policies): supervisors observe and see their supervisees,
leaders anyone in their programmes, coordinators see the programme's peers, a peer sees
their own observations; evaluators see only scores by site and month, with counts under
five suppressed (core.disclosure), and never a peer's name.

Services (writes, audited) come first, then selectors (reads that authorise as they
fetch).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerbridge.core.access import role_policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.disclosure import SMALL_CELL, suppress_small_cells
from peerbridge.core.models import User
from peerbridge.evaluation import policies
from peerbridge.evaluation.models import (
    FidelityElement,
    FidelityItem,
    FidelityObservation,
    FidelityRating,
)
from peerbridge.organisations.models import Programme, Site
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.workforce import policies as workforce_policies
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.selectors import as_pk, own_profiles

ITEM_TEXT_MAX = 300
NOTE_MAX = 2000
OLDEST_OBSERVATION_DAYS = 2 * 366  # observations are recorded soon after; older is a typo
OVERVIEW_MONTHS = 12
MAX_MONTHS = 60
POINTS_PER_ITEM = 2

# Scope helpers, not route policies: who sees every peer of a programme by name, and who
# observes anyone in it (supervisors observe only their own supervisees).
NAMED_VIEW = role_policy(
    "evaluation.fidelity_named",
    {Role.ORG_ADMIN, Role.PROGRAMME_LEADER, Role.COORDINATOR},
    "Those who run a programme see every peer's fidelity scores by name.",
)
OBSERVE_ANYONE = role_policy(
    "evaluation.fidelity_observe_anyone",
    {Role.ORG_ADMIN, Role.PROGRAMME_LEADER},
    "Leaders observe anyone in their programmes.",
)

# The five core elements (seed 001), each as behaviour an observer can see, in our words.
CORE_ITEMS: tuple[tuple[str, Any], ...] = (
    (
        FidelityElement.TRAINING,
        gettext_lazy(
            "Uses what the training taught: listens actively, keeps to the role's "
            "boundaries, and brings risks or worries to the supervisor."
        ),
    ),
    (
        FidelityElement.CONNECTION,
        gettext_lazy(
            "Follows the person's own priorities rather than giving directions, and uses "
            "their own lived experience to show that things can get better."
        ),
    ),
    (
        FidelityElement.SAFE_ENVIRONMENT,
        gettext_lazy(
            "Makes it safe to talk: explains what stays private, listens without judging "
            "and lets the person set the pace."
        ),
    ),
    (
        FidelityElement.ENGAGEMENT,
        gettext_lazy(
            "Keeps the person engaged: reaches out first, agrees when to be in touch next "
            "and follows up when contact drops."
        ),
    ),
    (
        FidelityElement.PEER_QUALITIES,
        gettext_lazy(
            "Shows the qualities the role asks for: communicates clearly, is genuine about "
            "their own experience, stays calm and uses good judgement."
        ),
    ),
)


# ---------------------------------------------------------------------------------------
# The checklist


def _core_items(programme: Programme) -> list[FidelityItem]:
    return [
        FidelityItem(
            programme=programme,
            element=element,
            text=str(text),
            position=position,
            is_core=True,
        )
        for position, (element, text) in enumerate(CORE_ITEMS, start=1)
    ]


def checklist(programme: Programme, *, active_only: bool = False) -> list[FidelityItem]:
    """The programme's checklist in order, created with the five core items on first
    read (a parallel first read may have made them a moment ago)."""
    items = list(FidelityItem.objects.filter(programme=programme).order_by("position", "id"))
    if not items:
        try:
            with transaction.atomic():
                FidelityItem.objects.bulk_create(_core_items(programme))
        except IntegrityError:  # created by a parallel request
            pass
        items = list(FidelityItem.objects.filter(programme=programme).order_by("position", "id"))
    return [item for item in items if item.is_active] if active_only else items


def _item_text(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError({"text": _("Describe what the observer looks for.")})
    text = " ".join(value.split())
    if not text:
        raise ValidationError({"text": _("Describe what the observer looks for.")})
    if "\x00" in text:
        raise ValidationError({"text": _("Null characters are not allowed.")})
    if len(text) > ITEM_TEXT_MAX:
        raise ValidationError(
            {"text": _("Keep this to %(max)d characters.") % {"max": ITEM_TEXT_MAX}}
        )
    return text


@transaction.atomic
def item_add(
    *, programme: Programme, text: str, actor: User | None, element: str = FidelityElement.PROGRAMME
) -> FidelityItem:
    """Add an item at the end of the programme's checklist."""
    items = checklist(programme)
    if element not in FidelityElement.values:
        raise ValidationError({"element": _("Choose one of the core elements.")})
    clean = _item_text(text)
    if any(item.text.casefold() == clean.casefold() for item in items):
        raise ValidationError({"text": _("The checklist already has this item.")})
    item = FidelityItem(
        programme=programme,
        element=element,
        text=clean,
        position=max((item.position for item in items), default=0) + 1,
        created_by=actor,
    )
    item.full_clean()
    item.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=item)
    return item


EDITABLE = frozenset({"text", "position", "is_active"})


@transaction.atomic
def item_update(*, item: FidelityItem, actor: User | None, **changes: Any) -> FidelityItem:
    """Reword, move or retire an item. An item already used in an observation keeps its
    wording (retire it and add a new one), so past scores mean what they meant."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError({name: _("This cannot be changed here.") for name in unknown})
    locked = FidelityItem.objects.select_for_update().get(pk=item.pk)
    if "text" in changes:
        text = _item_text(changes["text"])
        if text != locked.text:
            if locked.ratings.exists():
                raise ValidationError(
                    {
                        "text": _(
                            "This item has been used in observations: retire it and add a "
                            "new one instead of rewording it."
                        )
                    }
                )
            others = FidelityItem.objects.filter(programme_id=locked.programme_id).exclude(
                pk=locked.pk
            )
            if any(t.casefold() == text.casefold() for t in others.values_list("text", flat=True)):
                raise ValidationError({"text": _("The checklist already has this item.")})
            locked.text = text
    if "position" in changes:
        position = changes["position"]
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 999:
            raise ValidationError({"position": _("Give a position from 0 to 999.")})
        locked.position = position
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise ValidationError({"is_active": _("Say whether the item is in use.")})
        locked.is_active = changes["is_active"]
    if (
        not locked.is_active
        and not FidelityItem.objects.filter(programme_id=locked.programme_id, is_active=True)
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise ValidationError({"is_active": _("Keep at least one item in use.")})
    locked.full_clean()
    locked.save()
    audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    return locked


# ---------------------------------------------------------------------------------------
# Observations


def score_of(ratings: Mapping[int, int | None]) -> float | None:
    """The share (0-100) of the points possible on the applicable items; None when no
    item applied."""
    applicable = [value for value in ratings.values() if value is not None]
    if not applicable:
        return None
    return 100.0 * sum(applicable) / (POINTS_PER_ITEM * len(applicable))


def _clean_ratings(
    items: list[FidelityItem], ratings: Mapping[Any, object]
) -> dict[int, int | None]:
    """Every active item rated 0, 1 or 2, or None for not applicable; problems reported
    against `item_<id>`."""
    by_key = {str(item.pk): item for item in items}
    problems: dict[str, str] = {}
    clean: dict[int, int | None] = {}
    for key, value in ratings.items():
        item = by_key.get(str(key))
        if item is None:
            problems["ratings"] = _("Rate only the items of this programme's checklist.")
        elif value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1, 2)
        ):
            problems[f"item_{item.pk}"] = _("Choose not seen, partly, fully or not applicable.")
        else:
            clean[item.pk] = value
    for item in items:
        if item.pk not in clean and f"item_{item.pk}" not in problems:
            problems[f"item_{item.pk}"] = _("Rate this item, or mark it not applicable.")
    if problems:
        raise ValidationError(problems)
    if score_of(clean) is None:
        raise ValidationError({"ratings": _("Rate at least one item that applied.")})
    return clean


def _observed_on(day: object, profile: PeerProfile) -> date:
    if not isinstance(day, date):
        raise ValidationError({"observed_on": _("Give the date of the observation.")})
    today = timezone.localdate()
    if day > today:
        raise ValidationError({"observed_on": _("Record an observation once it has happened.")})
    if day < today - timedelta(days=OLDEST_OBSERVATION_DAYS):
        raise ValidationError({"observed_on": _("Record observations of the last two years.")})
    if day < profile.started_on:
        raise ValidationError(
            {"observed_on": _("This is before the peer started in the programme.")}
        )
    return day


def _note(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError({"note": _("Write the note as text.")})
    text = value.strip()
    if "\x00" in text:
        raise ValidationError({"note": _("Null characters are not allowed.")})
    if len(text) > NOTE_MAX:
        raise ValidationError({"note": _("Keep this to %(max)d characters.") % {"max": NOTE_MAX}})
    return text


def site_of(profile: PeerProfile) -> Site:
    """Where the peer works: their own site when it lies in the programme's subtree,
    else the programme's site."""
    own = profile.person.site
    home = profile.programme.site
    if own is not None and own.path.startswith(home.path):
        return own
    return home


@transaction.atomic
def observation_record(
    *,
    profile: PeerProfile,
    observed_by: User,
    observed_on: date,
    setting: str,
    ratings: Mapping[Any, object],
    note: str = "",
) -> FidelityObservation:
    """Record what the observer saw. The caller has fetched the peer through
    `access_peer(..., observing=True)`."""
    if profile.status == PeerProfile.Status.LEFT:
        raise ValidationError(_("This peer has left the programme."))
    if setting not in FidelityObservation.Setting.values:
        raise ValidationError({"setting": _("Choose what was observed.")})
    day = _observed_on(observed_on, profile)
    items = checklist(profile.programme, active_only=True)
    clean = _clean_ratings(items, ratings)
    score = score_of(clean) or 0.0  # _clean_ratings refused an observation with none
    observation = FidelityObservation(
        programme=profile.programme,
        profile=profile,
        site=site_of(profile),
        observed_on=day,
        setting=setting,
        score=score,
        note=_note(note),
        observed_by=observed_by,
    )
    observation.full_clean()
    observation.save()
    FidelityRating.objects.bulk_create(
        FidelityRating(observation=observation, item_id=pk, rating=value)
        for pk, value in clean.items()
    )
    audit_instance(actor=observed_by, action=Action.CREATE, instance=observation)
    return observation


# ---------------------------------------------------------------------------------------
# Selectors: who may see and observe whom


def _programme_ids(user: AnyUser, policy: Any) -> set[int]:
    return set(programmes_in_scope(user=user, policy=policy).values_list("pk", flat=True))


def sees_names(user: AnyUser, programme: Programme) -> bool:
    """Runners and supervisors of the programme see peers by name (supervisors only
    their supervisees); evaluators and peers see aggregates only."""
    return programme.pk in _programme_ids(user, NAMED_VIEW) or programme.pk in _programme_ids(
        user, policies.FIDELITY_OBSERVE
    )


def may_observe(user: AnyUser, profile: PeerProfile) -> bool:
    if profile.programme_id in _programme_ids(user, OBSERVE_ANYONE):
        return True
    return profile.supervisor_id == user.pk and profile.programme_id in _programme_ids(
        user, policies.FIDELITY_OBSERVE
    )


def may_see_observations(user: AnyUser, profile: PeerProfile) -> bool:
    if user.is_authenticated and profile.person.user_id == user.pk:
        return True
    if profile.programme_id in _programme_ids(user, NAMED_VIEW):
        return True
    return may_observe(user, profile)


def _profiles() -> QuerySet[PeerProfile]:
    return PeerProfile.objects.select_related(
        "person", "person__site", "programme", "programme__site", "supervisor__person"
    )


def access_peer(*, user: AnyUser, profile_id: object, observing: bool = False) -> PeerProfile:
    """A peer whose observations the user may see (or, `observing`, record): 404 outside
    the user's reach, 403 for staff who see the programme's workforce (and the peer
    themself, when observing) without the right. Audited as a read of the person."""
    pk = as_pk(profile_id)
    profile = _profiles().filter(pk=pk).first()
    if profile is None:
        raise Http404
    allowed = may_observe(user, profile) if observing else may_see_observations(user, profile)
    if not allowed:
        visible = (
            profile.programme_id in _programme_ids(user, workforce_policies.WORKFORCE_VIEW)
            or own_profiles(user).filter(pk=pk).exists()
        )
        if visible:
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=profile.person)
    return profile


def observations_of(profile: PeerProfile) -> QuerySet[FidelityObservation]:
    """A peer's observations, newest first, with their ratings and items (two queries
    for any number of rows)."""
    return (
        FidelityObservation.objects.filter(profile=profile)
        .select_related("observed_by__person", "site")
        .prefetch_related("ratings__item")
        .order_by("-observed_on", "-id")
    )


def observable_peers(*, user: AnyUser, programme: Programme) -> list[PeerProfile]:
    """The peers of the programme the user may observe (not those who have left)."""
    peers = _profiles().filter(programme=programme).exclude(status=PeerProfile.Status.LEFT)
    if programme.pk not in _programme_ids(user, OBSERVE_ANYONE):
        if programme.pk not in _programme_ids(user, policies.FIDELITY_OBSERVE):
            return []
        peers = peers.filter(supervisor_id=user.pk)
    return list(peers.order_by("person__family_name", "person__given_name", "pk"))


# ---------------------------------------------------------------------------------------
# Scores over time


def month_starts(*, months: int, on: date | None = None) -> list[date]:
    """The first day of each of the last `months` months, oldest first, this one last."""
    day = on or timezone.localdate()
    year, month = day.year, day.month
    found = []
    for _step in range(months):
        found.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(found))


def _month(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Cell:
    """Observations in one month (and one site or peer): the count and mean score, None
    when suppressed."""

    month: date
    observations: int | None
    mean_score: float | None


@dataclass(frozen=True)
class SiteRow:
    site_id: int
    site: str
    cells: list[Cell]  # newest month first, months with observations only


@dataclass(frozen=True)
class PeerRow:
    profile: PeerProfile
    observations: int  # in the period
    mean_score: float | None
    last_observed_on: date | None  # ever
    last_score: float | None
    cells: list[Cell]  # newest month first
    may_observe: bool


@dataclass(frozen=True)
class FidelityOverview:
    programme: Programme
    months: list[date]
    suppressed: bool  # small cells hidden and no names: evaluators and peers
    sites: list[SiteRow]
    peers: list[PeerRow] | None  # None: the viewer sees no names
    total_observations: int | None

    @property
    def threshold(self) -> int:
        return SMALL_CELL


def _site_rows(
    programme: Programme, since: date, *, suppressed: bool
) -> tuple[list[SiteRow], int | None]:
    rows = list(
        FidelityObservation.objects.filter(programme=programme, observed_on__gte=since)
        .annotate(month=TruncMonth("observed_on"))
        .values("site_id", "site__name", "month")
        .annotate(n=Count("pk"), mean=Avg("score"))
        .order_by("site__name", "site_id", "-month")
    )
    counts = {f"{r['site_id']}:{_month(r['month']).isoformat()}": int(r["n"]) for r in rows}
    shown = suppress_small_cells(counts) if suppressed else dict(counts)
    total = sum(counts.values())
    by_site: dict[int, SiteRow] = {}
    for r in rows:
        key = f"{r['site_id']}:{_month(r['month']).isoformat()}"
        n = shown[key]
        site = by_site.setdefault(r["site_id"], SiteRow(r["site_id"], r["site__name"], []))
        site.cells.append(
            Cell(_month(r["month"]), n, None if n is None else round(float(r["mean"]), 1))
        )
    if suppressed and 0 < total < SMALL_CELL:
        return list(by_site.values()), None
    return list(by_site.values()), total


def _peer_rows(
    user: AnyUser, programme: Programme, since: date, observe_ids: set[int]
) -> list[PeerRow]:
    profiles = _profiles().filter(programme=programme)
    if programme.pk not in _programme_ids(user, NAMED_VIEW):
        profiles = profiles.filter(supervisor_id=user.pk)
    people = list(
        profiles.exclude(status=PeerProfile.Status.LEFT).order_by(
            "person__family_name", "person__given_name", "pk"
        )
    )
    ids = [p.pk for p in people]
    monthly: dict[int, list[Cell]] = defaultdict(list)
    for r in (
        FidelityObservation.objects.filter(profile_id__in=ids, observed_on__gte=since)
        .annotate(month=TruncMonth("observed_on"))
        .values("profile_id", "month")
        .annotate(n=Count("pk"), mean=Avg("score"))
        .order_by("profile_id", "-month")
    ):
        monthly[r["profile_id"]].append(
            Cell(_month(r["month"]), int(r["n"]), round(float(r["mean"]), 1))
        )
    last: dict[int, tuple[date, float]] = {}
    for profile_id, observed_on, score in (
        FidelityObservation.objects.filter(profile_id__in=ids)
        .order_by("profile_id", "-observed_on", "-id")
        .values_list("profile_id", "observed_on", "score")
    ):
        last.setdefault(profile_id, (observed_on, score))
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[p.person_id for p in people],
    )
    rows = []
    for profile in people:
        cells = monthly.get(profile.pk, [])
        n = sum(c.observations or 0 for c in cells)
        points = sum((c.mean_score or 0) * (c.observations or 0) for c in cells)
        seen = last.get(profile.pk)
        rows.append(
            PeerRow(
                profile=profile,
                observations=n,
                mean_score=round(points / n, 1) if n else None,
                last_observed_on=seen[0] if seen else None,
                last_score=round(seen[1], 1) if seen else None,
                cells=cells,
                may_observe=profile.pk in observe_ids,
            )
        )
    return rows


def fidelity_overview(
    *, user: AnyUser, programme: Programme, months: int = OVERVIEW_MONTHS, on: date | None = None
) -> FidelityOverview:
    """Scores by site and month for everyone with FIDELITY_VIEW (small cells suppressed
    for those who see no names), and by peer for runners (every peer) and supervisors
    (their supervisees). A fixed number of queries, whatever the rows."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise ValidationError(
            {"months": _("Choose from 1 to %(max)d months.") % {"max": MAX_MONTHS}}
        )
    starts = month_starts(months=months, on=on)
    named = sees_names(user, programme)
    sites, total = _site_rows(programme, starts[0], suppressed=not named)
    peers = None
    if named:
        observe_ids = {p.pk for p in observable_peers(user=user, programme=programme)}
        peers = _peer_rows(user, programme, starts[0], observe_ids)
    return FidelityOverview(
        programme=programme,
        months=starts,
        suppressed=not named,
        sites=sites,
        peers=peers,
        total_observations=total,
    )


@dataclass(frozen=True)
class PeerHistory:
    profile: PeerProfile
    observations: list[FidelityObservation]
    months: list[Cell]  # newest first
    may_observe: bool


def peer_history(*, user: AnyUser, profile: PeerProfile) -> PeerHistory:
    """A peer's observations (fetched through `access_peer`), with scores by month."""
    observations = list(observations_of(profile))
    by_month: dict[date, list[float]] = defaultdict(list)
    for row in observations:
        by_month[row.observed_on.replace(day=1)].append(row.score)
    months = [
        Cell(month, len(scores), round(sum(scores) / len(scores), 1))
        for month, scores in sorted(by_month.items(), reverse=True)
    ]
    return PeerHistory(profile, observations, months, may_observe(user, profile))


def access_item(*, user: AnyUser, item_id: object) -> FidelityItem:
    """A checklist item to change: 404 outside the user's programmes, 403 for those who
    see the checklist without the right to configure it."""
    pk = as_pk(item_id)
    item = FidelityItem.objects.select_related("programme").filter(pk=pk).first()
    if item is None:
        raise Http404
    if item.programme_id not in _programme_ids(user, policies.FIDELITY_CONFIGURE):
        if item.programme_id in _programme_ids(user, policies.FIDELITY_VIEW):
            raise PermissionDenied
        raise Http404
    return item


def may_configure(user: AnyUser, programme: Programme) -> bool:
    return programme.pk in _programme_ids(user, policies.FIDELITY_CONFIGURE)
