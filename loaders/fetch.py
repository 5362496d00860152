"""``python -m loaders fetch``: find new files on the statistics pages, download and ingest them.

Each publication in the catalogue names its landing page and how to recognise the wanted file there
or on the year pages it links to (``publications:`` in config.yaml). A file is new when neither its
address nor its content (SHA-256) has been loaded; a revised file is new content under a known
address, or a second file for a month already held. Downloads land in ``data/raw/<publication>/``
and go through the normal loaders, so a fetched file is checked exactly like one loaded by hand.

Politeness (the statistics sites are public services): a descriptive user agent, a timeout on
every request, a bounded number of requests per run, retries with back-off on 429 and 5xx
(honouring ``Retry-After``), proxy settings from the environment (``https_proxy``, ``no_proxy``),
and conditional requests (``If-None-Match`` / ``If-Modified-Since``) for pages and files already held.

Care (a page is someone else's text, see ``loaders.webguard``): only http(s) addresses on the
publication's own host or its ``allowed_hosts`` are requested, redirects included; each request
has an overall deadline; a file must be the publication's own layout; anything malformed is that
item's error and the run goes on; the budget is shared equally between the publications.
"""

from __future__ import annotations

import codecs
import datetime as dt
import http.client
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from sqlalchemy import Engine

from loaders import generic as generic_loader
from loaders import registry
from loaders.ingest import FileOutcome, PreparedFile, prepare_file, write_prepared
from loaders.limits import BYTES_PER_MB, file_bytes
from loaders.webguard import (
    AddressRefused,
    Deadline,
    Origin,
    RedirectRefused,
    allowed_origins,
    check_address,
    guarded_opener,
    name_in,
    printable,
    shorten,
)
from metrics import store
from metrics.catalogue import PROJECT_ROOT, Catalogue, LinkRule, Publication
from metrics.digest import sha256_hex

USER_AGENT = (
    "llr-dashboard-fetch/0.1 (open-source performance dashboard for Leicester, Leicestershire and Rutland; "
    "checks NHS statistics pages on release days; Python urllib)"
)
#: Overrides a landing page, e.g. ``LLR_FETCH_INDEX_URL_AE_MONTHLY=http://mirror/ae/`` (tests, mirrors).
INDEX_URL_ENV = "LLR_FETCH_INDEX_URL_"
RAW_DIR = PROJECT_ROOT / "data" / "raw"
MAX_PAGE_BYTES = 5 * 1048576  # a statistics page is a few hundred kilobytes
MAX_RETRY_AFTER = 60.0  # never sleep longer than this on a server's Retry-After
MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
         ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_PERIOD = re.compile(r"(?<![a-z])(" + _MONTH_NAMES + r")[\s_-]*(\d{4})(?!\d)", re.I)
# Financial years: "Q3-2025-26", "Quarter 3, 2025-26" (KH03); "_2025-26_January" (UCR).
_QUARTER = re.compile(r"\b(?:Q|Quarter\s*)([1-4])[\s,_-]*(\d{4})[-/]\d{2}(?!\d)", re.I)
_FY_MONTH = re.compile(r"(?<!\d)(\d{4})-\d{2}[\s_-]+(" + _MONTH_NAMES + r")(?![a-z])", re.I)


class FetchError(Exception):
    """A request that did not give a usable answer; the message names the address and what happened."""


@dataclass(frozen=True)
class FetchOptions:
    """How one run behaves; the defaults are the polite ones used against the real sites."""

    publications: tuple[str, ...] = ()  # empty: every publication in the catalogue
    since: dt.date | None = None
    dry_run: bool = False
    index_urls: dict[str, str] = field(default_factory=dict)
    raw_dir: Path = RAW_DIR
    timeout: float = 30.0  # per socket operation (connecting, each read)
    deadline: float = 300.0  # per request, from connecting to the last byte of the body
    max_requests: int = 60  # shared fairly between the publications of a run
    recheck_known: int = 3  # files already held re-checked per publication, newest (first on the page) first
    attempts: int = 3
    backoff: float = 5.0  # seconds before the first retry, doubled each time
    sleep: Callable[[float], None] = time.sleep


