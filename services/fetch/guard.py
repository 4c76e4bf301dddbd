"""HTTP(S) sessions that apply the :class:`~services.fetch.policy.FetchPolicy` to every request.

How the policy is enforced, below any caller (our code or pyvo's):

- connections are made by :class:`_GuardedConnection`: it resolves the host through the
  policy (which checks every address) and connects to a checked address itself, so a
  redirect to another host, a second DNS answer or a pooled connection cannot go elsewhere;
- each request gets a :class:`Budget`: a deadline and a byte cap. The budget watches the
  request's sockets and shuts them down when the deadline passes (a server that trickles a
  byte a minute is cut off on time, in headers, chunked bodies or TLS alike), and the
  response counts the bytes it hands out (after decompression) against the cap;
- the environment is not trusted (no proxies or ``.netrc`` from environment variables),
  redirects are limited, and only ``http``/``https`` adapters exist.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.response import HTTPResponse

from services.fetch.options import FetchError
from services.fetch.policy import FetchPolicy, Refused, check_url

logger = logging.getLogger(__name__)

USER_AGENT = "vocloud-ingest/0.1 (+https://github.com/vocloud)"
_local = threading.local()


class TooLarge(FetchError):
    """A response larger than its byte cap (never transient: asking again gives as much)."""


class Budget:
    """The deadline and byte cap of one request; shuts its sockets down when time is up."""

    def __init__(self, seconds: float, max_bytes: int) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.received = 0
        self.expired = False
        self._deadline = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it has passed)."""
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def count(self, n_bytes: int) -> None:
        self.received += n_bytes
        if self.received > self.max_bytes:
            raise TooLarge(f"larger than {_mb(self.max_bytes)} MB (download stopped)")

    def done(self) -> None:
        """The request is over: stop the watch (its sockets may serve the next request)."""
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def timeout_error(self) -> FetchError:
        return FetchError(f"took longer than {self.seconds:g} s (stopped)")


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1024**2:.3g}"


def current_budget() -> Budget | None:
    return getattr(_local, "budget", None)


class _GuardedConnection(HTTPConnection):
    """Connects only to addresses the policy allows, under the current request's budget."""

    policy: FetchPolicy = FetchPolicy()

    def _new_conn(self) -> socket.socket:
        budget = current_budget()
        addresses = self.policy.addresses(self._dns_host, self.port)  # raises Refused
        timeout = self.timeout
        if budget is not None and isinstance(timeout, int | float):
            timeout = max(0.001, min(timeout, budget.remaining()))
        error: OSError | None = None
        for family, sockaddr in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            if budget is not None:
                budget.watch(sock)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except TimeoutError as exc:
                sock.close()
                error = exc
                if budget is not None and budget.expired:
                    break
            except OSError as exc:
                sock.close()
                error = exc
        if isinstance(error, TimeoutError):
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.")
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")

    def connect(self) -> None:
        super().connect()
        budget = current_budget()
        if budget is not None:  # for TLS, self.sock is now the wrapped socket
            budget.watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        budget = current_budget()
        if budget is not None and self.sock is not None:  # a pooled connection, reused
            budget.watch(self.sock)
        super().request(*args, **kwargs)


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _CappedResponse(HTTPResponse):
    """Counts the (decoded) bytes it hands out against its request's budget.

    Only the request's final response (not a redirect hop on the way) ends the budget, when
    its body has been read or it is closed.
    """

    _budget: Budget | None = None
    _final: bool = False

    def _decode(self, data: bytes, *args: Any, **kwargs: Any) -> bytes:
        decoded = super()._decode(data, *args, **kwargs)
        if self._budget is not None and decoded:
            self._budget.count(len(decoded))
        return decoded

    def release_conn(self) -> None:
        if self._final and self._budget is not None:
            self._budget.done()
        super().release_conn()

    def close(self) -> None:
        if self._final and self._budget is not None:
            self._budget.done()
        super().close()


class _GuardedAdapter(HTTPAdapter):
    """Pools whose connections go through the policy; responses that count their bytes."""

    def __init__(self, policy: FetchPolicy, **kwargs: Any) -> None:
        self._policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        policy = {"policy": self._policy}
        http = type("GuardedConnection", (_GuardedConnection,), policy)
        https = type("GuardedHTTPSConnection", (_GuardedHTTPSConnection,), policy)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        raise Refused("vocloud does not fetch through proxies")

    def build_response(self, req: Any, resp: Any) -> requests.Response:
        if isinstance(resp, HTTPResponse) and not isinstance(resp, _CappedResponse):
            resp.__class__ = _CappedResponse  # same object, counting from now on
        if isinstance(resp, _CappedResponse):
            resp._budget = current_budget()
        return super().build_response(req, resp)


