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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import os
import re
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

from loaders.ingest import FileOutcome, prepare_file, write_prepared
from metrics import store
from metrics.catalogue import PROJECT_ROOT, Catalogue, LinkRule, Publication

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
    timeout: float = 30.0
    max_requests: int = 60
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
    """A small polite HTTP client on urllib (proxies from the environment, as urllib does by default)."""

    def __init__(self, options: FetchOptions) -> None:
        self.options = options
        self.requests = 0
        self._opener = urllib.request.build_opener()

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, max_bytes: int | None = None
    ) -> Response:
        """GET ``url``; a 304 comes back as a response with status 304 and no body.

        Raises
        ------
        FetchError
            On a 4xx other than 304 and 429, on a 429 / 5xx / timeout still failing after the
            allowed attempts, on a truncated or oversized body, or when the request budget is used up.
        """
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        problem = ""
        for attempt in range(self.options.attempts):
            if self.requests >= self.options.max_requests:
                raise FetchError(
                    f"{url}: not requested, the limit of {self.options.max_requests} requests per run is used up"
                )
            self.requests += 1
            wait = self.options.backoff * 2**attempt
            try:
                with self._opener.open(urllib.request.Request(url, headers=headers), timeout=self.options.timeout) as r:
                    return Response(r.url, r.status, _read_body(r, url, max_bytes), r.headers)
            except urllib.error.HTTPError as exc:
                if exc.code == 304:
                    return Response(url, 304, b"", exc.headers)
                if exc.code != 429 and exc.code < 500:
                    raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
                problem = f"HTTP {exc.code} {exc.reason}"
                wait = _retry_after(exc.headers, wait)
            except TimeoutError:
                problem = f"no answer within {self.options.timeout:g} s"
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, TimeoutError):
                    raise FetchError(f"{url}: cannot connect ({exc.reason})") from None
                problem = f"no answer within {self.options.timeout:g} s"
            except http.client.IncompleteRead as exc:
                got = len(exc.partial)
                raise FetchError(
                    f"{url}: the download was cut short ({got} of {got + (exc.expected or 0)} bytes); discarded"
                ) from None
            except ConnectionError as exc:
                raise FetchError(f"{url}: the connection broke off ({exc.__class__.__name__}); discarded") from None
            if attempt + 1 < self.options.attempts:
                self.options.sleep(wait)
        raise FetchError(f"{url}: {problem} (tried {self.options.attempts} times)")


def _retry_after(headers: Message, default: float) -> float:
    value = headers.get("Retry-After") if headers else None
    if value and value.strip().isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    return default


