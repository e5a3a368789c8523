"""Suggestions for one waiting participant, and why a given peer was not suggested, in
plain words; and the programme's waiting list as the matching pages show it.

Each answer is computed from the database as it is now (the peers are not cached): the
workforce's eligibility changes the moment a match reserves capacity, and a suggestion
must never name a peer who has just become full. Loading costs a fixed number of
queries (see `loading`); peers' stories are decrypted only when free text counts, and
text similarity is kept by the texts it was computed from (never stale); the engine's
scan is a fraction of a millisecond per few hundred peers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from numpy.typing import NDArray

from peerbridge.matching import engine
from peerbridge.matching.configuration import match_settings
from peerbridge.matching.loading import (
    UNREAD_PERSON_FIELDS,
    PeerPool,
    language_labels,
    peer_pool,
    policy_of,
    seeker_labels,
    seeker_records,
    taxonomy_for,
    text_scores,
)
from peerbridge.matching.models import LIVE_MATCH_STATUSES, Match, MatchPreferences
from peerbridge.matching.selectors import waiting_enrolments
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.models import PeerProfile

# However many a caller asks for, a page of suggestions stays readable.
MAX_SUGGESTIONS = 50


@dataclass(frozen=True)
class SuggestedPeer:
    profile: PeerProfile
    rank: int
    score: float
    reasons: tuple[str, ...]
    parts: Mapping[str, float]

    @property
    def alias(self) -> str:
        return self.profile.alias or str(self.profile.person)


@dataclass(frozen=True)
class Situation:
    """What the participant is facing, in brief, as the engine sees it."""

    condition: str
    facets: tuple[str, ...]
    issues: tuple[str, ...]
    since_year: int | None
    story: str
    age: int | None
    languages: tuple[str, ...]

    @classmethod
    def of(cls, seeker: engine.SeekerRecord, labels: engine.Labels) -> Situation:
        names = labels.conditions
        return cls(
            condition=" > ".join(names.get(pk, "?") for pk in seeker.condition_path),
            facets=tuple(sorted(names.get(pk, "?") for pk in seeker.facets)),
            issues=tuple(sorted(labels.issues.get(pk, "?") for pk in seeker.issues)),
            since_year=int(seeker.since_year) if seeker.since_year is not None else None,
            story=seeker.text,
            age=int(seeker.age) if seeker.age is not None else None,
            languages=tuple(labels.languages.get(c, c) for c in seeker.languages),
        )


@dataclass(frozen=True)
class SuggestionPage:
    """The top peers for one participant, each with its reasons in plain words; the
    fallback note when nobody shares their (sub-)condition; how many peers were looked
    at and how many could take the match."""

    enrolment: Enrolment
    suggestions: tuple[SuggestedPeer, ...]
    fallback: str
    considered: int
    eligible: int
    k: int
    situation: Situation

    @property
    def profiles(self) -> list[PeerProfile]:
        return [s.profile for s in self.suggestions]


@dataclass(frozen=True)
class Scene:
    """Everything one participant's questions are answered from: load it once with
    `scene_for` and pass it to `suggest_for` and `why_not_for` when a page asks both."""

    seeker: engine.SeekerRecord
    pool: PeerPool
    table: engine.PeerTable | None  # None when the programme has no peers to look at
    policy: engine.Policy
    labels: engine.Labels
    text: NDArray[np.float64] | None
    k: int  # the programme's number of suggestions


def scene_for(enrolment: Enrolment, *, on: date | None = None) -> Scene:
    programme = enrolment.programme
    rules = match_settings(programme)
    policy = policy_of(rules)
    taxonomy = taxonomy_for([programme.site.organisation_id])
    seeker = seeker_records([enrolment], on=on, taxonomy=taxonomy)[0]
    # Peers' stories are read (and decrypted) only when they can count.
    with_text = float(policy.weights.get("text", 0) or 0) > 0 and bool(seeker.text.strip())
    pool = peer_pool(programme, on=on, stories=with_text, taxonomy=taxonomy)
    text = text_scores([seeker], pool)[0] if with_text and pool.records else None
    return Scene(
        seeker=seeker,
        pool=pool,
        table=pool.table() if pool.records else None,
        policy=policy,
        labels=seeker_labels(pool.labels, [seeker]),
        text=text,
        k=int(rules.suggestions),
    )


def _k(asked: int | None, default: int) -> int:
    return max(1, min(int(asked if asked is not None else default), MAX_SUGGESTIONS))


def suggest_for(
    enrolment: Enrolment,
    *,
    k: int | None = None,
    on: date | None = None,
    scene: Scene | None = None,
) -> SuggestionPage:
    """The top `k` peers (the programme's setting by default) for a participant."""
    scene = scene or scene_for(enrolment, on=on)
    k = _k(k, scene.k)
    situation = Situation.of(scene.seeker, scene.labels)
    if scene.table is None:
        return SuggestionPage(enrolment, (), "", 0, 0, k, situation)
    result = engine.suggest(
        scene.seeker,
        scene.table,
        scene.policy,
        labels=scene.labels,
        k=k,
        text_scores=scene.text,
    )
    profiles = {p.pk: p for p in scene.pool.profiles}
    suggestions = tuple(
        SuggestedPeer(
            profile=profiles[s.peer_id],
            rank=s.rank,
            score=round(float(s.score), 1),
            reasons=tuple(reason.text(gettext) for reason in s.reasons),
            parts=dict(s.parts),
        )
        for s in result.suggestions
        if s.peer_id in profiles
    )
    return SuggestionPage(
        enrolment=enrolment,
        suggestions=suggestions,
        fallback=result.fallback.text(gettext) if result.fallback is not None else "",
        considered=result.considered,
        eligible=result.eligible,
        k=k,
        situation=situation,
    )


def why_not_for(
    enrolment: Enrolment,
    profile: PeerProfile,
    *,
    on: date | None = None,
    scene: Scene | None = None,
) -> list[str]:
    """Plain sentences on why this peer is not (or not higher) among the suggestions."""
    if profile.programme_id != enrolment.programme_id:
        return [gettext("This peer supports people in another programme.")]
    if profile.person_id == enrolment.person_id:
        return [gettext("This is the participant themself.")]
    scene = scene or scene_for(enrolment, on=on)
    if scene.table is None or scene.pool.index_of(profile.pk) is None:
        return [gettext("This peer has left the programme.")]
    reasons = engine.why_not(
        scene.seeker,
        scene.table,
        scene.policy,
        profile.pk,
        labels=scene.labels,
        text_scores=scene.text,
        k=scene.k,
    )
    codes = {reason.code for reason in reasons}
    if "not_eligible" in codes:
        # The workforce's reasons say it better (a peer in training has no places at
        # all; a full one is "already 5 of 5"): the engine's "no room" would mislead.
        reasons = tuple(reason for reason in reasons if reason.code != "at_capacity")
    sentences = [reason.text(gettext) for reason in reasons]
    return sentences or [gettext("Nothing rules this peer out for this participant.")]


def askable_peers(programme: Programme) -> QuerySet[PeerProfile]:
    """Every peer of the programme a coordinator may ask "why not?" about."""
    return PeerProfile.objects.filter(programme=programme).exclude(status=PeerProfile.Status.LEFT)


@dataclass(frozen=True)
class PeerOption:
    profile_id: int
    person_id: int
    label: str


def peer_options(programme: Programme) -> list[PeerOption]:
    """Each askable peer as "alias (name)" for the "why not?" picker, by label: one
    query, no model instances (a programme may have hundreds of peers)."""
    rows = askable_peers(programme).values_list(
        "pk",
        "person_id",
        "alias",
        "person__preferred_name",
        "person__given_name",
        "person__family_name",
    )
    options = []
    for pk, person_id, alias, preferred, given, family in rows:
        name = f"{preferred or given} {family}".strip()
        label = f"{alias} ({name})" if alias and alias != name else name
        options.append(PeerOption(profile_id=pk, person_id=person_id, label=label))
    return sorted(options, key=lambda option: (option.label.casefold(), option.profile_id))


# ---------------------------------------------------------------------------------------
# The waiting list


@dataclass(frozen=True)
class WaitingRow:
    enrolment: Enrolment
    waited_days: int
    languages: list[str]
    needs_language: str
    offer_pending: bool


@dataclass(frozen=True)
class WaitingPage:
    rows: list[WaitingRow]
    count: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.count // self.page_size))


WAITING_PAGE_SIZE = 50


def _waiting_rows(programme: Programme) -> QuerySet[Enrolment]:
    live = Match.objects.filter(enrolment=OuterRef("pk"), status__in=sorted(LIVE_MATCH_STATUSES))
    return (
        waiting_enrolments(programme)
        .select_related("match_preferences")
        .defer("referral_reason", *(f"person__{name}" for name in UNREAD_PERSON_FIELDS))
        .annotate(offer_pending=Exists(live))
    )


def waiting_count(programme: Programme) -> int:
    return waiting_enrolments(programme).count()


def waiting_rows(programme: Programme, start: int, stop: int) -> list[WaitingRow]:
    """Rows `start` to `stop` of the programme's waiting list (most urgent, then longest
    waiting), with each person's languages and any language they need; one query."""
    shown = list(_waiting_rows(programme)[start:stop])
    now = timezone.now()
    names = language_labels(
        code
        for e in shown
        for code in [*(e.person.languages or []), _needed_language(e)]
        if isinstance(code, str) and code
    )
    return [
        WaitingRow(
            enrolment=e,
            waited_days=max(0, (now - (e.waiting_since or e.received_at)).days),
            languages=[names.get(code, code) for code in e.person.languages or []],
            needs_language=names.get(_needed_language(e), ""),
            offer_pending=bool(getattr(e, "offer_pending", False)),
        )
        for e in shown
    ]


def waiting_page(
    programme: Programme, *, page: int = 1, page_size: int = WAITING_PAGE_SIZE
) -> WaitingPage:
    """One page of the programme's waiting list (a page past the end is the last one);
    two queries a page."""
    count = waiting_count(programme)
    page = max(1, min(page, -(-count // page_size)))
    rows = waiting_rows(programme, (page - 1) * page_size, page * page_size)
    return WaitingPage(rows=rows, count=count, page=page, page_size=page_size)


def _needed_language(enrolment: Enrolment) -> str:
    """The language the participant needs, from their wishes (selected with the row)."""
    # A missing one-to-one row raises RelatedObjectDoesNotExist, an AttributeError.
    wishes: MatchPreferences | None = getattr(enrolment, "match_preferences", None)
    if wishes is None:
        return ""
    return wishes.language if wishes.language_required else ""
