"""Where ``python -m loaders fetch`` may go, and how long it may wait: the fetcher's safety rails.

A statistics page is text from someone else's server. A link or a redirect on it may point at the
local disk (``file:``), another protocol (``ftp:``), another port or host (an internal admin page),
or be malformed; a server may trickle a file for ever. Every address is checked here before it is
requested, every redirect target likewise, and a request has one overall deadline from connecting
to the last byte of the body (a socket timeout alone restarts with every byte received).
"""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

#: The only schemes fetched, for links and redirects alike.
SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: File names longer than this are shortened (most file systems refuse names over 255 bytes).
MAX_NAME_CHARS = 120


class AddressRefused(Exception):
    """An address the fetcher will not request; the message says why, for the report."""


Origin = tuple[str, int | None]  # host (lower case) and port (None: the scheme's default)


def printable(text: str, limit: int | None = None) -> str:
    """``text`` safe for one line of a report: control and line-separator characters become '?'.

    A file name or an address from a page must not start a new line of the report (a forged
    "new: ..." line) or carry a NUL into the database.
    """
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def origin_of(url: str) -> Origin:
    """The host and port ``url`` would be requested on.

    Raises
    ------
    AddressRefused
        When the address is malformed, has no host, or is not http(s).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise AddressRefused(f"not a usable address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        what = f"is {scheme}:" if scheme else "has no http:// or https://"
        raise AddressRefused(f"only http and https addresses are fetched (this one {what})")
    if not host:
        raise AddressRefused("the address names no host")
    return host.lower(), (None if port in (None, _DEFAULT_PORTS[scheme]) else port)


def allowed_origins(landing: str, allowed_hosts: tuple[str, ...] = ()) -> set[Origin]:
    """The landing page's own host and port, and the publication's ``allowed_hosts``."""
    found = {origin_of(landing)}
    for entry in allowed_hosts:
        host, _, port = entry.partition(":")
        found.add((host.lower(), int(port) if port else None))
    return found


def describe(origins: set[Origin]) -> str:
    return ", ".join(sorted(f"{h}:{p}" if p else h for h, p in origins))


def check_address(url: str, allowed: set[Origin]) -> str:
    """``url`` ready to request, or AddressRefused saying why it is not requested.

    Spaces are percent-encoded as a browser does; any other control character is refused.
    """
    url = url.strip().replace(" ", "%20")
    if any(not ch.isprintable() for ch in url):
        raise AddressRefused("the address contains control characters")
    origin = origin_of(url)
    if origin not in allowed:
        host = f"{origin[0]}:{origin[1]}" if origin[1] else origin[0]
        raise AddressRefused(
            f"on {host}, not the publication's own host ({describe(allowed)}) nor in its allowed_hosts in config.yaml"
        )
    return url


def name_in(url: str) -> str:
    """The file name an address ends in, percent-decoded and made safe to write and to print.

    No path separators, no control characters (``%0A`` would forge report lines, ``%00`` is
    refused by PostgreSQL), at most ``MAX_NAME_CHARS`` characters with the extension kept.
    """
    try:
        path = urlsplit(url).path
    except ValueError:
        path = url
    name = unquote(path.replace("\\", "/")).rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return shorten(name) or printable(url, MAX_NAME_CHARS)


def shorten(name: str, limit: int = MAX_NAME_CHARS) -> str:
    """``name`` cut to ``limit`` characters, keeping a short extension."""
    if len(name) <= limit:
        return name
    suffix = Path(name).suffix
    if 1 < len(suffix) <= 10:
        return name[: limit - len(suffix)] + suffix
    return name[:limit]


# ---------------------------------------------------------------------------- the opener
class Deadline:
    """Shuts the request's sockets when its time is up, so a blocked read returns at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Watched:
    """Mixin for http.client connections: the socket is handed to the current request's deadline."""

    deadline_of: Callable[[], Deadline | None]  # set on the subclass by the handler

    def connect(self):
        super().connect()
        deadline = self.deadline_of()
        if deadline is not None:
            deadline.watch(self.sock)


class _Handlers:
    """The handlers of an opener that speaks HTTP(S) only, checks redirects and keeps a deadline."""

    def __init__(self, check) -> None:
        self.check = check  # url -> url, raising AddressRefused
        self.deadline: Deadline | None = None

    def opener(self) -> urllib.request.OpenerDirector:
        holder = self

        class WatchedHTTP(_Watched, http.client.HTTPConnection):
            deadline_of = staticmethod(lambda: holder.deadline)

        class WatchedHTTPS(_Watched, http.client.HTTPSConnection):
            deadline_of = staticmethod(lambda: holder.deadline)

        class HTTPHandler(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(WatchedHTTP, req)

        class HTTPSHandler(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(WatchedHTTPS, req, context=self._context)

        class RedirectHandler(urllib.request.HTTPRedirectHandler):
            max_redirections = 5

            def http_error_302(self, req, fp, code, msg, headers):
                # Checked before urllib's own handling, which would follow ftp: and other ports.
                target = headers.get("location") or headers.get("uri")
                if target:
                    try:
                        target = urljoin(req.full_url, target)
                        holder.check(target)
                    except (AddressRefused, ValueError) as exc:
                        fp.close()
                        raise RedirectRefused(f"redirected ({code}) to {printable(target, 200)}: {exc}") from None
                return super().http_error_302(req, fp, code, msg, headers)

            http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

            def redirect_request(self, req, fp, code, msg, headers, newurl):
                try:
                    newurl = holder.check(newurl)
                except AddressRefused as exc:
                    fp.close()
                    raise RedirectRefused(f"redirected ({code}) to {printable(newurl, 200)}: {exc}") from None
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        # Built by hand, not with build_opener: no file:, ftp: or data: handlers at all.
        opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            urllib.request.UnknownHandler(),
            HTTPHandler(),
            HTTPSHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            RedirectHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            opener.add_handler(handler)
        return opener


class RedirectRefused(urllib.error.URLError):
    """A redirect to an address the fetcher does not request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def guarded_opener(check) -> tuple[urllib.request.OpenerDirector, _Handlers]:
    """An opener for HTTP(S) only whose redirects pass ``check``; set ``.deadline`` on the second
    value before each request."""
    handlers = _Handlers(check)
    return handlers.opener(), handlers
