"""Acceptance crawl (issue 7): an evaluator signed in on the demo (with its evaluation
data) opens every evaluation page, download and API answer of every programme in their
scope, and the same-site links on those pages to depth 2, and no participant's name,
email, phone or date of birth appears in any of them (HTML, JSON, CSV, XLSX cell
values, PDF text, Parquet values)."""

from __future__ import annotations

import base64
import datetime
import html
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import openpyxl
import pyarrow.parquet as pq
import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from peerbridge.evaluation import policies
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import programmes_in_scope
from peerbridge.people.models import Person
from peerbridge.web.demo_evaluation import PARTICIPANT_QUOTES
from tests.conftest import client_for, persona_user
from tests.web.test_demo_evaluation import load

pytestmark = pytest.mark.django_db

API = "/api/v1"
MAX_DEPTH = 2
DATE_FORMATS = ("Y-m-d", "j F Y", "j M Y", "N j, Y", "F j, Y", "d/m/Y")
# Pages of the evaluation area: links to these must open for the evaluator.
EVALUATION_PATH = re.compile(
    r"^/(evaluation/|programmes/\d+/(analytics|funder-report|research-export|fidelity|"
    r"implementation|evaluation/realist)/)"
)
SKIP_PATH = re.compile(r"^/(accounts/logout|logout|static/|media/|i18n/)")
PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)


# ---------------------------------------------------------------------------------------
# What must never appear


def personal_data() -> dict[str, str]:
    """Each participant's identifying strings, casefolded -> what they are (never the
    value, so a failure message does not print it twice)."""
    needles: dict[str, str] = {}
    recent = timezone.localdate() - datetime.timedelta(days=3 * 366)
    for person in Person.objects.filter(enrolments__isnull=False).distinct().order_by("pk"):
        label = f"person {person.pk}"
        if person.family_name:
            needles[f"{person.given_name} {person.family_name}"] = f"{label} full name"
            if person.preferred_name:
                needles[f"{person.preferred_name} {person.family_name}"] = (
                    f"{label} preferred name with family name"
                )
        if person.email:
            needles[person.email] = f"{label} email"
        phone = person.phone.strip()
        if len(re.sub(r"\D", "", phone)) >= 8:  # never short digit strings
            needles[phone] = f"{label} phone"
            needles["+" + re.sub(r"\D", "", phone)] = f"{label} phone (digits)"
        dob = person.date_of_birth
        if dob is not None and dob < recent:  # recent dates would clash with report periods
            for pattern in DATE_FORMATS:
                needles[date_format(dob, pattern)] = f"{label} date of birth ({pattern})"
    return {needle.casefold(): what for needle, what in needles.items() if len(needle) >= 8}


# ---------------------------------------------------------------------------------------
# Reading every kind of answer as text


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def body_of(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


def pdf_stream(chunk: bytes) -> str:
    """A PDF content stream as text: ASCII85 and Flate undone where applied."""
    data = chunk.strip()
    if data.endswith(b"~>"):
        try:
            data = base64.a85decode(data.removeprefix(b"<~"), adobe=False, ignorechars=b" \t\n\r~>")
        except ValueError:
            return chunk.decode("latin-1")
    if data.startswith(b"x"):  # zlib: inflate the raw stream, the checksum unchecked
        try:
            data = zlib.decompressobj(-15).decompress(data[2:])
        except zlib.error:
            pass
    return data.decode("latin-1")


def texts_of(content_type: str, body: bytes) -> list[str]:
    """The body as text in every form a person's details could take in it."""
    raw = body.decode("utf-8", errors="replace")
    texts = [raw, body.decode("latin-1")]
    if "html" in content_type:
        texts.append(html.unescape(raw))
    if "json" in content_type and body:
        texts.append(json.dumps(json.loads(body), ensure_ascii=False))
    if "spreadsheetml" in content_type:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
        cells = [
            "" if value is None else str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
        ]
        texts.append("\n".join(cells))
    if "pdf" in content_type:
        streams = [pdf_stream(chunk) for chunk in PDF_STREAM.findall(body)]
        texts.append("\n".join(streams))
    if "parquet" in content_type:
        rows = pq.read_table(io.BytesIO(body)).to_pylist()
        texts.append("\n".join(str(value) for row in rows for value in row.values()))
    return [text.casefold() for text in texts]


# ---------------------------------------------------------------------------------------
# The crawl


@dataclass
class Crawl:
    client: Client
    needles: dict[str, str]
    statuses: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    found: list[str] = field(default_factory=list)
    linked_from: dict[str, str] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)

    def fetch(self, url: str, kind: str) -> tuple[int, str, bytes]:
        response = self.client.get(url)
        body = body_of(response)
        content_type = response.get("Content-Type", "")
        self.statuses[url] = response.status_code
        self.kinds[url] = kind
        texts = self.texts[url] = texts_of(content_type, body)
        for needle, what in self.needles.items():
            if any(needle in text for text in texts):
                self.found.append(f"{url}: {what}")
        return response.status_code, content_type, body

    def crawl(self, seeds: list[str]) -> None:
        queue = [(url, 0) for url in seeds]
        seen = set(seeds)
        while queue:
            url, depth = queue.pop(0)
            status, content_type, body = self.fetch(url, "seed" if depth == 0 else "link")
            if status != 200 or "html" not in content_type or depth >= MAX_DEPTH:
                continue
            parser = Links()
            parser.feed(body.decode("utf-8", errors="replace"))
            for href in parser.hrefs:
                parts = urlsplit(urljoin(url, href))
                if parts.scheme not in ("", "http", "https") or parts.netloc not in (
                    "",
                    "testserver",
                ):
                    continue
                if not parts.path.startswith("/") or SKIP_PATH.match(parts.path):
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if target not in seen:
                    seen.add(target)
                    self.linked_from[target] = url
                    queue.append((target, depth + 1))


