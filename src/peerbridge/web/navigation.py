"""The navigation each role sees: only links its roles can open."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peerbridge.core.access import Policy
from peerbridge.evaluation import policies as evaluation_policies
from peerbridge.followups import policies as followup_policies
from peerbridge.matching import policies as matching_policies
from peerbridge.notifications import policies as notification_policies
from peerbridge.organisations import policies
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import (
    AnyUser,
    active_assignments,
    programmes_in_scope,
    user_roles,
)
from peerbridge.outcomes import policies as outcome_policies
from peerbridge.referrals import policies as referral_policies
from peerbridge.safety import policies as safety_policies
from peerbridge.support import policies as support_policies
from peerbridge.workforce import policies as workforce_policies


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    key: str


# A programme's own pages, by the policy their views check.
PROGRAMME_PAGES: list[tuple[Policy, str | Promise, str, str]] = [
    (notification_policies.OUTBOX_VIEW, _("Programme outbox"), "notifications:outbox", "outbox"),
    (safety_policies.SAFETY_SETTINGS_EDIT, _("On-call rota"), "safety:on_call", "on_call"),
    (
        safety_policies.SAFETY_SETTINGS_EDIT,
        _("Safety settings"),
        "safety:settings",
        "safety_settings",
    ),
    (
        support_policies.SUPPORT_SETTINGS_EDIT,
        _("Support settings"),
        "support:settings",
        "support_settings",
    ),
    (
        outcome_policies.SCHEDULE_EDIT,
        _("Questionnaire schedule"),
        "outcomes:schedule",
        "questionnaires",
    ),
]


def only_programme(user: AnyUser, policy: Policy) -> int | None:
    """The programme when every role the user holds under the policy is held in that one
    programme. A leader or coordinator over several programmes, or over a whole site,
    finds these pages next to each programme they run on the home page
    (`programme_pages`), so the menu stays short."""
    scopes = {a.programme_id for a in active_assignments(user) if a.role in policy.roles}
    if len(scopes) == 1 and None not in scopes:
        return scopes.pop()
    return None


def programme_links_for(user: AnyUser) -> list[NavLink]:
    links = []
    for policy, label, url_name, key in PROGRAMME_PAGES:
        programme_id = only_programme(user, policy)
        if programme_id is not None:
            links.append(NavLink(label, reverse(url_name, args=[programme_id]), key))
    return links


def programme_pages(
    user: AnyUser, programmes: Iterable[Programme]
) -> list[tuple[Programme, list[NavLink]]]:
    """Each programme with the links to its own pages the user may open: at most one
    query per policy, whatever the number of programmes."""
    reached: dict[str, set[int]] = {}
    for policy, *_rest in PROGRAMME_PAGES:
        if policy.name not in reached:
            # No query when none of the user's roles is under the policy (`none()`).
            in_scope = programmes_in_scope(user=user, policy=policy)
            reached[policy.name] = set(in_scope.values_list("pk", flat=True))
    return [
        (
            programme,
            [
                NavLink(label, reverse(url_name, args=[programme.pk]), key)
                for policy, label, url_name, key in PROGRAMME_PAGES
                if programme.pk in reached[policy.name]
            ],
        )
        for programme in programmes
    ]


def links_for(user: AnyUser) -> list[NavLink]:
    if not user.is_authenticated:
        return []
    roles = user_roles(user)
    links = [NavLink(_("Home"), reverse("web:home"), "home")]
    if roles & policies.PROGRAMME_VIEW.roles:
        links.append(
            NavLink(_("Programmes"), reverse("organisations:programme_list"), "programmes")
        )
    organisation_ids = sorted(
        {
            a.organisation_id
            for a in active_assignments(user)
            if a.role in policies.ORGANISATION_VIEW.roles
        }
    )
    if organisation_ids:
        links.append(
            NavLink(
                _("Organisation"),
                reverse("organisations:organisation_detail", args=[organisation_ids[0]]),
                "organisation",
            )
        )
    if roles & referral_policies.INTAKE_MANAGE.roles:
        links.append(NavLink(_("Intake"), reverse("referrals:intake_overview"), "intake"))
    if roles & matching_policies.MATCH_MAKE.roles:
        links.append(NavLink(_("Matching"), reverse("matching:overview"), "matching"))
    if roles & followup_policies.WORK_QUEUE.roles:
        links.append(NavLink(_("Follow-ups"), reverse("followups:queue"), "followups"))
    if roles & workforce_policies.WORKFORCE_SUMMARY_VIEW.roles:
        links.append(NavLink(_("Peer team"), reverse("workforce:overview"), "workforce"))
    if roles & workforce_policies.SUPERVISE.roles:
        links.append(NavLink(_("Supervision"), reverse("workforce:supervisor"), "supervision"))
    if roles & workforce_policies.PEER_SELF.roles:
        links.append(NavLink(_("My peer work"), reverse("workforce:me"), "peer_work"))
        links.append(NavLink(_("My matches"), reverse("matching:my_matches"), "my_matches"))
    if roles & safety_policies.FLAG_VIEW.roles:
        links.append(NavLink(_("My flags"), reverse("safety:my_flags"), "flags"))
    if roles & workforce_policies.PEER_SELF.roles:
        links.append(
            NavLink(_("My fidelity observations"), reverse("evaluation:fidelity_mine"), "fidelity")
        )
    if Role.PARTICIPANT in roles:
        links.append(NavLink(_("My progress"), reverse("outcomes:my_progress"), "progress"))
    if roles & evaluation_policies.REPORT_VIEW.roles:
        links.append(NavLink(_("Evaluation"), reverse("evaluation:index"), "evaluation"))
    if roles & referral_policies.REFERRAL_STATUS_VIEW.roles:
        links.append(NavLink(_("Refer someone"), reverse("referrals:referral_create"), "refer"))
        links.append(NavLink(_("My referrals"), reverse("referrals:my_referrals"), "referrals"))
    if roles & referral_policies.DIRECTORY_VIEW.roles:
        links.append(NavLink(_("Directory"), reverse("directory:service_search"), "directory"))
    links.extend(programme_links_for(user))
    if roles & outcome_policies.LICENCE_RECORD.roles:
        links.append(NavLink(_("Questionnaire licences"), reverse("outcomes:licences"), "licences"))
    if roles & policies.AUDIT_VIEW.roles:
        links.append(NavLink(_("Audit log"), reverse("web:audit_log"), "audit"))
    links.append(NavLink(_("Messages"), reverse("notifications:inbox"), "messages"))
    links.append(NavLink(_("My data"), reverse("rights:my_data"), "my_data"))
    links.append(NavLink(_("My account"), reverse("web:account"), "account"))
    return links
