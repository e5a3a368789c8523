"""The pages people live in, under load, on a large programme (issue 6, point 9).

    .venv/bin/python -m bench.pages --size S|M|L [--database-url URL | --throwaway-postgres]

S = 500 participants, 50 peers, 10,000 contacts; M = 5,000 / 500 / 100,000; L = 50,000 /
5,000 / 1,000,000 (bench.pages_data writes them, seeded, by COPY on PostgreSQL). The
database is DATABASE_URL or --database-url; --throwaway-postgres starts a PostgreSQL 15
cluster with scripts/postgres.sh and removes it afterwards. Without either, size S runs
on a throwaway SQLite file (a quick check); M and L need PostgreSQL. A database that
already holds this benchmark's data of the same size is reused (no second seeding);
one that holds anything else is refused.

The load run starts the Django application in a real HTTP server on 127.0.0.1 (wsgiref
with a pool of worker threads, one per client, so database connections persist as under
a production server), signs in through the login page as the peer with the median
caseload, the coordinator and a supervisor, and sends each page in turn from 4
concurrent clients until 200 requests or 60 seconds, whichever comes first (one
unmeasured request per client first). Lines, one per page:
- `page=health`: GET /healthz (one `SELECT 1`): the baseline of `ratio_to_baseline`;
- `page=login`: GET the sign-in page (a template, no query);
- `page=peer_home`, `page=coordinator_home`, `page=supervisor_home`: GET / as each;
- `page=contact_log_form`: GET support:contact_log for one of the peer's matches;
- `page=contact_log_post`: POST that form (a contact logged), over the peer's matches.
Fields: `p50_ms`, `p95_ms` (latency seen by the client), `requests_per_second` (requests
over the page's wall time with all clients), `queries` (median SQL statements per
request, counted in the server), `cpu_ms` (median CPU time of the server thread per
request: the cost of the page itself, whatever the queueing), `errors` (an unexpected
status), `ratio_to_baseline` (p50 over health's p50).
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import http.client
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from bench.imports import peak_mib, timed
from bench.pages_data import Seeded, seed
from bench.pages_programme import PASSWORD, SIZES, Scale

ROOT = Path(__file__).resolve().parent.parent
HOW_TO_POSTGRES = """\
Sizes M and L need PostgreSQL. Either let the benchmark start a throwaway cluster:

    .venv/bin/python -m bench.pages --size {size} --throwaway-postgres

or start one yourself (PostgreSQL 15, as `make test` does) and pass its URL:

    eval "$(scripts/postgres.sh start)"
    .venv/bin/python -m bench.pages --size {size}          # reads DATABASE_URL
    scripts/postgres.sh stop "$PEERBRIDGE_PG_DIR"
"""


# ---------------------------------------------------------------------------------------
# The database


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL 15 cluster from scripts/postgres.sh, removed on the way out."""
    started = subprocess.run(  # noqa: S603  (our own script, fixed arguments)
        [str(ROOT / "scripts" / "postgres.sh"), "start"],
        check=True,
        capture_output=True,
        text=True,
    )
    found = dict(re.findall(r"export (\w+)=(\S+)", started.stdout))
    try:
        yield found["DATABASE_URL"]
    finally:
        subprocess.run(  # noqa: S603
            [str(ROOT / "scripts" / "postgres.sh"), "stop", found["PEERBRIDGE_PG_DIR"]],
            check=False,
        )