class GuardedSession(requests.Session):
    """A ``requests.Session`` under a :class:`FetchPolicy`, with default timeouts.

    Every request gets its own budget: ``policy.deadline_s`` (or ``deadline_s=``) and a byte
    cap of ``policy.max_document_bytes`` (or ``max_bytes=``). A request without
    ``stream=True`` has its body read here, under the cap; a streamed one keeps its budget
    until its body is read or the response is closed. pyvo can be handed this session: all
    its requests then follow the policy.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        pool_size: int = 10,
    ) -> None:
        super().__init__()
        self.policy = policy
        self.trust_env = False  # no proxies, .netrc or CA overrides from the environment
        self.max_redirects = policy.max_redirects
        self.default_timeout = (connect_timeout, read_timeout)
        self.headers["User-Agent"] = USER_AGENT
        adapter = _GuardedAdapter(policy, pool_maxsize=pool_size)
        self.adapters.clear()  # no other scheme than these two
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(  # type: ignore[override]
        self,
        method: str | bytes,
        url: str | bytes,
        *args: Any,
        max_bytes: int | None = None,
        deadline_s: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        check_url(str(url), ("http", "https"))
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        stream = bool(kwargs.pop("stream", False))
        budget = Budget(
            deadline_s or self.policy.deadline_s,
            self.policy.max_document_bytes if max_bytes is None else max_bytes,
        )
        previous, _local.budget = current_budget(), budget
        try:
            response = super().request(method, url, *args, stream=True, **kwargs)
            if isinstance(response.raw, _CappedResponse):
                response.raw._final = True
            announced = response.headers.get("Content-Length", "")
            if announced.isdigit() and int(announced) > budget.max_bytes:
                response.close()
                raise TooLarge(
                    f"larger than {_mb(budget.max_bytes)} MB ({int(announced)} bytes announced)"
                )
            if not stream:
                response.content  # noqa: B018 - read now, under the cap and the deadline
                budget.done()
            if budget.expired:  # cut off: what arrived may look complete, but is not
                response.close()
                raise budget.timeout_error()
        except FetchError:
            budget.done()
            raise
        except requests.RequestException as exc:
            budget.done()
            raise describe(exc, budget) from None
        except BaseException:
            budget.done()
            raise
        finally:
            _local.budget = previous
        return response


def iter_body(response: requests.Response, chunk_size: int = 1 << 16):
    """The body of a streamed response in blocks; failures become :class:`FetchError`.

    The response's budget applies: a body over its cap raises :class:`TooLarge`, one that
    outlives its deadline a ``FetchError`` saying so.
    """
    budget = getattr(response.raw, "_budget", None)
    try:
        yield from response.iter_content(chunk_size)
        if budget is not None and budget.expired:  # cut off at a point that looked like the end
            raise budget.timeout_error()
    except FetchError:
        raise
    except (requests.RequestException, OSError) as exc:
        raise describe(exc, budget) from None
    finally:
        response.close()


def describe(exc: BaseException, budget: Budget | None = None) -> FetchError:
    """One short sentence for a failed request, never the remote body or a traceback."""
    if isinstance(exc, FetchError):
        return exc
    if budget is not None and budget.expired:
        return budget.timeout_error()
    if isinstance(exc, requests.TooManyRedirects):
        return FetchError("too many redirects")
    if isinstance(exc, requests.exceptions.InvalidSchema | requests.exceptions.InvalidURL):
        return FetchError("redirected to an unsupported or malformed URL")
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchError("the server's TLS certificate could not be verified", transient=True)
    if isinstance(exc, requests.Timeout):
        return FetchError("timed out waiting for the server", transient=True)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return FetchError("the connection broke during the transfer", transient=True)
    if isinstance(exc, requests.ConnectionError):
        text = str(exc).lower()
        if "timed out" in text:
            return FetchError("timed out connecting to the server", transient=True)
        if "refused" in text:
            return FetchError("the server refused the connection", transient=True)
        return FetchError("the connection failed", transient=True)
    return FetchError("the request failed", transient=True)
