"""The matching engine's explanations: plain-words reasons, as template codes and
parameters (`Reason`), translated only when shown.

Why a peer is suggested (the components that add most, first), why the suggestions fall
back when nobody shares a rare condition, and which hard rules a peer fails. Pure Python,
no Django: templates are marked with `gettext_noop` so makemessages finds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np

from peerbridge.matching.engine_columns import (
    COMPONENT_INDEX,
    PeerRecord,
    PeerTable,
    SeekerRecord,
    great_circle_km,
)
from peerbridge.matching.engine_kernel import pair_km
from peerbridge.matching.engine_queries import Queries


def gettext_noop(s: str) -> str:
    """Mark a string for translation without translating it (makemessages extracts it)."""
    return s


TEMPLATES: dict[str, str] = {
    # why a peer is suggested
    "condition_same": gettext_noop("both had %(condition)s"),
    "condition_shared": gettext_noop("both had %(condition)s, in different forms"),
    "condition_related": gettext_noop("related experience: both had %(condition)s"),
    "facets_shared": gettext_noop("also share %(facets)s"),
    "since_same": gettext_noop("in the same year"),
    "since_one": gettext_noop("1 year apart"),
    "since_apart": gettext_noop("%(years)s years apart"),
    "issues_one": gettext_noop("shares 1 issue: %(issues)s"),
    "issues_many": gettext_noop("shares %(count)s issues: %(issues)s"),
    "text_similar": gettext_noop("similar experiences, in their own words"),
    "age_same": gettext_noop("the same age"),
    "age_one": gettext_noop("1 year apart in age"),
    "age_apart": gettext_noop("%(years)s years apart in age"),
    "gender_wish": gettext_noop("the peer's gender they asked for"),
    "language_both": gettext_noop("both speak %(language)s"),
    "culture_shared": gettext_noop("share a cultural background: %(culture)s"),
    "distance_near": gettext_noop("less than 1 km apart"),
    "distance_km": gettext_noop("%(km)s km apart"),
    "modality_in_person": gettext_noop("both can meet in person"),
    "modality_video": gettext_noop("both can meet by video call"),
    "modality_telephone": gettext_noop("both can talk on the telephone"),
    "modality_text": gettext_noop("both can write text messages"),
    "modality_other": gettext_noop("both can meet the same way"),
    "available_weekday_mornings": gettext_noop("both free on weekday mornings"),
    "available_weekday_afternoons": gettext_noop("both free on weekday afternoons"),
    "available_weekday_evenings": gettext_noop("both free on weekday evenings"),
    "available_weekend_mornings": gettext_noop("both free at weekend mornings"),
    "available_weekend_afternoons": gettext_noop("both free at weekend afternoons"),
    "available_weekend_evenings": gettext_noop("both free at weekend evenings"),
    "available_nights": gettext_noop("both free late at night"),
    "capacity_room": gettext_noop("has room for %(remaining)s more matches"),
    "continuity": gettext_noop("supported them before"),
    # rare conditions
    "fallback_condition": gettext_noop(
        "No available peer shares %(condition)s; these suggestions are based on shared "
        "issues and experiences."
    ),
    "fallback_subcondition": gettext_noop(
        "No available peer shares %(condition)s; these suggestions share %(wider)s and are "
        "otherwise based on shared issues and experiences."
    ),
    # why a peer is not suggested
    "unknown_peer": gettext_noop("This peer is not among this programme's peers."),
    "not_eligible": gettext_noop("Not available for matching: %(blockers)s."),
    "at_capacity": gettext_noop("Has no room for another match."),
    "excluded": gettext_noop(
        "Excluded after an earlier match or offer with this participant (declined, not a "
        "fit or safety)."
    ),
    "required_condition": gettext_noop(
        "Does not share their condition, which the programme requires."
    ),
    "required_gender": gettext_noop("Is not the peer's gender they need."),
    "required_language": gettext_noop("Does not speak %(language)s, which they need."),
    "required_culture": gettext_noop(
        "Does not share their cultural background, which the programme requires."
    ),
    "required_distance": gettext_noop(
        "Lives %(km)s km away, beyond the %(max_km)s km they can travel to meet in person."
    ),
    "required_distance_unknown": gettext_noop(
        "Their distance is unknown, and meeting in person within %(max_km)s km is required."
    ),
    "required_modality": gettext_noop("Offers none of the ways of meeting they can use."),
    "suggested": gettext_noop("Is suggested: ranked %(rank)s of %(total)s."),
    "ranked_lower_condition": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers share %(condition)s."
    ),
    "ranked_lower_issues": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers share more of their issues."
    ),
    "ranked_lower_text": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers' experiences, in their own "
        "words, are closer."
    ),
    "ranked_lower_age": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers are closer in age."
    ),
    "ranked_lower_gender": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers are the gender they asked for."
    ),
    "ranked_lower_language": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers speak their language."
    ),
    "ranked_lower_culture": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers share their cultural background."
    ),
    "ranked_lower_distance": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers live nearer."
    ),
    "ranked_lower_modality": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers offer more of the ways of "
        "meeting they want."
    ),
    "ranked_lower_availability": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers are free at more of the same times."
    ),
    "ranked_lower_capacity": gettext_noop(
        "Ranked %(rank)s of %(total)s; the suggested peers have more room in their caseload."
    ),
    "ranked_lower_continuity": gettext_noop(
        "Ranked %(rank)s of %(total)s; a suggested peer supported them before."
    ),
    "ranked_lower": gettext_noop("Ranked %(rank)s of %(total)s."),
}


# --- Labels and reasons ---------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """Names for explanations: condition ids, issue ids and language codes to words."""

    conditions: Mapping[int, str] = field(default_factory=dict)
    issues: Mapping[int, str] = field(default_factory=dict)
    languages: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reason:
    """One plain-words reason: a template code and its parameters."""

    code: str
    params: Mapping[str, str | int] = field(default_factory=dict)

    def text(self, translate: Callable[[str], str] = lambda s: s) -> str:
        return translate(TEMPLATES[self.code]) % dict(self.params)


_SAID: dict[tuple[str, str, str | int], Reason] = {}
_SAID_KEEP = 100_000


def said(code: str, name: str = "", value: str | int = "") -> Reason:
    """The reason with this code and at most one parameter, made once and shared: the
    same words recur from pair to pair (a batch run explains 100,000 pairs)."""
    key = (code, name, value)
    found = _SAID.get(key)
    if found is None:
        if len(_SAID) >= _SAID_KEEP:
            _SAID.clear()
        found = _SAID[key] = Reason(code, {name: value} if name else {})
    return found


def fallback_reason(seeker: SeekerRecord, fallback: int, labels: Labels) -> Reason | None:
    path = seeker.condition_path
    if fallback == 2:
        return Reason("fallback_condition", {"condition": node_label(labels, path[0])})
    if fallback == 1:
        return Reason(
            "fallback_subcondition",
            {"condition": node_label(labels, path[1]), "wider": node_label(labels, path[0])},
        )
    return None


def node_label(labels: Labels, node: int) -> str:
    return labels.conditions.get(node, str(node))


def path_label(labels: Labels, path: tuple[int, ...]) -> str:
    """'mastectomy with reconstruction' for breast cancer > mastectomy > with
    reconstruction; the condition's own name when the path stops there."""
    names = [node_label(labels, node) for node in path[1:3]] or [node_label(labels, path[0])]
    return " ".join(names)


