"""Base URLs a worker may connect to.

Base URLs are checked before the service's workers are told to connect to them, so a
submission cannot point a worker at the host's own network (SSRF: cloud metadata at
169.254.169.254, a database on localhost, the office LAN).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

MAX_URL_CHARS = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 ranges that carry an IPv4 address a gateway may forward to: an allowed IPv6
# address must not smuggle a forbidden IPv4 one (NAT64 64:ff9b::7f00:1 is 127.0.0.1).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class UnsafeURL(ValueError):
    pass


def check_base_url(url: str, allow_private: bool = False) -> str:
    """The URL normalised, if a worker may connect to it; UnsafeURL otherwise.

    Every address the host resolves to must be public: one private address among public
    ones is enough for a connection to land inside. Numeric spellings (2130706433,
    0x7f.1) are left to getaddrinfo, which reads them as the C library does when the
    worker connects, so the check and the connection agree on the address.

    The answer holds at the time of the check: a host whose DNS changes afterwards
    (rebinding) has to be checked again right before connecting.
    """
    if len(url) > MAX_URL_CHARS:
        raise UnsafeURL(f"URL longer than {MAX_URL_CHARS} characters")
    # urlsplit silently drops tabs and newlines, and browsers read "\" as "/": refuse
    # anything where parsers could disagree on what the host is.
    if any(c.isspace() or not c.isprintable() or c == "\\" for c in url):
        raise UnsafeURL("URL contains whitespace, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("only http and https URLs are allowed")
    if "@" in parts.netloc:
        raise UnsafeURL("credentials in the URL are not allowed (send the API key separately)")
    host = parts.hostname
    if not host:
        raise UnsafeURL("the URL has no host")
    if not allow_private:
        _check_addresses(host, port or (443 if scheme == "https" else 80))
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    # The fragment is never sent to a server; dropping it keeps stored URLs canonical.
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def _check_addresses(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise UnsafeURL(f"cannot resolve host {host!r}") from None
    if not infos:
        raise UnsafeURL(f"cannot resolve host {host!r}")
    for *_, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone ("fe80::1%eth0")
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise UnsafeURL(f"host {host!r} resolved to an unreadable address") from None
        if not _public(address):
            raise UnsafeURL(f"host {host!r} resolves to {address}, which is not a public address")


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not _public(embedded):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
