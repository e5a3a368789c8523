"""Participant choice: the coordinator sends a waiting participant a few peers to choose
from, through a secure link that expires; the participant picks one (the match is made
and offered to that peer) or asks for others, without an account.

What the participant sees is frozen when the link is sent (`ChoiceInvitation.shown`):
each peer's alias, a summary of their lived experience written from the condition and
issues they recorded, an age band, languages, availability in plain words and ways of
meeting. Never a name, contact details, an exact age, a site or their story verbatim.

A link carries a random token; only its SHA-256 digest is stored. When the participant
agreed to email contact, the worker emails them a link it mints itself (so no working
link ever sits in the task queue); otherwise the coordinator is shown the link once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.links import token_digest as token_digest
from peerbridge.core.links import token_lookup, token_new
from peerbridge.core.models import User
from peerbridge.matching import configuration, lifecycle, policies, suggestions
from peerbridge.matching.models import LIVE_MATCH_STATUSES, ChoiceInvitation, Match
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.people.models import (
    Condition,
    ConsentScope,
    LivedExperience,
    Person,
    language_name,
)
from peerbridge.people.selectors import consent_allows
from peerbridge.referrals import policies as referral_policies
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.workforce.eligibility import standings
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.selectors import as_pk

MAX_PROFILES = 10
COMMENT_MAX = 1000
Status = ChoiceInvitation.Status


class ChoiceUnavailable(Exception):
    """A link that cannot be answered now: `state` is "unknown", "expired", or the
    invitation's status ("chosen", "more", "withdrawn")."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


def choice_url(token: str, site_url: str = "") -> str:
    return site_url.rstrip("/") + reverse("matching:choose", args=[token])


def link_state(invitation: ChoiceInvitation, now: Any = None) -> str:
    """ "open", "expired", or the invitation's closed status."""
    if invitation.status == Status.OPEN and invitation.expires_at <= (now or timezone.now()):
        return Status.EXPIRED.value
    return str(invitation.status)


# ---------------------------------------------------------------------------------------
# What the participant is shown


AGE_BANDS = (
    (18, Person.AgeBand.UNDER_18),
    (25, Person.AgeBand.FROM_18),
    (35, Person.AgeBand.FROM_25),
    (45, Person.AgeBand.FROM_35),
    (55, Person.AgeBand.FROM_45),
    (65, Person.AgeBand.FROM_55),
    (75, Person.AgeBand.FROM_65),
)
SHOWN_GENDERS = frozenset({Person.Gender.WOMAN, Person.Gender.MAN, Person.Gender.NON_BINARY})


def age_band(person: Person) -> str:
    """The person's age band label (never the exact age)."""
    age = person.age
    if age is None:
        return str(Person.AgeBand(person.age_band).label) if person.age_band else ""
    for below, band in AGE_BANDS:
        if age < below:
            return str(band.label)
    return str(Person.AgeBand.FROM_75.label)


def _day_names() -> list[str]:
    return [
        _("Mondays"),
        _("Tuesdays"),
        _("Wednesdays"),
        _("Thursdays"),
        _("Fridays"),
        _("Saturdays"),
        _("Sundays"),
    ]


def _parts_of_day(start: str, end: str) -> list[int]:
    """0 morning (before 12:00), 1 afternoon (12:00-17:00), 2 evening (from 17:00)."""
    parts = [(0, "00:00", "12:00"), (1, "12:00", "17:00"), (2, "17:00", "24:00")]
    return [part for part, begins, ends in parts if start < ends and end > begins]


def availability_words(windows: object) -> list[str]:
    """Weekly windows as plain words, by day: "Mondays: evenings"."""
    if not isinstance(windows, list):
        return []
    found: dict[int, set[int]] = defaultdict(set)
    for window in windows:
        if isinstance(window, dict) and isinstance(window.get("day"), int):
            start, end = str(window.get("start", "")), str(window.get("end", ""))
            found[int(window["day"])].update(_parts_of_day(start, end))
    names = [_("mornings"), _("afternoons"), _("evenings")]
    days = _day_names()
    return [
        _("%(day)s: %(parts)s") % {"day": days[day], "parts": ", ".join(names[p] for p in parts)}
        for day, parts in sorted(found.items())
        if 0 <= day <= 6 and parts
    ]