# ---------------------------------------------------------------------------- HTTP
@dataclass
class Response:
    url: str
    status: int
    body: bytes
    headers: Message


class Http:
    """A small polite HTTP client on urllib (proxies from the environment, as urllib does by default).

    It speaks HTTP(S) only, requests only addresses on ``allowed`` (set per publication), follows
    a redirect only to such an address, and stops counting at ``limit`` requests (the current
    publication's share of the run's budget).
    """

    def __init__(self, options: FetchOptions) -> None:
        self.options = options
        self.requests = 0
        self.limit = options.max_requests
        self.limit_reason = f"the limit of {options.max_requests} requests per run is used up"
        self.allowed: set[Origin] = set()
        self._opener, self._handlers = guarded_opener(lambda url: check_address(url, self.allowed))

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, max_bytes: int | None = None
    ) -> Response:
        """GET ``url``; a 304 comes back as a response with status 304 and no body.

        Raises
        ------
        FetchError
            For an address or redirect that is not requested (not http(s), off the publication's
            hosts, malformed), on a 4xx other than 304 and 429, on a 429 / 5xx / timeout still
            failing after the allowed attempts, past the overall deadline, on a truncated,
            oversized or malformed answer, or when the request budget is used up.
        """
        try:
            url = check_address(url, self.allowed)
        except AddressRefused as exc:
            raise FetchError(f"{printable(url, 300)}: {exc}; not requested") from None
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        problem = ""
        for attempt in range(self.options.attempts):
            if self.requests >= self.limit:
                raise FetchError(f"{url}: not requested, {self.limit_reason}")
            self.requests += 1
            wait = self.options.backoff * 2**attempt
            deadline = Deadline(self.options.deadline)
            self._handlers.deadline = deadline
            try:
                with deadline, self._opener.open(
                    urllib.request.Request(url, headers=headers), timeout=self.options.timeout
                ) as r:
                    return Response(r.url, r.status, _read_body(r, url, max_bytes, deadline), r.headers)
            except FetchError:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure of a request becomes the item's error
                if deadline.expired:
                    raise FetchError(
                        f"{url}: no complete answer within {self.options.deadline:g} s (connecting and "
                        "downloading); discarded"
                    ) from None
                if isinstance(exc, urllib.error.HTTPError) and exc.code == 304:
                    return Response(url, 304, b"", exc.headers)
                problem, wait = self._retryable(exc, url, wait)
            finally:
                self._handlers.deadline = None
            if attempt + 1 < self.options.attempts:
                self.options.sleep(wait)
        raise FetchError(f"{url}: {problem} (tried {self.options.attempts} times)")

    def _retryable(self, exc: Exception, url: str, wait: float) -> tuple[str, float]:
        """What went wrong, when it is worth asking again (429, 5xx, timeout); else FetchError."""
        if isinstance(exc, urllib.error.HTTPError):
            if exc.code != 429 and exc.code < 500:
                raise FetchError(f"{url}: HTTP {exc.code} {printable(exc.reason, 100)}") from None
            return f"HTTP {exc.code} {printable(exc.reason, 100)}", _retry_after(exc.headers, wait)
        if isinstance(exc, TimeoutError) or (
            isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, TimeoutError)
        ):
            return f"no answer within {self.options.timeout:g} s", wait
        if isinstance(exc, RedirectRefused):
            raise FetchError(f"{url}: {exc}; not followed") from None
        if isinstance(exc, http.client.IncompleteRead):
            got = len(exc.partial)
            raise FetchError(
                f"{url}: the download was cut short ({got} of {got + (exc.expected or 0)} bytes); discarded"
            ) from None
        if isinstance(exc, urllib.error.URLError):
            raise FetchError(f"{url}: cannot connect ({printable(exc.reason, 200)})") from None
        if isinstance(exc, ConnectionError):
            raise FetchError(f"{url}: the connection broke off ({exc.__class__.__name__}); discarded") from None
        if isinstance(exc, http.client.HTTPException):
            raise FetchError(
                f"{url}: not a valid HTTP answer ({exc.__class__.__name__}: {printable(exc, 120)}); discarded"
            ) from None
        raise FetchError(f"{url}: the request failed ({exc.__class__.__name__}: {printable(exc, 120)})") from None