def setup_django(database_url: str, folder: Path) -> str:
    """Settings for the benchmark (the test settings: no TLS redirect, a fast password
    hash), the database migrated; returns the database vendor."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEERBRIDGE_VAR_DIR"] = str(folder)
    os.environ["LOG_LEVEL"] = "WARNING"
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    return str(connection.vendor)


# ---------------------------------------------------------------------------------------
# The server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """No access log: the benchmark counts for itself."""


class PooledWSGIServer(WSGIServer):
    """wsgiref's server with a fixed pool of worker threads: each thread keeps its
    database connection between requests, as a production server's workers do."""

    request_queue_size = 64

    def __init__(self, *args: Any, workers: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench-server")

    def process_request(self, request: Any, client_address: Any) -> None:
        self.pool.submit(self._handle, request, client_address)

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


def counting(application: Callable[..., Any]) -> Callable[..., Any]:
    """The WSGI application, with two response headers (Django calls start_response once
    the view is done): X-Bench-Queries, the SQL statements the request ran, and
    X-Bench-Cpu-Ms, the CPU time of the thread that served it (what the request costs,
    whatever the concurrency or the load on the machine)."""
    from django.db import connection

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        executed = [0]
        started = time.thread_time()

        def count(execute: Callable[..., Any], *args: Any) -> Any:
            executed[0] += 1
            return execute(*args)

        def respond(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            cpu = (time.thread_time() - started) * 1000
            extra = [("X-Bench-Queries", str(executed[0])), ("X-Bench-Cpu-Ms", f"{cpu:.2f}")]
            return start_response(status, [*headers, *extra], *rest)

        with connection.execute_wrapper(count):
            return application(environ, respond)

    return wrapped


@contextlib.contextmanager
def serving(workers: int) -> Iterator[int]:
    from django.core.wsgi import get_wsgi_application

    server = PooledWSGIServer(("127.0.0.1", 0), QuietHandler, workers=workers)
    server.set_app(counting(get_wsgi_application()))
    thread = threading.Thread(target=server.serve_forever, name="bench-accept", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.pool.shutdown(wait=True)
        server.server_close()


# ---------------------------------------------------------------------------------------
# The clients


@dataclass
class Answer:
    status: int
    body: str
    seconds: float
    queries: int
    cpu_ms: float
    location: str


class Browser:
    """One signed-in person's client: cookies kept, a new connection per request (the
    server speaks HTTP/1.0)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, Any] | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        seconds = time.perf_counter() - started
        connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return Answer(
            response.status,
            text,
            seconds,
            int(response.getheader("X-Bench-Queries", "0")),
            float(response.getheader("X-Bench-Cpu-Ms", "0")),
            response.getheader("Location", ""),
        )

    def sign_in(self, email: str) -> None:
        page = self.request("GET", "/accounts/login/")
        form: dict[str, Any] = dict(FormReader.read(page.body, "/accounts/login/").values)
        form.update({"username": email, "password": PASSWORD})
        answer = self.request("POST", "/accounts/login/", form)
        if answer.status != 302:
            raise SystemExit(f"Signing in as {email} answered {answer.status}.")


@dataclass
class Form:
    action: str
    values: dict[str, list[str]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every field, sent or not


class FormReader(html.parser.HTMLParser):
    """The forms of a page with their fields' initial values, as a browser would send
    them untouched (checked boxes, selected or first options, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_value: str | None = None
        self.textarea: str | None = None

    @classmethod
    def read(cls, page: str, action: str = "") -> Form:
        """The form that posts to `action` (or to the page itself), else the largest."""
        reader = cls()
        reader.feed(page)
        for form in reader.forms:
            if form.action in (action, "") and form.names:
                return form
        return max(reader.forms, key=lambda form: len(form.names), default=Form(action))

    def add(self, name: str | None, value: str) -> None:
        if name and self.form is not None:
            self.form.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.form = Form(found.get("action", ""))
            self.forms.append(self.form)
        if self.form is None:
            return
        if tag in ("input", "select", "textarea") and found.get("name"):
            self.form.names.add(found["name"])
        if tag == "input":
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in found:
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                self.add(found.get("name"), found.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self.select, self.select_value = found.get("name"), None
        elif tag == "option" and self.select is not None:
            if self.select_value is None or "selected" in found:
                self.select_value = found.get("value", "")
        elif tag == "textarea":
            self.textarea = found.get("name")
            self.add(self.textarea, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select is not None:
            self.add(self.select, self.select_value or "")
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.form = None

    def handle_data(self, data: str) -> None:
        if self.textarea and self.form is not None:
            self.form.values[self.textarea][-1] += data


def contact_form(page: str, path: str, number: int) -> dict[str, Any]:
    """The contact-log form as the page offers it, filled in as a peer would: a phone
    call just now, 35 minutes, emotional and informational support, a next step."""
    from django.utils import timezone

    reader = FormReader.read(page, path)
    form: dict[str, Any] = dict(reader.values)
    now = timezone.localtime()
    filled: dict[str, Any] = {
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
        "occurred_at_0": now.strftime("%Y-%m-%d"),
        "occurred_at_1": now.strftime("%H:%M"),
        "occurred_on": now.strftime("%Y-%m-%d"),
        "connected": "on",
        "duration_minutes": "35",
        "mode": "phone",
        "setting": "online",
        "support_types": ["emotional", "informational"],
        "other_topics": "housing, appointments",
        "next_step": f"Call again next week ({number}).",
    }
    form.update({name: value for name, value in filled.items() if name in reader.names})
    return form


# ---------------------------------------------------------------------------------------
# Measuring a page


@dataclass
class Page:
    name: str
    browsers: list[Browser]
    send: Callable[[Browser, int], Answer]
    expect: frozenset[int] = frozenset({200})


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: set[int] = field(default_factory=set)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def line(self, baseline: Result | None, clients: int) -> str:
        p50 = statistics.median(self.latencies) * 1000
        fields: dict[str, Any] = {
            "page": self.name,
            "requests": len(self.latencies),
            "clients": clients,
            "seconds": f"{self.seconds:.2f}",
            "p50_ms": f"{p50:.1f}",
            "p95_ms": f"{self.percentile(0.95):.1f}",
            "requests_per_second": f"{len(self.latencies) / self.seconds:.1f}",
            "queries": int(statistics.median(self.queries)),
            "cpu_ms": f"{statistics.median(self.cpu_ms):.1f}",
            "errors": self.errors,
        }
        if self.errors:
            fields["statuses"] = ",".join(str(s) for s in sorted(self.statuses))
        if baseline is not None:
            base = statistics.median(baseline.latencies) * 1000
            fields["ratio_to_baseline"] = f"{p50 / base:.2f}"
        return " ".join(f"{key}={value}" for key, value in fields.items())


def measure(page: Page, requests: int, seconds: float) -> Result:
    """Each client sends one unmeasured request, then all send until `requests` are done
    or `seconds` have passed."""
    numbers = itertools.count()
    for browser in page.browsers:
        page.send(browser, next(numbers))
    result = Result(page.name, 0.0)
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds
    sent = itertools.count()

    def client(browser: Browser) -> None:
        while next(sent) < requests and time.perf_counter() < deadline:
            answer = page.send(browser, next(numbers))
            with lock:
                result.latencies.append(answer.seconds)
                result.queries.append(answer.queries)
                result.cpu_ms.append(answer.cpu_ms)
                if answer.status not in page.expect:
                    result.errors += 1
                    result.statuses.add(answer.status)

    threads = [threading.Thread(target=client, args=(b,)) for b in page.browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def pages(port: int, seeded: Seeded, clients: int) -> list[Page]:
    from django.urls import NoReverseMatch, reverse

    def signed_in(email: str | None) -> list[Browser]:
        browsers = [Browser(port) for _ in range(clients)]
        for browser in browsers:
            if email is not None:
                browser.sign_in(email)
        return browsers

    def get(path: str) -> Callable[[Browser, int], Answer]:
        return lambda browser, _number: browser.request("GET", path)

    matches = seeded.peer_match_ids
    if not matches:
        raise SystemExit("The benchmark peer has no working match.")

    def form_path(number: int) -> str:
        return reverse("support:contact_log", args=[matches[number % len(matches)]])

    forms: dict[tuple[int, str], str] = {}  # the form as each client last saw it

    def post(browser: Browser, number: int) -> Answer:
        path = form_path(number)
        key = (id(browser), path)
        if key not in forms:
            forms[key] = browser.request("GET", path).body
        return browser.request("POST", path, contact_form(forms[key], path, number))

    peer = signed_in(seeded.peer_email)
    found = [
        Page("health", signed_in(None), get("/healthz")),
        Page("login", signed_in(None), get("/accounts/login/")),
        Page("peer_home", peer, get("/")),
        Page("coordinator_home", signed_in(seeded.coordinator_email), get("/")),
        Page("supervisor_home", signed_in(seeded.supervisor_email), get("/")),
    ]
    try:
        form_path(0)
    except NoReverseMatch:
        return found  # the contact log is not built yet
    return [
        *found,
        Page(
            "contact_log_form",
            peer,
            lambda browser, number: browser.request("GET", form_path(number)),
        ),
        Page("contact_log_post", peer, post, frozenset({302, 303})),
    ]


# ---------------------------------------------------------------------------------------
# Entry points


def run(
    scale: Scale, vendor: str, *, requests: int, seconds: float, clients: int, seed_only: bool
) -> None:
    seeding, seeded = timed(lambda: seed(scale))
    shown = " ".join(f"{name}={rows}" for name, rows in seeded.counts.items())
    print(
        f"seed: size={scale.letter} database={vendor} {shown} "
        f"caseload={len(seeded.peer_match_ids)} seconds={seeding.seconds:.1f} "
        f"cpu_seconds={seeding.cpu_seconds:.1f} peak_mib={peak_mib():.0f}",
        flush=True,
    )
    if seed_only:
        return
    results: dict[str, Result] = {}
    with serving(clients) as port:
        for page in pages(port, seeded, clients):
            result = results[page.name] = measure(page, requests, seconds)
            print(result.line(results["health"], clients), flush=True)
    bad = [name for name, result in results.items() if result.errors > len(result.latencies) / 2]
    print(headline(scale, vendor, results, clients))
    if bad:
        raise SystemExit(f"Most requests failed on: {', '.join(bad)}.")


def headline(scale: Scale, vendor: str, results: dict[str, Result], clients: int) -> str:
    def shown(name: str) -> str:
        result = results.get(name)
        if result is None:
            return "not built"
        p50 = statistics.median(result.latencies) * 1000
        return f"p50 {p50:.0f} ms, p95 {result.percentile(0.95):.0f} ms"

    peer = results["peer_home"]
    return (
        f"headline: size {scale.letter} on {vendor} ({scale.participants:,} participants, "
        f"{scale.peers:,} peers, {scale.contacts:,} contacts), {clients} clients: "
        f"peer home {shown('peer_home')}; coordinator home {shown('coordinator_home')}; "
        f"contact log POST {shown('contact_log_post')}; health check {shown('health')}; "
        f"peer home {len(peer.latencies) / peer.seconds:.1f} requests/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="start a PostgreSQL 15 cluster with scripts/postgres.sh and remove it afterwards",
    )
    parser.add_argument("--requests", type=int, default=200, help="per page (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="per page (default 60)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument(
        "--seed-only", action="store_true", help="write the data (into DATABASE_URL) and stop"
    )
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peerbridge-bench-")))
        url = args.database_url
        if args.throwaway_postgres:
            url = stack.enter_context(throwaway_postgres())
        if not url:
            if args.size != "S":
                print(HOW_TO_POSTGRES.format(size=args.size), file=sys.stderr)
                return 2
            url = f"sqlite:///{folder / 'bench.sqlite3'}"
        vendor = setup_django(url, folder)
        run(
            SIZES[args.size],
            vendor,
            requests=args.requests,
            seconds=args.seconds,
            clients=args.clients,
            seed_only=args.seed_only,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