def _years_ago(experience: LivedExperience) -> str:
    """Roughly how long ago, in years (never the date)."""
    if experience.since is None:
        return ""
    years = max(0, timezone.localdate().year - experience.since.year)
    Since = LivedExperience.SinceKind
    if experience.since_kind == Since.DIAGNOSIS:
        if not years:
            return _("Diagnosed within the last year.")
        return ngettext(
            "Diagnosed about %(n)d year ago.", "Diagnosed about %(n)d years ago.", years
        ) % {"n": years}
    if experience.since_kind == Since.DISCHARGE:
        if not years:
            return _("Surgery or hospital stay within the last year.")
        return ngettext(
            "Surgery or hospital stay about %(n)d year ago.",
            "Surgery or hospital stay about %(n)d years ago.",
            years,
        ) % {"n": years}
    if not years:
        return _("Within the last year.")
    return ngettext("About %(n)d year ago.", "About %(n)d years ago.", years) % {"n": years}


def _soft_lower(name: str) -> str:
    """ "Mastectomy" reads "mastectomy" inside a sentence; "HIV" stays "HIV"."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _condition_words(condition: Condition) -> str:
    """ "Breast cancer: mastectomy, with reconstruction"."""
    root, *rest = [node.name for node in condition.lineage()]
    if not rest:
        return root
    return f"{root}: " + ", ".join(_soft_lower(name) for name in rest)


def experience_summary(experience: LivedExperience | None) -> str:
    """What the peer has been through, from the structured record: the condition path,
    facets and issues, and roughly how long ago. Never their story."""
    if experience is None or (experience.condition is None and not experience.issues.all()):
        return _("Has lived experience of what this programme supports.")
    sentences = []
    if experience.condition is not None:
        condition = _condition_words(experience.condition)
        if experience.is_caregiver:
            sentences.append(
                _("Has supported someone close through %(condition)s (%(relationship)s).")
                % {
                    "condition": condition,
                    "relationship": str(experience.get_relationship_display()).lower(),
                }
            )
        else:
            sentences.append(_("Has been through %(condition)s.") % {"condition": condition})
    facets = sorted(_soft_lower(facet.name) for facet in experience.facets.all())
    if facets:
        sentences.append(_("Also: %(facets)s.") % {"facets": ", ".join(facets)})
    issues = sorted(issue.name for issue in experience.issues.all())
    if issues:
        sentences.append(_("Knows about: %(issues)s.") % {"issues": ", ".join(issues)})
    if experience.condition is not None:
        sentences.append(_years_ago(experience))
    return " ".join(sentence for sentence in sentences if sentence)


def _experiences(profiles: Sequence[PeerProfile], programme: Programme) -> dict[int, Any]:
    rows = (
        LivedExperience.objects.filter(
            programme=programme,
            perspective=LivedExperience.Perspective.BEEN_THROUGH,
            person_id__in=[p.person_id for p in profiles],
        )
        .select_related("condition__parent__parent")
        .prefetch_related("facets", "issues")
        .defer("story")
    )
    return {row.person_id: row for row in rows}


def shown_for(profiles: Sequence[PeerProfile], programme: Programme) -> list[dict[str, Any]]:
    """What a participant choosing sees of each peer, frozen at sending (a fixed number
    of queries whatever the number of peers)."""
    experiences = _experiences(profiles, programme)
    shown = []
    for index, profile in enumerate(profiles):
        person = profile.person
        gender = person.gender if person.gender in SHOWN_GENDERS else ""
        shown.append(
            {
                "profile": profile.pk,
                "alias": profile.alias.strip()
                or _("Peer %(letter)s") % {"letter": "ABCDEFGHIJKLMNOPQRST"[index]},
                "experience": experience_summary(experiences.get(person.pk)),
                "age_band": age_band(person),
                "gender": str(Person.Gender(gender).label) if gender else "",
                "languages": [language_name(code) for code in person.languages or []],
                "availability": availability_words(profile.availability),
                "modalities": [
                    str(Programme.Modality(m).label)
                    for m in profile.modalities or programme.modalities or []
                    if m in Programme.Modality.values
                ],
            }
        )
    return shown


# ---------------------------------------------------------------------------------------
# Sending


@dataclass(frozen=True)
class ChoiceSent:
    """A sent invitation and, when it was not emailed, the link to give the participant
    (shown once: it cannot be read again)."""

    invitation: ChoiceInvitation
    link: str
    emailed: bool


def _check_waiting(enrolment: Enrolment) -> None:
    if enrolment.status != EnrolmentStatus.WAITING:
        raise ValidationError(
            {
                "enrolment": _(
                    "Only a participant on the waiting list can choose a peer; this one is "
                    "%(status)s."
                )
                % {"status": enrolment.get_status_display().lower()}
            }
        )
    if Match.objects.filter(enrolment=enrolment, status__in=sorted(LIVE_MATCH_STATUSES)).exists():
        raise ValidationError({"enrolment": _("This participant already has a match under way.")})


def _check_sendable(enrolment: Enrolment) -> None:
    _check_waiting(enrolment)
    still_open = open_invitations(enrolment).first()
    if still_open is not None:
        raise ValidationError(
            {
                "enrolment": _(
                    "A choice link sent earlier is open until %(day)s: withdraw it before "
                    "sending another."
                )
                % {"day": formats.date_format(timezone.localtime(still_open.expires_at))}
            }
        )


def sending_problem(enrolment: Enrolment) -> str:
    """Why a choice link cannot be sent to this participant now ("" when it can)."""
    try:
        _check_sendable(enrolment)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def still_waiting(enrolment: Enrolment) -> bool:
    """Whether the participant may still be matched (waiting, no match under way)."""
    try:
        _check_waiting(enrolment)
    except ValidationError:
        return False
    return True


def open_invitations(enrolment: Enrolment) -> QuerySet[ChoiceInvitation]:
    return ChoiceInvitation.objects.filter(
        enrolment=enrolment, status=Status.OPEN, expires_at__gt=timezone.now()
    )


def already_shown(enrolment: Enrolment) -> set[int]:
    """Peers shown in earlier links the participant answered by asking for others."""
    return set(
        ChoiceInvitation.profiles.through.objects.filter(
            choiceinvitation__enrolment=enrolment, choiceinvitation__status=Status.MORE
        ).values_list("peerprofile_id", flat=True)
    )


def _checked_profiles(enrolment: Enrolment, profiles: Sequence[PeerProfile]) -> list[PeerProfile]:
    if not 1 <= len(profiles) <= MAX_PROFILES:
        raise ValidationError(
            {"profiles": _("Offer from 1 to %(max)d peers.") % {"max": MAX_PROFILES}}
        )
    if len({p.pk for p in profiles}) != len(profiles):
        raise ValidationError({"profiles": _("Offer each peer once.")})
    excluded = lifecycle.excluded_profiles(enrolment)
    found = standings(profiles)
    for profile in profiles:
        if profile.programme_id != enrolment.programme_id:
            raise ValidationError({"profiles": _("Offer peers of this programme only.")})
        if profile.person_id == enrolment.person_id:
            raise ValidationError({"profiles": _("A person cannot be their own peer.")})
        if profile.pk in excluded:
            raise ValidationError(
                {"profiles": _("A peer offered is not to be suggested to this participant again.")}
            )
        if not found[profile.pk].may_take_match:
            raise ValidationError(
                {
                    "profiles": _("%(alias)s may not take a match now: %(why)s")
                    % {
                        "alias": profile.alias or str(profile.person),
                        "why": " ".join(b.detail for b in found[profile.pk].match_blockers),
                    }
                }
            )
    return list(profiles)


def choice_candidates(enrolment: Enrolment, *, k: int | None = None) -> list[PeerProfile]:
    """The peers a link would offer now: the top suggestions (the programme's number of
    choice profiles by default), leaving out peers the participant already passed over."""
    rules = configuration.match_settings(enrolment.programme)
    wanted = k or rules.choice_profiles
    skip = already_shown(enrolment)
    page = suggestions.suggest_for(
        enrolment, k=min(wanted + len(skip), suggestions.MAX_SUGGESTIONS)
    )
    return [p for p in page.profiles if p.pk not in skip][:wanted]


def may_email(enrolment: Enrolment) -> str:
    """The participant's address when they agreed to email contact in the programme;
    "" otherwise (read fresh: a withdrawal acts at once)."""
    person = enrolment.person
    if person.is_erased or not consent_allows(
        person=person, programme_id=enrolment.programme_id, scope=ConsentScope.CONTACT_EMAIL
    ):
        return ""
    own = (person.email or "").strip()
    if own:
        return own
    user = person.user
    return user.email if user is not None and user.is_active else ""


@transaction.atomic
def choice_send(
    *,
    enrolment: Enrolment,
    actor: User,
    profiles: Sequence[PeerProfile] | None = None,
    site_url: str = "",
) -> ChoiceSent:
    """Send a waiting participant a choice of peers (the top suggestions unless
    `profiles` are given). Emailed through the worker when they agreed to email contact;
    otherwise the link is returned for the coordinator to pass on, once."""
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("person", "programme")
        .get(pk=enrolment.pk)
    )
    _check_sendable(enrolment)
    chosen = (
        choice_candidates(enrolment) if profiles is None else _checked_profiles(enrolment, profiles)
    )
    if not chosen:
        raise ValidationError(
            {"profiles": _("No peer can take someone new now: try again later, or match by hand.")}
        )
    rules = configuration.match_settings(enrolment.programme)
    token, digest = token_new()
    invitation = ChoiceInvitation.objects.create(
        enrolment=enrolment,
        token_hash=digest,
        shown=shown_for(chosen, enrolment.programme),
        expires_at=timezone.now() + timedelta(days=rules.choice_link_days),
        created_by=actor,
    )
    invitation.profiles.set(chosen)
    audit_instance(actor=actor, action=Action.CREATE, instance=invitation)
    if may_email(enrolment):
        invitation_id = invitation.pk
        transaction.on_commit(
            lambda: send_choice_link.enqueue(invitation_id=invitation_id, site_url=site_url)
        )
        return ChoiceSent(invitation, "", True)
    return ChoiceSent(invitation, choice_url(token, site_url), False)


@transaction.atomic
def choice_link_deliver(*, invitation_id: int, site_url: str) -> int:
    """Email the participant a fresh link to an open invitation (the worker runs this).
    Consent is read again; the email names no programme, condition or peer."""
    invitation = (
        ChoiceInvitation.objects.select_for_update(of=("self",))
        .select_related("enrolment__person__user")
        .filter(pk=invitation_id, status=Status.OPEN, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        return 0
    address = may_email(invitation.enrolment)
    if not address:
        return 0
    token, invitation.token_hash = token_new()
    invitation.save(update_fields=["token_hash"])
    audit_instance(actor=None, action=Action.UPDATE, instance=invitation)
    until = formats.date_format(timezone.localtime(invitation.expires_at))
    return send_mail(
        subject=_("Choose your peer supporter"),
        message=_(
            "Hello,\n\nYou can now choose who supports you. Open this link to see a few peer "
            "supporters and pick one, or ask for others. No account is needed; the link "
            "works until %(day)s:\n%(link)s\n\nIf you did not expect this email, you can "
            "ignore it."
        )
        % {"day": until, "link": choice_url(token, site_url)},
        from_email=None,
        recipient_list=[address],
    )


@task()
def send_choice_link(*, invitation_id: int, site_url: str) -> int:
    """Email a participant their choice link (minted here: the queue holds no secret)."""
    return choice_link_deliver(invitation_id=invitation_id, site_url=site_url)


# ---------------------------------------------------------------------------------------
# The participant's answer


def invitation_for_token(token: str) -> ChoiceInvitation | None:
    digest = token_lookup(token)
    if digest is None:
        return None
    return (
        ChoiceInvitation.objects.select_related("enrolment__programme")
        .filter(token_hash=digest)
        .first()
    )


def _answerable(token: str) -> ChoiceInvitation:
    digest = token_lookup(token)
    invitation = (
        None
        if digest is None
        else ChoiceInvitation.objects.select_for_update().filter(token_hash=digest).first()
    )
    if invitation is None:
        raise ChoiceUnavailable("unknown")
    state = link_state(invitation)
    if state != Status.OPEN:
        raise ChoiceUnavailable(state)
    return invitation


def _clean_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {"comment": _("Keep it under %(n)d characters.") % {"n": COMMENT_MAX}}
        )
    if "\x00" in comment:
        raise ValidationError({"comment": _("Remove the unusual characters.")})
    return comment


def _answer(invitation: ChoiceInvitation, status: str, comment: str) -> ChoiceInvitation:
    invitation.status = status
    invitation.responded_at = timezone.now()
    invitation.comment = comment
    invitation.save(update_fields=["status", "responded_at", "comment", "chosen", "match"])
    audit_instance(actor=None, action=Action.UPDATE, instance=invitation)
    return invitation


@transaction.atomic
def choice_pick(*, token: str, profile_id: int, comment: str = "") -> ChoiceInvitation:
    """The participant picks one of the peers shown: the match is made and offered to
    that peer at once. A peer who can no longer take someone is refused on "profile",
    and the link stays open to choose another or ask for others."""
    invitation = _answerable(token)
    comment = _clean_comment(comment)
    if profile_id not in {entry.get("profile") for entry in invitation.shown}:
        raise ValidationError({"profile": _("Choose one of the peers shown.")})
    profile = PeerProfile.objects.select_related("person").get(pk=profile_id)
    enrolment = Enrolment.objects.select_related("programme").get(pk=invitation.enrolment_id)
    try:
        with transaction.atomic():
            match = lifecycle.match_create(
                enrolment=enrolment,
                profile=profile,
                source=Match.Source.CHOICE,
                actor=None,
                reasons=[
                    _("Chosen by the participant among %(n)d peers.") % {"n": len(invitation.shown)}
                ],
                offer=True,
            )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "peer" in error.error_dict:
            raise ValidationError(
                {
                    "profile": _(
                        "This peer cannot take someone new right now. Please choose another, "
                        "or ask for others."
                    )
                }
            ) from None
        raise ChoiceUnavailable("closed") from None
    invitation.chosen = profile
    invitation.match = match
    return _answer(invitation, Status.CHOSEN, comment)


@transaction.atomic
def choice_more(*, token: str, comment: str = "") -> ChoiceInvitation:
    """The participant asks for other peers; the coordinator sees it with the comment."""
    invitation = _answerable(token)
    return _answer(invitation, Status.MORE, _clean_comment(comment))


@transaction.atomic
def choice_expire(invitation: ChoiceInvitation) -> bool:
    """Record that an open link has passed its expiry (once)."""
    done = ChoiceInvitation.objects.filter(
        pk=invitation.pk, status=Status.OPEN, expires_at__lte=timezone.now()
    ).update(status=Status.EXPIRED)
    if done:
        invitation.status = Status.EXPIRED
        audit_instance(actor=None, action=Action.UPDATE, instance=invitation)
    return bool(done)


# ---------------------------------------------------------------------------------------
# Staff: reading and withdrawing


def invitations_in_scope(user: AnyUser) -> QuerySet[ChoiceInvitation]:
    programmes = programmes_in_scope(user=user, policy=policies.MATCH_MAKE)
    return ChoiceInvitation.objects.filter(enrolment__programme__in=programmes)


def access_invitation(*, user: AnyUser, invitation_id: Any) -> ChoiceInvitation:
    """An invitation for those who match in its programme: 404 outside their reach, 403
    for staff who see the enrolment but do not match."""
    pk = as_pk(invitation_id)
    invitation = (
        invitations_in_scope(user)
        .select_related("enrolment__person", "enrolment__programme")
        .filter(pk=pk)
        .first()
    )
    if invitation is None:
        visible = programmes_in_scope(user=user, policy=referral_policies.ENROLMENT_VIEW)
        if ChoiceInvitation.objects.filter(pk=pk, enrolment__programme__in=visible).exists():
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=invitation.enrolment.person)
    return invitation


def invitations_of(enrolment: Enrolment) -> list[ChoiceInvitation]:
    return list(
        ChoiceInvitation.objects.filter(enrolment=enrolment)
        .select_related("chosen__person", "created_by", "match")
        .order_by("-created_at", "-id")
    )


@transaction.atomic
def choice_withdraw(*, invitation: ChoiceInvitation, actor: User) -> ChoiceInvitation:
    """Close an open link: it shows the participant that it is no longer in use."""
    done = ChoiceInvitation.objects.filter(
        pk=invitation.pk, status=Status.OPEN, expires_at__gt=timezone.now()
    ).update(status=Status.WITHDRAWN, responded_at=None)
    if not done:
        raise ValidationError({"invitation": _("Only an open link can be withdrawn.")})
    invitation.refresh_from_db()
    audit_instance(actor=actor, action=Action.UPDATE, instance=invitation)
    return invitation


def shown_people(invitations: Iterable[ChoiceInvitation]) -> list[int]:
    """Person ids of the peers chosen in these invitations (for read audits)."""
    return sorted({i.chosen.person_id for i in invitations if i.chosen is not None})
