"""Forms for the condition taxonomy, issue tags and lived experience.

Choices come from nodes the view already read (one query for the whole taxonomy), so
validating a form costs no further queries; the services check the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.people.models import Condition, IssueTag, LivedExperience
from peerbridge.people.taxonomy import NAME_MAX, STORY_MAX, ConditionNode

Relationship = LivedExperience.Relationship


def _typed_choices(form: forms.Form, name: str, choices: list[tuple[Any, Any]]) -> None:
    cast(forms.TypedChoiceField, form.fields[name]).choices = choices


class ConditionAddForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    parent = forms.TypedChoiceField(label=_("Under"), required=False, coerce=int, empty_value=None)

    def __init__(
        self, *args: Any, nodes: list[ConditionNode], keep: int | None = None, **kwargs: Any
    ) -> None:
        """`keep`: the current parent, offered even when retired so the form can hold it."""
        super().__init__(*args, **kwargs)
        parents = [
            n
            for n in nodes
            if n.can_have_children and (n.condition.is_active or n.condition.pk == keep)
        ]
        self.conditions = {n.condition.pk: n.condition for n in parents}
        top = ("", _("Nothing: a new condition"))
        _typed_choices(self, "parent", [top, *((n.condition.pk, n.picker_label) for n in parents)])

    def clean_parent(self) -> Condition | None:
        pk = self.cleaned_data.get("parent")
        return None if pk is None else self.conditions[pk]


class ConditionEditForm(ConditionAddForm):
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("Retiring a condition retires everything under it; records keep it."),
    )

    def __init__(
        self, *args: Any, nodes: list[ConditionNode], condition: Condition, **kwargs: Any
    ) -> None:
        # Nodes arrive parents first, so one pass finds the whole subtree.
        below = {condition.pk}
        for node in nodes:
            if node.condition.parent_id in below:
                below.add(node.condition.pk)
        allowed = [n for n in nodes if n.condition.pk not in below]
        super().__init__(*args, nodes=allowed, keep=condition.parent_id, **kwargs)


class IssueTagForm(forms.Form):
    name = forms.CharField(label=_("Issue"), max_length=NAME_MAX)


class IssueTagEditForm(IssueTagForm):
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("A retired issue stays on the records that name it."),
    )


class ExperienceForm(forms.Form):
    relationship = forms.ChoiceField(
        label=_("Whose experience"),
        choices=Relationship.choices,
        help_text=_("Caregivers say who they care for; the condition is then theirs."),
    )
    condition = forms.TypedChoiceField(
        label=_("Condition"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The most specific level known."),
    )
    facets = forms.TypedMultipleChoiceField(
        label=_("Details"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only details under the chosen condition, such as the kind of surgery."),
    )
    issues = forms.TypedMultipleChoiceField(
        label=_("Issues"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    since = forms.DateField(
        label=_("Since"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    since_kind = forms.ChoiceField(
        label=_("Since what"),
        required=False,
        choices=[("", _("Not given")), *LivedExperience.SinceKind.choices],
    )
    story = forms.CharField(
        label=_("In their words"),
        required=False,
        max_length=STORY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Kept encrypted. Write only what helps a good match."),
    )

    def __init__(
        self,
        *args: Any,
        nodes: list[ConditionNode],
        issue_tags: list[IssueTag],
        experience: LivedExperience | None,
        **kwargs: Any,
    ) -> None:
        kept_facets = {f.pk for f in experience.facets.all()} if experience else set()
        kept_issues = {i.pk for i in experience.issues.all()} if experience else set()
        kept_condition = experience.condition_id if experience else None
        if experience is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "relationship": experience.relationship,
                "condition": experience.condition_id,
                "facets": sorted(kept_facets),
                "issues": sorted(kept_issues),
                "since": experience.since,
                "since_kind": experience.since_kind,
                "story": experience.story,
            }
        super().__init__(*args, **kwargs)
        offered = [n for n in nodes if n.condition.is_active or n.condition.pk == kept_condition]
        facets = [
            n
            for n in nodes
            if n.depth > 1 and (n.condition.is_active or n.condition.pk in kept_facets)
        ]
        tags = [t for t in issue_tags if t.is_active or t.pk in kept_issues]
        self.conditions = {n.condition.pk: n.condition for n in nodes}
        self.issue_tags = {t.pk: t for t in tags}
        not_given = ("", _("Not given"))
        _typed_choices(
            self, "condition", [not_given, *((n.condition.pk, n.picker_label) for n in offered)]
        )
        _typed_choices(self, "facets", [(n.condition.pk, n.lineage) for n in facets])
        _typed_choices(self, "issues", [(t.pk, t.name) for t in tags])

    def clean_condition(self) -> Condition | None:
        pk = self.cleaned_data.get("condition")
        return None if pk is None else self.conditions[pk]

    def clean_facets(self) -> list[Condition]:
        return [self.conditions[pk] for pk in self.cleaned_data.get("facets") or []]

    def clean_issues(self) -> list[IssueTag]:
        return [self.issue_tags[pk] for pk in self.cleaned_data.get("issues") or []]
