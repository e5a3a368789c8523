"""The navigation each role sees: only links its roles can open."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peerbridge.followups import policies as followup_policies
from peerbridge.matching import policies as matching_policies
from peerbridge.organisations import policies
from peerbridge.organisations.selectors import AnyUser, active_assignments, user_roles
from peerbridge.referrals import policies as referral_policies
from peerbridge.workforce import policies as workforce_policies


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    key: str


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
    if roles & referral_policies.REFERRAL_STATUS_VIEW.roles:
        links.append(NavLink(_("Refer someone"), reverse("referrals:referral_create"), "refer"))
        links.append(NavLink(_("My referrals"), reverse("referrals:my_referrals"), "referrals"))
    if roles & referral_policies.DIRECTORY_VIEW.roles:
        links.append(NavLink(_("Directory"), reverse("directory:service_search"), "directory"))
    if roles & policies.AUDIT_VIEW.roles:
        links.append(NavLink(_("Audit log"), reverse("web:audit_log"), "audit"))
    links.append(NavLink(_("My data"), reverse("rights:my_data"), "my_data"))
    links.append(NavLink(_("My account"), reverse("web:account"), "account"))
    return links
