"""Acceptance: no email or text message says anything about a person's health.

Every message template in any app (`templates/notifications/<kind>/`) is found by
walking the template folders, so a kind added later is checked without touching this
file. Each `subject.txt`, `email.txt` and `sms.txt` is rendered with a context in which
every value a template could look up (any name, any attribute, any item, anything in a
loop) is a tell-tale: a condition name from the taxonomy seed, a programme name that
names a condition, a participant's name, a contact note, a questionnaire answer. Only
counts (for `{% blocktranslate count %}`) are numbers, names ending in `_at`, `_on`,
`_by`, `_date`, `_time` or `when` are moments, names ending in `link` or `url` are
addresses, and `link`, `site_url` and `site_name` are what notify gives every template.
None of the tell-tales may appear in the output. In-app messages may name people and
are not checked here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template import Template
from django.template.base import Variable
from django.template.utils import get_app_template_dirs
from django.templatetags.i18n import BlockTranslateNode

from peerbridge.notifications.services import render_plain, text_engine
from peerbridge.people.taxonomy_seed import TAXONOMY

CHECKED_FILES = ("subject.txt", "email.txt", "sms.txt")
LINK = "https://peerbridge.example.org/messages/"
COUNT = 3
# Names that hold a moment or an address by convention get one (a date or a link is not
# a health detail); a date filter on any other name sees a tell-tale and prints nothing.
MOMENT = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)
MOMENT_SUFFIXES = ("_at", "_on", "_by", "_date", "_time", "when")
LINK_SUFFIXES = ("link", "url")
DATE_ATTRIBUTES = frozenset(
    {"year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo", "fold"}
    | {"weekday", "isoweekday", "isocalendar", "timetuple", "utcoffset", "date", "time"}
    | {"toordinal", "timestamp", "dst", "tzname", "astimezone", "replace"}
)


def _seed_condition_names() -> list[str]:
    """Condition, sub-condition and facet names from the seed that no plain sentence
    would contain by chance (short ones such as "Heart" or "Type 1" are left out)."""
    names = set(TAXONOMY)
    for subs in TAXONOMY.values():
        for sub, facets in subs.items():
            names.add(sub)
            names.update(facets)
    return sorted(name for name in names if len(name) >= 9)


TELL_TALES = [
    "Mastectomy",
    "Breast Cancer Mastectomy Circle",  # a programme name naming a condition
    "Zephyrine Quillfeather",  # a participant
    "Stopped taking her tablets after the funeral",  # a contact note
    "Little interest or pleasure in doing things: nearly every day",  # an answer
    "Goal: drink less than twice a week",  # a goal
    *_seed_condition_names(),
]


def _pick(name: str) -> str:
    return TELL_TALES[zlib.crc32(name.encode()) % len(TELL_TALES)]


class TellTale(str):
    """A value that prints as a tell-tale, and whose attributes, items and elements are
    tell-tales too, so `{{ flag.enrolment.person.name }}` or a loop over `people`
    leaks as loudly as `{{ participant }}`."""

    __slots__ = ()

    def __getattr__(self, name: str) -> TellTale:
        if name.startswith("_") or name in DATE_ATTRIBUTES:
            raise AttributeError(name)
        return TellTale(_pick(name))

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return TellTale(_pick(key))
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        yield TellTale(_pick(f"{self}:item"))


class EveryName(dict[str, Any]):
    """A template context holding every name: counters are numbers, anything else is
    a tell-tale."""

    def __init__(self, counters: set[str]) -> None:
        super().__init__()
        self.counters = counters

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key not in {"True", "False", "None"}

    def __getitem__(self, key: str) -> Any:
        if key in self.counters:
            return COUNT
        if key.endswith(MOMENT_SUFFIXES):
            return MOMENT
        if key.endswith(LINK_SUFFIXES):
            return f"{LINK}{key}/"
        return TellTale(_pick(key))


def _template_roots() -> list[Path]:
    roots = [Path(folder) for folder in get_app_template_dirs("templates")]
    for engine in settings.TEMPLATES:
        roots += [Path(folder) for folder in engine.get("DIRS", [])]
    return roots


def message_templates() -> list[Path]:
    """Every subject, email and SMS template of every kind, in every app."""
    found = {
        path
        for root in _template_roots()
        for path in root.glob("notifications/*/*.txt")
        if path.name in CHECKED_FILES
    }
    return sorted(found)


def _label(path: Path) -> str:
    return "/".join(path.parts[-5:])


def _counters(template: Template) -> set[str]:
    """The names `{% blocktranslate count counter=name %}` needs as numbers."""
    names = set()
    for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
        counter = getattr(node.counter, "var", None)
        if isinstance(counter, Variable) and counter.lookups:
            names.add(counter.lookups[0])
    return names


def test_message_templates_are_found() -> None:
    found = message_templates()
    assert found, "no message templates at all: the walk over the template folders is broken"
    kinds = {path.parent.name for path in found}
    assert "notifications_digest" in kinds


@pytest.mark.parametrize("path", message_templates(), ids=_label)
def test_no_health_details_in_email_or_text_messages(path: Path) -> None:
    template = text_engine().from_string(path.read_text(encoding="utf-8"))

    output = render_plain(template, EveryName(_counters(template)), link=LINK)

    leaked = [tell for tell in TELL_TALES if tell.lower() in output.lower()]
    assert leaked == [], f"{_label(path)} shows {leaked}:\n{output}"


def test_the_tell_tale_context_would_catch_a_leak() -> None:
    """The check itself: a template that shows a name, an attribute or a loop fails."""
    for code in (
        "{{ participant }}",
        "{{ flag.enrolment.person.name }}",
        "{% for person in people %}{{ person }}{% endfor %}",
        "{% load i18n %}{% blocktranslate with who=person %}{{ who }}{% endblocktranslate %}",
        "{{ note|truncatechars:200 }} {{ started_at|date:'j M' }}",
    ):
        template = text_engine().from_string(code)
        output = render_plain(template, EveryName(_counters(template)), link=LINK)
        assert any(tell.lower() in output.lower() for tell in TELL_TALES), code


def test_counts_render_as_numbers() -> None:
    code = (
        "{% load i18n %}{% blocktranslate count counter=waiting %}{{ counter }} person"
        "{% plural %}{{ counter }} people{% endblocktranslate %} {{ link }}"
    )
    template = text_engine().from_string(code)
    output = render_plain(template, EveryName(_counters(template)), link=LINK)
    assert output == f"{COUNT} people {LINK}"
