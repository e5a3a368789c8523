"""The evaluation start page: each programme in the user's scope with the evaluation
pages they may open (analytics, funder report, implementation, what works for whom,
fidelity, the research export, quotes)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from peerbridge.core.access import acting_user, view_policy
from peerbridge.evaluation import policies
from peerbridge.organisations.selectors import programmes_in_scope

PAGES = [
    (policies.REPORT_VIEW, _("Outcomes and flow"), "evaluation:analytics"),
    (policies.REPORT_VIEW, _("Funder report"), "evaluation:funder_report"),
    (policies.REPORT_VIEW, _("Implementation"), "evaluation:implementation"),
    (policies.REPORT_VIEW, _("What works, for whom"), "evaluation:realist"),
    (policies.FIDELITY_VIEW, _("Fidelity"), "evaluation:fidelity_overview"),
    (policies.RESEARCH_EXPORT, _("Research export"), "evaluation:research_export"),
    (policies.QUOTE_MANAGE, _("Quotes for reports"), "evaluation:quotes"),
]


@view_policy(policies.REPORT_VIEW)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    programmes = list(programmes_in_scope(user=user, policy=policies.REPORT_VIEW).order_by("name"))
    reached = {
        policy.name: set(programmes_in_scope(user=user, policy=policy).values_list("pk", flat=True))
        for policy in {policy for policy, _label, _name in PAGES}
    }
    rows = [
        (
            programme,
            [
                (label, reverse(name, args=[programme.pk]))
                for policy, label, name in PAGES
                if programme.pk in reached[policy.name]
            ],
        )
        for programme in programmes
    ]
    return render(request, "evaluation/index.html", {"rows": rows})
