"""Where the platform may fetch from, and how much: the one outbound-fetch policy.

Every fetch the platform makes for a user (ingest sources, VOTable access references,
SSAP, DataLink and SODA services, the portal's SSAP preview) goes through this policy,
applied by the sessions of :mod:`services.fetch.guard` and the FTP client of
:mod:`services.fetch.ftp`:

- only ``http``, ``https`` and ``ftp`` URLs;
- the host name is resolved once, **every** address it resolves to is checked, and the
  connection goes to a checked address (a second lookup cannot rebind it elsewhere);
- loopback, private, shared (CGNAT), link-local, multicast, reserved and unspecified
  addresses are refused unless an allow-list rule admits them (``VOCLOUD_FETCH_ALLOW``);
  IPv4 addresses inside IPv6 (mapped, NAT64, 6to4) are judged as the IPv4 address;
- every redirect hop opens its connection through the same check;
- every response body is counted against a byte cap and every request against an overall
  deadline (the deadline closes the request's sockets, however slowly a server trickles).

The policy is plain data: the platform builds it from its settings and hands it to jobs.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from services.fetch.options import FetchError

SCHEMES = ("http", "https", "ftp")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (family, type, proto, canonname, sockaddr), as socket.getaddrinfo answers
Resolver = Callable[..., list[tuple]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIXTO4 = ipaddress.ip_network("2002::/16")


class Refused(FetchError):
    """A fetch the policy does not allow; the message says why in one sentence."""


@dataclass(frozen=True)
class AllowRule:
    """An internal network (and optionally one port) the operator lets vocloud reach."""

    network: IPNetwork
    port: int | None = None

    def admits(self, address: IPAddress, port: int) -> bool:
        return address in self.network and (self.port is None or self.port == port)


def parse_allow(text: str) -> tuple[AllowRule, ...]:
    """Rules from ``"127.0.0.2, 10.1.0.0/16, 192.168.1.5:8443, [fd00::1]:8080"``.

    Entries are IP addresses or CIDR networks (never host names: a name could be made to
    resolve anywhere), each with an optional ``:port``.

    Raises
    ------
    ValueError
        For an entry that is not an address or network.
    """
    rules = []
    for entry in (item.strip() for item in text.replace(";", ",").split(",")):
        if not entry:
            continue
        network, port = entry, None
        if entry.startswith("["):  # [v6]:port or [v6/prefix]:port
            network, _, rest = entry[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") else None
        elif entry.count(":") == 1:  # v4:port
            network, port_text = entry.split(":")
            port = int(port_text)
        try:
            rules.append(AllowRule(ipaddress.ip_network(network, strict=False), port))
        except ValueError:
            raise ValueError(f"not an IP address or network: {entry!r}") from None
    return tuple(rules)


def why_internal(address: IPAddress) -> str:
    """Why ``address`` is not a public one (``""`` when it is public).

    IPv4 addresses carried inside IPv6 ones are judged as IPv4.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return why_internal(address.ipv4_mapped)
        if address in _NAT64:
            return why_internal(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _SIXTO4 and address.sixtofour is not None:
            return why_internal(address.sixtofour)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"{'an' if name[0] in 'aeiou' else 'a'} {name} address"
    return "" if address.is_global else "not a public address"


@dataclass(frozen=True)
class FetchPolicy:
    """Where fetches may go and how much they may take.

    Parameters
    ----------
    allow : tuple of AllowRule
        Internal networks (and ports) reachable despite the refusal of internal addresses.
    max_document_bytes : int
        Cap on a document read into memory: listings, VOTables, DataLink and SSAP answers.
    deadline_s : float
        Longest time one request may take from connecting to its last byte.
    max_redirects : int
        Redirect hops followed by one request.
    max_listed : int
        Most files a directory listing (HTTP or FTP, all levels) may yield.
    """

    allow: tuple[AllowRule, ...] = ()
    max_document_bytes: int = 64 * 1024**2
    deadline_s: float = 900.0
    max_redirects: int = 5
    max_listed: int = 100_000
    resolver: Resolver = field(default=socket.getaddrinfo, compare=False, repr=False)

    def refusal(self, address: IPAddress, port: int) -> str:
        """Why the policy refuses ``address:port`` (``""`` when it may be reached)."""
        reason = why_internal(address)
        if not reason or any(rule.admits(address, port) for rule in self.allow):
            return ""
        return reason

    def addresses(self, host: str, port: int) -> list[tuple[int, tuple]]:
        """(family, sockaddr) of every address of ``host``, each one checked.

        Raises
        ------
        Refused
            If the name does not resolve, or any of its addresses is refused (a name that
            resolves to a public and an internal address is refused as a whole).
        """
        host = host.strip("[]")
        try:
            found = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            raise Refused(f"the host name {host!r} could not be resolved") from None
        result = []
        for family, _type, _proto, _name, sockaddr in found:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            reason = self.refusal(address, port)
            if reason:
                raise Refused(
                    f"refused to connect to {host}: it is {reason} (vocloud fetches only "
                    "from public addresses)"
                )
            result.append((family, sockaddr))
        if not result:
            raise Refused(f"the host name {host!r} has no address")
        return result


def check_url(url: str, schemes: tuple[str, ...] = SCHEMES) -> None:
    """Refuse a URL whose scheme is not allowed or that has no host.

    Raises
    ------
    Refused
        With one sentence naming the problem.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise Refused("a malformed URL") from None
    if parts.scheme.lower() not in schemes:
        allowed = ", ".join(schemes)
        raise Refused(f"unsupported URL scheme {parts.scheme!r} (only {allowed})")
    if not parts.hostname:
        raise Refused("a URL without a host")