def shared_levels(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    level = 0
    for mine, theirs in zip(a[:3], b[:3], strict=False):
        if mine != theirs:
            break
        level += 1
    return level


# --- Why a peer is suggested ----------------------------------------------------------


def pair_reasons(
    seeker: SeekerRecord,
    peer: PeerRecord,
    points: Mapping[str, float],
    labels: Labels,
) -> tuple[Reason, ...]:
    """Plain-words reasons for one pair, the components that add most first."""
    found: list[tuple[float, int, Reason]] = []
    for name, value in points.items():
        if value > 0:
            order = COMPONENT_INDEX[name]
            found += [
                (-value, order, reason) for reason in _EXPLAIN[name](seeker, peer, points, labels)
            ]
    found.sort(key=_BY_POINTS_THEN_ORDER)  # stable: a component's reasons keep their order
    return tuple(reason for _, _, reason in found)


_BY_POINTS_THEN_ORDER = itemgetter(0, 1)
_AGE_CODES = {0: "age_same", 1: "age_one"}
_SINCE_CODES = {0: "since_same", 1: "since_one"}


def _explain_condition(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    mine, theirs = seeker.condition_path[:3], peer.condition_path[:3]
    level = shared_levels(mine, theirs)
    reasons = []
    if level and (mine == theirs or (level == 1 and min(len(mine), len(theirs)) == 1)):
        reasons.append(said("condition_same", "condition", path_label(labels, mine[:level])))
    elif level >= 2:
        reasons.append(said("condition_shared", "condition", path_label(labels, mine[:2])))
    elif level == 1:
        reasons.append(said("condition_related", "condition", node_label(labels, mine[0])))
    facets = sorted(seeker.facets & peer.facets)
    if facets:
        names = ", ".join(node_label(labels, facet) for facet in facets)
        reasons.append(said("facets_shared", "facets", names))
    if level and seeker.since_year is not None and peer.since_year is not None:
        years = round(abs(seeker.since_year - peer.since_year))
        code = _SINCE_CODES.get(years, "since_apart")
        reasons.append(said(code, "years", years))
    return reasons


def _explain_issues(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    shared = sorted(seeker.issues & peer.issues, key=lambda i: (labels.issues.get(i, ""), i))
    names = ", ".join(labels.issues.get(i, str(i)) for i in shared)
    if len(shared) == 1:
        return [said("issues_one", "issues", names)]
    return [Reason("issues_many", {"count": len(shared), "issues": names})]


def _explain_text(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    return [said("text_similar")]


def _explain_age(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    if seeker.age is None or peer.age is None:
        return []
    years = round(abs(seeker.age - peer.age))
    return [said(_AGE_CODES.get(years, "age_apart"), "years", years)]


def _explain_gender(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    return [said("gender_wish")]


def _explain_language(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    for code in (seeker.language, *seeker.languages):
        if code and code in peer.languages:
            return [said("language_both", "language", labels.languages.get(code, code))]
    return []


def _explain_culture(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    return [said("culture_shared", "culture", ", ".join(sorted(seeker.cultures & peer.cultures)))]


def _explain_distance(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    if seeker.lat is None or seeker.lon is None or peer.lat is None or peer.lon is None:
        return []
    km = great_circle_km((seeker.lat, seeker.lon), (peer.lat, peer.lon))
    return [said("distance_near")] if km < 1 else [said("distance_km", "km", round(km))]


_MODALITY_ORDER = ("in_person", "video", "telephone", "text")


def _explain_modality(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    shared = seeker.modalities & peer.modalities
    if points.get("distance", 1.0) <= 0:  # too far to meet in person: say the other ways
        shared = shared - {"in_person"}
    for way in _MODALITY_ORDER:
        if way in shared:
            return [said(f"modality_{way}")]
    return [said("modality_other")] if shared else []


def _part_of_week(slot: int) -> str:
    day, hour = divmod(slot, 24)
    if hour >= 22 or hour < 6:
        return "nights"
    when = "mornings" if hour < 12 else "afternoons" if hour < 17 else "evenings"
    return f"{'weekday' if day < 5 else 'weekend'}_{when}"


def _explain_availability(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    counts: dict[str, int] = {}
    for slot in sorted(seeker.availability & peer.availability):
        part = _part_of_week(slot)
        counts[part] = counts.get(part, 0) + 1
    return [said(f"available_{max(counts, key=counts.__getitem__)}")] if counts else []


def _explain_capacity(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    return [said("capacity_room", "remaining", peer.remaining)] if peer.remaining >= 2 else []


def _explain_continuity(
    seeker: SeekerRecord, peer: PeerRecord, points: Mapping[str, float], labels: Labels
) -> list[Reason]:
    return [said("continuity")]


_Explain = Callable[[SeekerRecord, PeerRecord, Mapping[str, float], Labels], list[Reason]]
_EXPLAIN: dict[str, _Explain] = {
    "condition": _explain_condition,
    "issues": _explain_issues,
    "text": _explain_text,
    "age": _explain_age,
    "gender": _explain_gender,
    "language": _explain_language,
    "culture": _explain_culture,
    "distance": _explain_distance,
    "modality": _explain_modality,
    "availability": _explain_availability,
    "capacity": _explain_capacity,
    "continuity": _explain_continuity,
}


# --- Why a peer is not suggested ------------------------------------------------------


def refusals(
    seeker: SeekerRecord, peer: PeerRecord, q: Queries, table: PeerTable, labels: Labels
) -> list[Reason]:
    """Every hard rule the pair fails (q: the seeker as the kernel sees them), in the
    order a coordinator reads them; empty when the pair is feasible."""
    refusals = []
    if not peer.eligible:
        refusals.append(Reason("not_eligible", {"blockers": "; ".join(peer.blockers) or "-"}))
    if peer.remaining <= 0:
        refusals.append(Reason("at_capacity"))
    if peer.id in seeker.excluded:
        refusals.append(Reason("excluded"))
    need = {name: bool(mask[0, 0]) for name, mask in q.need.items()}
    if need["condition"] and shared_levels(seeker.condition_path, peer.condition_path) == 0:
        refusals.append(Reason("required_condition"))
    if need["gender"] and peer.gender != seeker.peer_gender:
        refusals.append(Reason("required_gender"))
    wanted = (seeker.language,) if seeker.language else seeker.languages
    if need["language"] and not set(wanted) & set(peer.languages):
        names = " / ".join(labels.languages.get(code, code) for code in wanted)
        refusals.append(Reason("required_language", {"language": names}))
    if need["culture"] and not seeker.cultures & peer.cultures:
        refusals.append(Reason("required_culture"))
    if need["modality"] and not seeker.modalities & peer.modalities:
        refusals.append(Reason("required_modality"))
    if need["distance"] and seeker.lat is not None and seeker.lon is not None:
        max_km = float(q.max_km[0, 0])
        if peer.lat is None or peer.lon is None:
            refusals.append(Reason("required_distance_unknown", {"max_km": round(max_km)}))
        else:  # the kernel's own distance, so the verdict is the same as the suggestions'
            row = np.array([table.row_of[peer.id]], dtype=np.intp)
            km = float(pair_km(q, table.columns.take(row))[0, 0])
            if km > max_km:
                params = {"km": round(km), "max_km": round(max_km)}
                refusals.append(Reason("required_distance", params))
    return refusals