def _read_body(response, url: str, max_bytes: int | None) -> bytes:
    """The whole body, refusing one that is cut short (shorter than Content-Length) or too large."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise FetchError(f"{url}: larger than {max_bytes / 1048576:.0f} MB; not downloaded (settings.max_file_mb)")
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
                self._href, self._link_text, self._link_offset = urljoin(self.base, href.strip()), [], self.length
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
        if rule.file_pattern is not None and not re.search(rule.file_pattern, unquote(urlsplit(link.url).path), re.I):
            continue
        if link.url not in seen:
            seen.add(link.url)
            found.append(link)
    return found


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
    for text in (link.text, unquote(Path(urlsplit(link.url).path).name)):
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
        return unquote(Path(urlsplit(self.url).path).name) or self.url


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
        """What a user reads after a run: each new, revised or failed file, then the totals."""
        out = []
        for r in self.results:
            when = f" (published {r.published.day} {r.published:%B %Y})" if r.published else ""
            budget = r.status == "skipped" and r.message.startswith("left for the next run")
            if r.status in ("new", "revised", "would-download", "error") or budget:
                label = "ERROR" if r.status == "error" else r.status
                detail = f": {r.message}" if r.message else ""
                out.append(f"{r.publication_id}: {label}: {r.name}{when}{detail}")
        for problem in self.problems:
            out.append(f"ERROR: {problem}")
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
    unknown = [p for p in (*options.publications, *options.index_urls) if p not in catalogue.publication_by_id]
    if unknown:
        known = ", ".join(catalogue.publication_by_id)
        raise ValueError(f"unknown publication(s) {', '.join(sorted(set(unknown)))}; the catalogue has: {known}")
    if not options.dry_run:
        store.init_db(engine, catalogue)
    http = Http(options)
    report = FetchReport(dry_run=options.dry_run)
    chosen = [catalogue.publication_by_id[p] for p in options.publications] or list(catalogue.publications)
    for publication in chosen:
        _fetch_one(publication, engine, catalogue, options, http, report)
    report.requests = http.requests
    return report


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
        copy = self.folder / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}.html"
        known = self.known.get(url)
        conditional = {}
        if known is not None and copy.exists():
            conditional = {"etag": known.get("etag") or None, "last_modified": known.get("last_modified") or None}
        response = self.http.get(url, max_bytes=MAX_PAGE_BYTES, **conditional)
        if response.status == 304:
            self.validators[url] = {}
            return parse_page(copy.read_text(encoding="utf-8"), url)
        text = response.body.decode(response.headers.get_content_charset() or "utf-8", errors="replace")
        found = {"etag": response.headers.get("ETag"), "last_modified": response.headers.get("Last-Modified")}
        self.validators[url] = found
        if not self.dry_run and (found["etag"] or found["last_modified"]):
            self.folder.mkdir(parents=True, exist_ok=True)
            copy.write_text(text, encoding="utf-8")
        return parse_page(text, response.url)

    def rows(self, publication: Publication, landing: str, status: str, checked: dt.datetime) -> list[dict]:
        """Fetch-log rows: the landing page with the run's outcome, each year page read as ok."""
        rows = [{**_page_row(publication, landing, status, checked), **self.validators.get(landing, {})}]
        for url, found in self.validators.items():
            if url != landing:
                rows.append({**_page_row(publication, url, "ok", checked), **found})
        return rows


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
        if not options.dry_run and http.requests >= options.max_requests:
            report.results.append(
                FileResult(publication.id, link.url, "skipped",
                           f"left for the next run: the limit of {options.max_requests} requests per run is reached")
            )  # fmt: skip
            continue
        rechecked += held
        result, row = _fetch_file(publication, page, link, known, held_periods, engine, catalogue,
                                  options, http, checked)  # fmt: skip
        report.results.append(result)
        if row is not None:
            rows.append(row)
    _record(engine, options, rows)


def _present(value) -> bool:
    return value is not None and value == value  # NaT / NaN are not equal to themselves


def _page_row(publication: Publication, url: str, status: str, checked: dt.datetime) -> dict:
    return {"publication_id": publication.id, "kind": "page", "url": url, "status": status, "checked_at": checked}


def _record(engine: Engine, options: FetchOptions, rows: list[dict]) -> None:
    if not options.dry_run:
        store.record_fetch(engine, rows)


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
    max_bytes = int(catalogue.settings.max_file_mb * 1048576)
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
    digest = hashlib.sha256(response.body).hexdigest()
    if known is not None and known.get("sha256") == digest:
        return result, {**row, "status": "unchanged"}
    loaded = store.find_source(engine, digest)
    if loaded is not None:
        result.message = f"same content as '{loaded['file_name']}', already loaded"
        return result, {**row, "status": "unchanged", "sha256": digest, "source_id": loaded["id"]}
    revised = (known is not None and known.get("sha256")) or (period is not None and period in held_periods)
    path = _save(options.raw_dir / publication.id, result.name, response.body, digest)
    # The normal ingest: layout from content, checks, one transaction. The page's publication date
    # is recorded on the source row (a date the file states itself wins) and in the fetch log.
    outcome = write_prepared(prepare_file(path, engine, catalogue, max_bytes=max_bytes, published=published), engine)
    result.outcome = outcome
    if outcome.status != "loaded":
        result.status = "error"
        result.message = f"{outcome.error or outcome.status} (kept at {path} for inspection)"
        return result, {**row, "status": "error"}
    result.status = "revised" if revised else "new"
    result.message = (
        f"loaded with {outcome.loader}: {outcome.rows} rows ({outcome.added} added, {outcome.updated} updated, "
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


def _save(folder: Path, name: str, body: bytes, digest: str) -> Path:
    """Write the download under its published name (a different file already there keeps its own)."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name) or "download"
    path = folder / safe
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        path = folder / f"{path.stem}-{digest[:8]}{path.suffix}"
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(body)
    tmp.replace(path)
    return path