def _retry_after(headers: Message, default: float) -> float:
    value = headers.get("Retry-After") if headers else None
    if value and value.strip().isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    return default


def _read_body(response, url: str, max_bytes: int | None, deadline: Deadline | None = None) -> bytes:
    """The whole body, refusing one that is cut short (shorter than Content-Length) or too large.

    ``read1`` returns whatever has arrived, so a trickled body is seen to pass its deadline.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(65536)
        if deadline is not None and deadline.expired:
            raise FetchError(f"{url}: no complete answer within {deadline.seconds:g} s (connecting and downloading); "
                             "discarded")  # fmt: skip
        if not chunk:
            break
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            limit = max_bytes / BYTES_PER_MB
            raise FetchError(f"{url}: larger than {limit:g} MB; not downloaded (settings.max_file_mb)")
        chunks.append(chunk)
    expected = response.headers.get("Content-Length")
    if expected and expected.isdigit() and size < int(expected):
        raise FetchError(f"{url}: the download was cut short ({size} of {expected} bytes); discarded")
    return b"".join(chunks)


# ---------------------------------------------------------------------------- pages
@dataclass(frozen=True)
class Link:
    url: str
    text: str
    offset: int  # where the link's text starts in the page text (for the nearest publication date)


class _LinkParser(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.text: list[str] = []
        self.length = 0
        self.links: list[Link] = []
        self._href: str | None = None
        self._link_text: list[str] = []
        self._link_offset = 0

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href and not href.startswith(("#", "mailto:", "javascript:")):
                try:
                    url = urljoin(self.base, href.strip())
                except ValueError:  # e.g. "http://[zz/": kept as written, refused when requested
                    url = href.strip()
                self._href, self._link_text, self._link_offset = url, [], self.length
        elif tag in ("p", "li", "div", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._add("\n")

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            text = " ".join("".join(self._link_text).split())
            self.links.append(Link(self._href, text, self._link_offset))
            self._href = None

    def handle_data(self, data):
        if self._href is not None:
            self._link_text.append(data)
        self._add(data)

    def _add(self, data: str) -> None:
        self.text.append(data)
        self.length += len(data)


@dataclass
class Page:
    url: str
    links: list[Link]
    text: str


def parse_page(html: str, url: str) -> Page:
    """The links (absolute addresses, whitespace-normalised text) and the text of an HTML page."""
    parser = _LinkParser(url)
    parser.feed(html)
    parser.close()
    return Page(url, parser.links, "".join(parser.text))


def matching_links(page: Page, rule: LinkRule) -> list[Link]:
    """Links on ``page`` that ``rule`` recognises, in page order, each address once."""
    seen: set[str] = set()
    found = []
    for link in page.links:
        if rule.link_text is not None and not re.search(rule.link_text, link.text, re.I):
            continue
        if rule.file_pattern is not None and not re.search(rule.file_pattern, _path_of(link.url), re.I):
            continue
        if link.url not in seen:
            seen.add(link.url)
            found.append(link)
    return found


def _path_of(url: str) -> str:
    """The decoded path of ``url`` (the whole text when it does not parse as an address)."""
    try:
        return unquote(urlsplit(url).path)
    except ValueError:
        return url


def describe_rule(rule: LinkRule) -> str:
    parts = []
    if rule.link_text is not None:
        parts.append(f"link text /{rule.link_text}/")
    if rule.file_pattern is not None:
        parts.append(f"file pattern /{rule.file_pattern}/")
    return " and ".join(parts)


def publication_date(page: Page, link: Link, pattern: str) -> dt.date | None:
    """The date the page gives for ``link``: in the link's own text, else the nearest one before it
    (a "Published: ..." line under a month's heading), else the first anywhere on the page."""
    regex = re.compile(pattern, re.I)
    before = [m for m in regex.finditer(page.text) if m.start() <= link.offset + len(link.text)]
    candidates = [regex.search(link.text)] + before[::-1] + [regex.search(page.text)]
    for match in candidates:
        if match is not None:
            parsed = _parse_date(match.group(1))
            if parsed is not None:
                return parsed
    return None


def _parse_date(text: str) -> dt.date | None:
    cleaned = " ".join(text.split())
    for fmt in ("%d %B %Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def period_of(link: Link) -> dt.date | None:
    """The first day of the period a file covers, from its link text, else its file name.

    "February 2026" and "January2024" are months; "Q3 2025-26" is the quarter starting October
    2025 (financial-year quarters start in April); "2025-26_January" is January 2026.
    """
    for text in (link.text, name_in(link.url)):
        if match := _PERIOD.search(text):
            return dt.date(int(match.group(2)), MONTHS[match.group(1).lower()], 1)
        if match := _QUARTER.search(text):
            quarter, start = int(match.group(1)), int(match.group(2))
            return dt.date(start + (quarter == 4), (4, 7, 10, 1)[quarter - 1], 1)
        if match := _FY_MONTH.search(text):
            month = MONTHS[match.group(2).lower()]
            return dt.date(int(match.group(1)) + (month < 4), month, 1)
    return None


def sniff_format(body: bytes) -> str | None:
    """What the bytes are: 'xlsx' (a zip), 'xls' (an OLE2 compound file), 'html', 'csv' (text) or None."""
    if body.startswith(b"PK\x03\x04"):
        return "xlsx"
    if body.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        return "html"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head.decode("cp1252")
        except UnicodeDecodeError:
            return None
    return "csv" if b"," in head and b"\x00" not in head else None


def index_url(publication: Publication, options: FetchOptions) -> str:
    """The landing page: ``--index-url ID=URL``, else ``LLR_FETCH_INDEX_URL_<ID>``, else the catalogue's."""
    return (
        options.index_urls.get(publication.id)
        or os.environ.get(INDEX_URL_ENV + publication.id.upper())
        or publication.landing_page
    )


# ---------------------------------------------------------------------------- the run
@dataclass
class FileResult:
    publication_id: str
    url: str
    status: str  # new | revised | unchanged | skipped | would-download | error
    message: str = ""
    published: dt.date | None = None
    outcome: FileOutcome | None = None

    @property
    def name(self) -> str:
        """The file name, safe to write, store and print (see ``webguard.name_in``)."""
        return name_in(self.url)


@dataclass
class FetchReport:
    results: list[FileResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # page-level: unreachable, structure changed
    requests: int = 0
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(r.status == "error" for r in self.results)

    def lines(self) -> list[str]:
        """What a user reads after a run: each new, revised or failed file, one line per publication
        for the files left for the next run, then the totals. Every line is one printable line."""
        out = []
        left: dict[str, list[FileResult]] = {}
        for r in self.results:
            when = f" (published {r.published.day} {r.published:%B %Y})" if r.published else ""
            if r.status == "skipped" and r.message.startswith("left for the next run"):
                if r.publication_id not in left:
                    left[r.publication_id] = []
                    out.append(r.publication_id)  # placeholder, filled in below
                left[r.publication_id].append(r)
            elif r.status in ("new", "revised", "would-download", "error"):
                label = "ERROR" if r.status == "error" else r.status
                detail = f": {r.message}" if r.message else ""
                out.append(f"{r.publication_id}: {label}: {r.name}{when}{detail}")
        for publication_id, skipped in left.items():
            first = skipped[0].name if len(skipped) == 1 else f"{len(skipped)} files, from {skipped[0].name}"
            out[out.index(publication_id)] = f"{publication_id}: skipped: {first}: {skipped[0].message}"
        for problem in self.problems:
            out.append(f"ERROR: {problem}")
        out = [printable(line, 2000) for line in out]
        totals = ", ".join(
            f"{self.count(s)} {s}" for s in ("new", "revised", "unchanged", "skipped", "would-download", "error")
            if s != "would-download" or self.dry_run
        )  # fmt: skip
        out.append(f"{'dry run, nothing written: ' if self.dry_run else ''}{totals}; {self.requests} request(s)")
        return out


def fetch_publications(engine: Engine, catalogue: Catalogue, options: FetchOptions) -> FetchReport:
    """Check each chosen publication's pages and bring in what is new (see the module docstring).

    A dry run reads the pages and lists what it would download; it downloads and writes nothing.
    """
    running = {p.id: p for p in catalogue.running_publications}
    unknown = [p for p in (*options.publications, *options.index_urls) if p not in running]
    if unknown:
        known = ", ".join(running)
        raise ValueError(f"unknown publication(s) {', '.join(sorted(set(unknown)))}; the catalogue has: {known}")
    if not options.dry_run:
        store.init_db(engine, catalogue)
    http = Http(options)
    report = FetchReport(dry_run=options.dry_run)
    chosen = [running[p] for p in options.publications] or list(running.values())
    for done, publication in enumerate(chosen):
        _share_budget(http, options, publication, len(chosen) - done)
        landing = index_url(publication, options)
        try:
            http.allowed = allowed_origins(landing, publication.allowed_hosts)
        except AddressRefused as exc:
            report.problems.append(f"{publication.id}: {printable(landing, 300)}: {exc}; not requested")
            continue
        try:
            _fetch_one(publication, engine, catalogue, options, http, report)
        except Exception as exc:  # noqa: BLE001 - one publication's failure must not end the run
            report.problems.append(
                f"{publication.id}: stopped by an unexpected {exc.__class__.__name__}: {printable(exc, 300)}"
            )
    report.requests = http.requests
    return report


def _share_budget(http: Http, options: FetchOptions, publication: Publication, left: int) -> None:
    """Give ``publication`` an equal share of the requests not used yet (rounded up), so one page
    of thousands of links cannot spend the budget of the publications after it."""
    remaining = max(0, options.max_requests - http.requests)
    share = -(-remaining // left)
    http.limit = http.requests + share
    if share >= remaining:
        http.limit_reason = f"the limit of {options.max_requests} requests per run is reached"
    else:
        http.limit_reason = (
            f"the share of {publication.id} ({share} of the {options.max_requests} requests per run) is used up"
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class _PageReader:
    """Reads a publication's statistics pages, conditionally when a copy from an earlier run is kept.

    A page that sent ``ETag`` or ``Last-Modified`` is kept under ``<raw_dir>/<publication>/pages/``;
    the next run asks with ``If-None-Match`` / ``If-Modified-Since`` and reads the kept copy on a 304.
    """

    def __init__(self, http: Http, publication: Publication, log, options: FetchOptions) -> None:
        self.http = http
        self.known = {row["url"]: row for row in log.to_dict("records") if row["kind"] == "page"}
        self.folder = options.raw_dir / publication.id / "pages"
        self.dry_run = options.dry_run
        self.validators: dict[str, dict] = {}  # per page read: the validators to store (none on a 304)

    def read(self, url: str) -> Page:
        copy = self.folder / f"{sha256_hex(url.encode())[:16]}.html"
        known = self.known.get(url)
        conditional = {}
        if known is not None and copy.exists():
            conditional = {"etag": known.get("etag") or None, "last_modified": known.get("last_modified") or None}
        response = self.http.get(url, max_bytes=MAX_PAGE_BYTES, **conditional)
        if response.status == 304:
            self.validators[url] = {}
            return parse_page(copy.read_text(encoding="utf-8"), url)
        text = response.body.decode(_charset(response.headers), errors="replace")
        found = {"etag": response.headers.get("ETag"), "last_modified": response.headers.get("Last-Modified")}
        self.validators[url] = found
        if not self.dry_run and (found["etag"] or found["last_modified"]):
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: another run at the same time may be reading the copy.
            part = copy.with_name(f"{copy.name}.{os.getpid()}.{threading.get_ident()}.part")
            part.write_text(text, encoding="utf-8")
            part.replace(copy)
        return parse_page(text, response.url)

    def rows(self, publication: Publication, landing: str, status: str, checked: dt.datetime) -> list[dict]:
        """Fetch-log rows: the landing page with the run's outcome, each year page read as ok."""
        rows = [{**_page_row(publication, landing, status, checked), **self.validators.get(landing, {})}]
        for url, found in self.validators.items():
            if url != landing:
                rows.append({**_page_row(publication, url, "ok", checked), **found})
        return rows


def _charset(headers: Message) -> str:
    """The page's declared character set when Python knows it, else UTF-8 (a bogus one is ignored)."""
    try:
        declared = headers.get_content_charset() or "utf-8"
        codecs.lookup(declared)
    except (LookupError, ValueError):
        return "utf-8"
    return declared


def _fetch_one(
    publication: Publication,
    engine: Engine,
    catalogue: Catalogue,
    options: FetchOptions,
    http: Http,
    report: FetchReport,
) -> None:
    landing = index_url(publication, options)
    log = store.read_fetch_log(engine, publication.id)
    checked = _now()
    reader = _PageReader(http, publication, log, options)
    try:
        landing_page = reader.read(landing)
        year_links = []
        if publication.year_pages is not None:
            year_links = matching_links(landing_page, publication.year_pages)
            if not year_links:
                raise FetchError(
                    f"{landing}: the 'year_pages' rule of publication '{publication.id}' "
                    f"({describe_rule(publication.year_pages)}) found no link; the page structure may have "
                    "changed (see page_structure in config.yaml)"
                )
    except FetchError as exc:
        report.problems.append(f"{publication.id}: {exc}")
        _record(engine, options, reader.rows(publication, landing, "error", checked))
        return
    pages = [landing_page]
    all_read = True
    if year_links:
        pages = []
        for link in year_links[: publication.year_pages_followed]:
            try:
                pages.append(reader.read(link.url))
            except FetchError as exc:  # one year page missing must not hide the others
                report.problems.append(f"{publication.id}: {exc}")
                all_read = False
        if not pages:
            _record(engine, options, reader.rows(publication, landing, "error", checked))
            return
    page_rows = reader.rows(publication, landing, "ok" if all_read else "error", checked)
    candidates = [(page, link) for page in pages for link in matching_links(page, publication.files)]
    if not candidates:
        where = ", ".join(p.url for p in pages)
        report.problems.append(
            f"{publication.id}: {where}: the 'files' rule ({describe_rule(publication.files)}) found no link; "
            "the page structure may have changed (see page_structure in config.yaml)"
        )
        _record(engine, options, page_rows)
        return
    by_url = {row["url"]: row for row in log.to_dict("records") if row["kind"] == "file"}
    held_periods = {
        row["period"].date(): row["url"] for row in by_url.values() if _present(row["period"]) and row["sha256"]
    }
    seen: set[str] = set()
    rows = list(page_rows)
    rechecked = 0
    for page, link in candidates:
        if link.url in seen:
            continue
        seen.add(link.url)
        known = by_url.get(link.url)
        held = known is not None and bool(known.get("sha256"))
        if held and rechecked >= options.recheck_known:
            # Older files are not asked for again every run: revisions reappear under new names,
            # and the newest few held files are still re-checked for a same-name revision.
            report.results.append(FileResult(publication.id, link.url, "unchanged", "held; not re-checked"))
            continue
        if not options.dry_run and http.requests >= http.limit:
            report.results.append(FileResult(publication.id, link.url, "skipped", f"left for the next run: "
                                             f"{http.limit_reason}"))  # fmt: skip
            continue
        rechecked += held
        try:
            result, row = _fetch_file(publication, page, link, known, held_periods, engine, catalogue,
                                      options, http, checked)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - one bad file is that file's error; the run goes on
            result = FileResult(publication.id, link.url, "error",
                                f"not loaded: {exc.__class__.__name__}: {printable(exc, 300)}")  # fmt: skip
            row = None
        report.results.append(result)
        if row is not None:
            rows.append(row)
    _record(engine, options, rows)


def _present(value) -> bool:
    return value is not None and value == value  # NaT / NaN are not equal to themselves


def _page_row(publication: Publication, url: str, status: str, checked: dt.datetime) -> dict:
    return {"publication_id": publication.id, "kind": "page", "url": url, "status": status, "checked_at": checked}


def _record(engine: Engine, options: FetchOptions, rows: list[dict]) -> None:
    """Write the fetch log; an address from a page is stored printable (PostgreSQL refuses NUL)."""
    if not options.dry_run:
        store.record_fetch(engine, [{**row, "url": printable(row["url"])} for row in rows])


def _fetch_file(
    publication: Publication,
    page: Page,
    link: Link,
    known: dict | None,
    held_periods: dict[dt.date, str],
    engine: Engine,
    catalogue: Catalogue,
    options: FetchOptions,
    http: Http,
    checked: dt.datetime,
) -> tuple[FileResult, dict | None]:
    period = period_of(link)
    published = publication_date(page, link, publication.published_pattern)
    result = FileResult(publication.id, link.url, "unchanged", published=published)
    if options.since is not None and period is not None and period < options.since:
        result.status, result.message = "skipped", f"covers {period:%B %Y}, before --since"
        return result, None
    if options.dry_run:
        try:  # a dry run lists only what a real run would request
            check_address(link.url, http.allowed)
        except AddressRefused as exc:
            result.status, result.message = "error", f"{printable(link.url, 300)}: {exc}; not requested"
            return result, None
        if known is None or not known.get("sha256"):
            result.status = "would-download"
        return result, None
    row = {
        "publication_id": publication.id,
        "kind": "file",
        "url": link.url,
        "file_name": result.name,
        "period": period,
        "checked_at": checked,
    }
    validators = {}
    if known is not None and known.get("sha256"):
        validators = {"etag": known.get("etag") or None, "last_modified": known.get("last_modified") or None}
    max_bytes = file_bytes(catalogue.settings.max_file_mb)
    try:
        response = http.get(link.url, max_bytes=max_bytes, **validators)
    except FetchError as exc:
        result.status, result.message = "error", str(exc)
        return result, {**row, "status": "error"}
    if response.status == 304:
        return result, {**row, "status": "unchanged"}
    row["etag"] = response.headers.get("ETag")
    row["last_modified"] = response.headers.get("Last-Modified")
    if published is None and row["last_modified"]:
        try:
            published = result.published = parsedate_to_datetime(row["last_modified"]).date()
        except (TypeError, ValueError):
            pass
    if published is not None and published > dt.date.today():
        published = result.published = None  # a date after today is a typo: recorded, it would keep revisions out
    row["published"] = published
    kind = sniff_format(response.body)
    if kind not in publication.formats:
        what = "an HTML page" if kind == "html" else (f"a {kind.upper()} file" if kind else "not a known file type")
        result.status = "error"
        result.message = f"not the expected type (expected {' or '.join(publication.formats)}; got {what}); discarded"
        return result, {**row, "status": "error"}
    digest = sha256_hex(response.body)
    if known is not None and known.get("sha256") == digest:
        return result, {**row, "status": "unchanged"}
    loaded = store.find_source(engine, digest)
    # Content this address gave before, back after a different version (A -> B -> A): a revision
    # that puts the earlier figures back, not "already loaded" while the store keeps B's.
    returning = loaded is not None and known is not None and bool(known.get("sha256"))
    if loaded is not None and not returning:
        result.message = f"same content as '{printable(loaded['file_name'], 120)}', already loaded"
        return result, {**row, "status": "unchanged", "sha256": digest, "source_id": loaded["id"]}
    revised = returning or (known is not None and known.get("sha256")) or (
        period is not None and period in held_periods
    )
    path = _save(options.raw_dir / publication.id, result.name, response.body, digest)
    # The normal ingest: layout from content, checks, one transaction. The page's publication date
    # is recorded on the source row (a date the file states itself wins) and in the fetch log.
    prepared = prepare_file(path, engine, catalogue, max_bytes=max_bytes, published=published, reload=returning)
    wrong = _layout_problem(publication, prepared)
    if wrong:
        path.unlink(missing_ok=True)
        result.status, result.message = "error", wrong
        return result, {**row, "status": "error"}
    outcome = _write(prepared, engine, returning)
    result.outcome = outcome
    if outcome.status == "unchanged":  # the same content was loaded meanwhile (another run at the same time)
        source = store.find_source(engine, digest)
        result.message = "same content already loaded (by a run at the same time)"
        return result, {**row, "status": "unchanged", "sha256": digest, "source_id": source["id"] if source else None}
    if outcome.status != "loaded":
        result.status = "error"
        result.message = f"{outcome.error or outcome.status} (kept at {path} for inspection)"
        return result, {**row, "status": "error"}
    result.status = "revised" if revised else "new"
    again = f"back to the content first loaded as '{printable(loaded['file_name'], 120)}'; " if returning else ""
    result.message = (
        f"{again}loaded with {outcome.loader}: {outcome.rows} rows ({outcome.added} added, {outcome.updated} updated, "
        f"{outcome.unchanged} unchanged)"
    )
    source = store.find_source(engine, digest)
    if period is not None:
        held_periods[period] = link.url
    return result, {
        **row,
        "status": result.status,
        "sha256": digest,
        "source_id": source["id"] if source else None,
        "arrived_at": checked,
    }


def _layout_problem(publication: Publication, prepared: PreparedFile) -> str:
    """Why a downloaded file is not the publication's own layout ('' when it is).

    A file under the A&E publication must be read by the A&E loader: a generic-template CSV (or any
    other layout) served there would otherwise load other figures under the publication's name.
    """
    if prepared.result is None:
        return ""  # unreadable: the ingest's own message says why
    module = registry.module_named(prepared.outcome.loader)
    key = prepared.result.source_key or module.SOURCE_KEY
    generic = module.NAME == generic_loader.NAME and publication.source != generic_loader.SOURCE_KEY
    if key == publication.source and not generic:
        return ""
    return (
        f"laid out for the {module.NAME} loader (source '{key}'), not as publication '{publication.id}' "
        f"publishes (source '{publication.source}'); discarded"
    )


def _write(prepared: PreparedFile, engine: Engine, returning: bool) -> FileOutcome:
    """Write a prepared file; content loaded before is applied again over the version that replaced it."""
    if not returning or prepared.result is None or prepared.record is None:
        return write_prepared(prepared, engine)
    counts = store.reapply_load(
        engine, prepared.result.tidy, prepared.record, prepared.result.organisations, prepared.catalogue
    )
    if counts is None:  # no longer in the store: an ordinary load
        return write_prepared(prepared, engine)
    outcome = prepared.outcome
    outcome.status = "loaded"
    outcome.added, outcome.updated = counts.added, counts.updated
    outcome.unchanged, outcome.kept_newer = counts.unchanged, counts.kept_newer
    return outcome


def _save(folder: Path, name: str, body: bytes, digest: str) -> Path:
    """Write the download under its published name (a different file already there keeps its own)."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = shorten(re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).lstrip(".")) or "download"
    path = folder / safe
    if path.exists() and sha256_hex(path.read_bytes()) != digest:
        path = folder / f"{path.stem}-{digest[:8]}{path.suffix}"
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")  # two runs at once
    tmp.write_bytes(body)
    tmp.replace(path)
    return path
