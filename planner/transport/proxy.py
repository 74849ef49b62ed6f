"""Proxy variables, read as Go's ``net/http`` reads them (Docker, containerd), plus ``ALL_PROXY``.

httpx reads the environment only when it builds its own transport; the
client's transport is its own (TLS set up on first use), so the variables are
read here, once per client, and every request goes through :class:`Router`:
registry, token service and CDN alike.

Which proxy (``golang.org/x/net/http/httpproxy``, ``FromEnvironment``):

* ``HTTPS_PROXY`` for https:// URLs and ``HTTP_PROXY`` for http:// ones, the
  upper-case name first, then the lower-case one; when neither is set,
  ``ALL_PROXY`` / ``all_proxy`` (curl's, which httpx honours too);
* a value without a scheme means ``http://``; ``http``, ``https``, ``socks5``
  and ``socks5h`` proxies are accepted (SOCKS needs httpx's ``socksio``);
  credentials in the proxy URL are sent to the proxy, never shown;
* ``localhost`` and loopback addresses (127.0.0.0/8, ::1) are never proxied.

``NO_PROXY`` / ``no_proxy``, comma-separated (``httpproxy`` ``config.init``):

* ``*`` alone turns proxies off;
* an IP address (``10.1.2.3``, ``[2001:db8::1]``) or a CIDR block (``10.0.0.0/8``)
  matches addresses in it;
* a name matches itself and its subdomains (``example.com`` matches
  ``registry.example.com``); with a leading ``.`` or ``*.`` only subdomains;
* any entry may carry a port (``registry.example.com:5000``), which must then
  match too (default ports count: 80 for http, 443 for https).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import httpx

from planner.model.errors import InvalidInput
from planner.model.record import dataclass
from planner.model.reference import is_loopback
from planner.transport.errors import quoted

__all__ = ["ProxySettings", "Router", "describe"]

_SCHEMES = ("http", "https", "socks5", "socks5h")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _env(env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    for variable in (name, name.lower()):
        if env.get(variable):
            return variable, env[variable]
    return None


@dataclass(frozen=True)
class _Entry:
    """One NO_PROXY entry."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    domain: str = ""
    """``.example.com``: matches subdomains; ``exact`` also matches ``example.com``."""
    exact: bool = False
    port: int | None = None

    def matches(
        self, host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None, port: int
    ) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return ip is not None and ip in self.network
        return host.endswith(self.domain) or (self.exact and host == self.domain[1:])


def _parse_no_proxy(value: str) -> tuple[bool, tuple[_Entry, ...]]:
    """(everything excluded, entries); unreadable entries are skipped, as Go does."""
    entries: list[_Entry] = []
    for raw in value.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        if item == "*":
            return True, ()
        try:
            entries.append(_Entry(network=ipaddress.ip_network(item, strict=False)))
            continue
        except ValueError:
            pass
        host, port = item, None
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        elif item.count(":") == 1:
            name, _, digits = item.partition(":")
            if digits.isdigit():
                host, port = name, int(digits)
        try:
            entries.append(_Entry(network=ipaddress.ip_network(host), port=port))
            continue
        except ValueError:
            pass
        if host.startswith("*."):
            host = host[1:]
        if not host or host == ".":
            continue
        exact = not host.startswith(".")
        entries.append(_Entry(domain=host if not exact else "." + host, exact=exact, port=port))
    return False, tuple(entries)


@dataclass(frozen=True)
class ProxySettings:
    """The proxy variables of one environment; :meth:`proxy_for` applies them to a URL."""

    http: tuple[str, str] | None = None
    """(variable, value) for http:// URLs."""
    https: tuple[str, str] | None = None
    no_proxy_all: bool = False
    no_proxy: tuple[_Entry, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProxySettings:
        every = _env(env, "ALL_PROXY")
        excluded = _env(env, "NO_PROXY")
        everything, entries = _parse_no_proxy(excluded[1]) if excluded else (False, ())
        return cls(
            http=_env(env, "HTTP_PROXY") or every,
            https=_env(env, "HTTPS_PROXY") or every,
            no_proxy_all=everything,
            no_proxy=entries,
        )

    def proxy_for(self, url: httpx.URL) -> httpx.URL | None:
        """The proxy to send ``url`` through, or None to connect directly."""
        chosen = self.https if url.scheme == "https" else self.http
        if chosen is None or self.no_proxy_all or is_loopback(url.host):
            return None
        host = url.host.lower().rstrip(".")
        port = url.port or _DEFAULT_PORTS.get(url.scheme, 0)
        try:
            ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if any(entry.matches(host, ip, port) for entry in self.no_proxy):
            return None
        return _proxy_url(*chosen)


def _proxy_url(variable: str, value: str) -> httpx.URL:
    text = value.strip()
    if "://" not in text:
        text = "http://" + text
    scheme = text.partition("://")[0].lower()
    try:
        url = httpx.URL(text)
        port = url.port
        usable = scheme in _SCHEMES and bool(url.host) and (port is None or 0 < port < 65536)
    except (httpx.InvalidURL, ValueError):
        usable = False
    if not usable:
        # the value may hold a password: name the variable and the scheme only
        raise InvalidInput(
            f"{variable} is not a usable proxy URL (scheme {quoted(scheme, 20)}; expected"
            f" {', '.join(_SCHEMES)}, a host and a port from 1 to 65535)"
        )
    return url


def describe(proxy: httpx.URL) -> str:
    """``host:port`` of a proxy, for messages (never its credentials)."""
    port = proxy.port or _DEFAULT_PORTS.get(proxy.scheme, 1080)
    return f"{proxy.host}:{port}"


class Router(httpx.AsyncBaseTransport):
    """Sends each request directly or through its proxy; transports are made on first use.

    One httpx transport per (TLS needed, proxy): httpx loads the CA bundle
    when a verifying transport is made (about 0.1 s), so a run that speaks
    only plain HTTP to loopback registries never loads it.
    """

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self._transports: dict[tuple[bool, str | None], httpx.AsyncHTTPTransport] = {}

    def route(self, url: httpx.URL) -> httpx.URL | None:
        return self.settings.proxy_for(url)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self.route(request.url)
        tls = request.url.scheme == "https" or (proxy is not None and proxy.scheme == "https")
        key = (tls, str(proxy) if proxy is not None else None)
        transport = self._transports.get(key)
        if transport is None:
            try:
                # verify=True honours SSL_CERT_FILE and SSL_CERT_DIR
                transport = httpx.AsyncHTTPTransport(verify=tls, proxy=proxy)
            except ImportError:
                assert proxy is not None
                raise InvalidInput(
                    f"the proxy {describe(proxy)} is a {proxy.scheme} proxy, which needs the"
                    " socksio package (pip install 'httpx[socks]')"
                ) from None
            self._transports[key] = transport
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._transports.values():
            await transport.aclose()