def page_seeds(programme: Programme) -> list[str]:
    pk = programme.pk

    def url(name: str) -> str:
        return reverse(f"evaluation:{name}", kwargs={"programme_id": pk})

    report = url("funder_report")
    export = url("research_export")
    return [
        url("analytics"),
        report,
        f"{report}?quotes=on",
        *(f"{report}?quotes=on&file_format={kind}" for kind in ("csv", "xlsx", "pdf")),
        url("implementation"),
        url("realist"),
        url("fidelity_overview"),
        export,
        *(
            f"{export}?table={table}&file_format={kind}"
            for table in ("responses", "measures", "summary")
            for kind in ("csv", "parquet")
        ),
    ]


def api_seeds(programme: Programme) -> list[str]:
    base = f"{API}/programmes/{programme.pk}"
    return [
        f"{base}/analytics",
        f"{base}/funder-report",
        f"{base}/funder-report?quotes=true",
        f"{base}/implementation",
        f"{base}/realist",
        f"{base}/fidelity",
        f"{base}/fidelity/checklist",
        *(
            f"{base}/research-export?table={table}&format={kind}"
            for table in ("responses", "measures", "summary")
            for kind in ("csv", "parquet")
        ),
    ]


def test_no_participant_details_in_any_evaluation_page_file_or_api_answer() -> None:
    load()  # the demo's checklists, observations and quotes
    evaluator = persona_user("evaluator")
    programmes = list(
        programmes_in_scope(user=evaluator, policy=policies.REPORT_VIEW).order_by("pk")
    )
    assert len(programmes) >= 8
    needles = personal_data()
    assert len(needles) > 500, len(needles)

    crawl = Crawl(client_for("evaluator"), needles)
    pages = [reverse("evaluation:index")]
    apis: list[str] = []
    for programme in programmes:
        pages += page_seeds(programme)
        apis += api_seeds(programme)
    crawl.crawl(pages + apis)

    seeds = [url for url, kind in crawl.kinds.items() if kind == "seed"]
    links = [url for url, kind in crawl.kinds.items() if kind == "link"]
    failed_seeds = {url: crawl.statuses[url] for url in seeds if crawl.statuses[url] != 200}
    failed_links = {url: status for url in links if (status := crawl.statuses[url]) != 200}
    unexpected_links = {
        url: status
        for url, status in failed_links.items()
        if status >= 500 or EVALUATION_PATH.match(url) or status not in (302, 403, 404)
    }
    print(
        f"\ncrawl: {len(crawl.statuses)} responses checked ({len(pages)} page and file "
        f"seeds, {len(apis)} API answers, {len(links)} followed links) for "
        f"{len(needles)} personal strings of {len(programmes)} programmes"
    )
    print("followed links:", sorted(links))
    print(
        "links that did not open for the evaluator: "
        + ", ".join(
            f"{u} ({s}, linked from {crawl.linked_from[u]})" for u, s in failed_links.items()
        )
    )
    assert not crawl.found, crawl.found
    assert not failed_seeds, failed_seeds
    assert not unexpected_links, unexpected_links
    assert len(seeds) == len(pages) + len(apis) >= 8 * 25
    assert len(links) >= 5
    # The files were read as text: each programme's name is in its PDF and XLSX report.
    for programme in programmes:
        report = reverse("evaluation:funder_report", kwargs={"programme_id": programme.pk})
        for kind in ("pdf", "xlsx"):
            texts = crawl.texts[f"{report}?quotes=on&file_format={kind}"]
            assert any(programme.name.casefold() in text for text in texts[2:]), kind
    # The quotes the demo recorded are in the reports that include them (so were checked).
    shown = " ".join(" ".join(texts) for texts in crawl.texts.values())
    assert any(quote.casefold() in shown for quote in PARTICIPANT_QUOTES)


def test_the_crawl_finds_details_where_they_are_shown() -> None:
    """The check itself works: a coordinator's view of a participant's record (which
    rightly shows their details) is caught, in HTML and in a spreadsheet."""
    programme = Programme.objects.get(code="recovery-peers")
    person = (
        Person.objects.filter(enrolments__programme=programme)
        .exclude(family_name="")
        .exclude(email="")
        .order_by("pk")
        .first()
    )
    assert person is not None
    needles = personal_data()
    crawl = Crawl(client_for("coordinator"), needles)
    status, _type, _body = crawl.fetch(
        reverse("referrals:person_detail", kwargs={"person_id": person.pk}), "seed"
    )
    assert status == 200
    assert f"person {person.pk} full name" in " ".join(crawl.found)
    book = openpyxl.Workbook()
    book.active.append(["Name", person.email])  # type: ignore[union-attr]
    stream = io.BytesIO()
    book.save(stream)
    xlsx = texts_of(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", stream.getvalue()
    )
    assert any(person.email.casefold() in text for text in xlsx)
