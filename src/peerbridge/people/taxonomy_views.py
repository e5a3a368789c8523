"""Pages for the condition taxonomy, a programme's issues and a person's lived
experience. Thin: authorise while fetching, read a form, call one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.selectors import access_programme, programmes_in_scope
from peerbridge.people import policies, taxonomy
from peerbridge.people.models import LivedExperience
from peerbridge.people.taxonomy_forms import (
    ConditionAddForm,
    ConditionEditForm,
    ExperienceForm,
    IssueTagEditForm,
    IssueTagForm,
)


def _tree_url(organisation_id: int, condition_id: int) -> str:
    url = reverse("taxonomy:condition_tree", args=[organisation_id])
    return f"{url}#condition-{condition_id}"


@view_policy(policies.TAXONOMY_VIEW)
@require_http_methods(["GET", "POST"])
def condition_tree(request: HttpRequest, organisation_id: int) -> HttpResponse:
    posting = request.method == "POST"
    organisation = taxonomy.access_taxonomy(
        user=request.user, organisation_id=organisation_id, edit=posting
    )
    tree = taxonomy.taxonomy_tree(organisation=organisation)
    form = ConditionAddForm(request.POST if posting else None, nodes=taxonomy.flatten(tree))
    if posting and form.is_valid():
        try:
            condition = taxonomy.condition_create(
                organisation=organisation, created_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Condition added."))
            return redirect(_tree_url(organisation.pk, condition.pk))
    programmes = programmes_in_scope(user=request.user, policy=policies.TAXONOMY_VIEW)
    context = {
        "organisation": organisation,
        "tree": tree,
        "form": form,
        "can_edit": posting
        or taxonomy.may_edit_taxonomy(user=request.user, organisation=organisation),
        "programmes": programmes.filter(site__organisation=organisation).order_by("name"),
    }
    return render(
        request, "people/taxonomy/condition_tree.html", context, status=422 if posting else 200
    )


@view_policy(policies.TAXONOMY_EDIT)
@require_http_methods(["GET", "POST"])
def condition_edit(request: HttpRequest, condition_id: int) -> HttpResponse:
    condition = taxonomy.access_condition(user=request.user, condition_id=condition_id, edit=True)
    nodes = taxonomy.flatten(taxonomy.taxonomy_tree(organisation=condition.organisation))
    initial = {
        "name": condition.name,
        "parent": condition.parent_id,
        "is_active": condition.is_active,
    }
    posting = request.method == "POST"
    form = ConditionEditForm(
        request.POST if posting else None, nodes=nodes, condition=condition, initial=initial
    )
    if posting and form.is_valid():
        parent = form.cleaned_data["parent"]
        moved = (parent.pk if parent else None) != condition.parent_id
        try:
            taxonomy.condition_update(
                condition=condition,
                updated_by=acting_user(request),
                name=form.cleaned_data["name"],
                parent=parent if moved else taxonomy.UNCHANGED,
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            condition.refresh_from_db()
            show_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_tree_url(condition.organisation_id, condition.pk))
    context = {"form": form, "condition": condition}
    return render(
        request, "people/taxonomy/condition_edit.html", context, status=422 if posting else 200
    )


@view_policy(policies.TAXONOMY_VIEW)
@require_http_methods(["GET", "POST"])
def issue_list(request: HttpRequest, programme_id: int) -> HttpResponse:
    posting = request.method == "POST"
    policy = policies.ISSUE_TAGS_EDIT if posting else policies.TAXONOMY_VIEW
    programme = access_programme(user=request.user, programme_id=programme_id, policy=policy)
    form = IssueTagForm(request.POST if posting else None)
    if posting and form.is_valid():
        try:
            taxonomy.issue_tag_create(
                programme=programme, created_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Issue added."))
            return redirect("taxonomy:issue_list", programme_id=programme.pk)
    context = {
        "programme": programme,
        "issue_tags": taxonomy.issue_tags_for(programme=programme),
        "form": form,
        "can_edit": posting or taxonomy.may_edit_issue_tags(user=request.user, programme=programme),
    }
    return render(
        request, "people/taxonomy/issue_list.html", context, status=422 if posting else 200
    )


@view_policy(policies.ISSUE_TAGS_EDIT)
@require_http_methods(["GET", "POST"])
def issue_edit(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue_tag = taxonomy.access_issue_tag(user=request.user, issue_id=issue_id, edit=True)
    posting = request.method == "POST"
    initial = {"name": issue_tag.name, "is_active": issue_tag.is_active}
    form = IssueTagEditForm(request.POST if posting else None, initial=initial)
    if posting and form.is_valid():
        try:
            taxonomy.issue_tag_update(
                issue_tag=issue_tag, updated_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            issue_tag.refresh_from_db()
            show_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("taxonomy:issue_list", programme_id=issue_tag.programme_id)
    context = {"form": form, "issue_tag": issue_tag}
    return render(
        request, "people/taxonomy/issue_edit.html", context, status=422 if posting else 200
    )


@view_policy(policies.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def experience_edit(
    request: HttpRequest, person_id: int, programme_id: int, perspective: str
) -> HttpResponse:
    person, programme, experience = taxonomy.access_experience(
        user=request.user, person_id=person_id, programme_id=programme_id, perspective=perspective
    )
    posting = request.method == "POST"
    form = ExperienceForm(
        request.POST if posting else None,
        nodes=taxonomy.flatten(taxonomy.taxonomy_tree(organisation=programme.site.organisation)),
        issue_tags=taxonomy.issue_tags_for(programme=programme),
        experience=experience,
    )
    if posting and form.is_valid():
        try:
            taxonomy.lived_experience_save(
                person=person,
                programme=programme,
                perspective=perspective,
                saved_by=acting_user(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Lived experience saved."))
            return redirect(request.path)
    context = {
        "form": form,
        "person": person,
        "programme": programme,
        "facing": perspective == LivedExperience.Perspective.FACING,
    }
    return render(
        request, "people/taxonomy/experience_form.html", context, status=422 if posting else 200
    )
