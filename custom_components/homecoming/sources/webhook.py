"""Webhook source: positions pushed by the car, a tracker box or a phone app.

This is the path from the internet into the home, so every request is checked before it
can touch anything, in this order:

1. size: a body over 64 KiB is refused (413) before it is read in full, let alone parsed;
2. authentication, when the car has a shared secret (else 401, comparisons constant-time):
   a signed request carries ``X-Homecoming-Timestamp: <epoch seconds>`` within ±5 minutes
   of Home Assistant's clock and ``X-Homecoming-Signature: sha256=<hex>``, the HMAC-SHA256
   of ``"<timestamp>.<body>"`` with the secret; a signature already received in that
   window is a replay and refused. A signed request takes its position from the signed
   body only: position fields in its query string are refused (400). Apps that cannot
   sign send the secret itself as a bearer token or a ``token`` query parameter, which
   protects only as well as HTTPS does;
3. rate: a token bucket per sender address (a burst of 20, then one a second) and one per
   car (40, then two a second), so that one sender flooding the URL cannot use up the
   allowance of the car's real device; both answer 429 without touching state, and a
   request refused before this point (size, authentication) spends nothing;
4. format: anything that is not a position in a known format, or has a value out of its
   range, is a 400 with a short JSON reason.

Every failure to read a request (a body that does not decode, a header that is not ASCII,
a stream that breaks) is mapped to a 4xx in one place, :meth:`WebhookSource._async_handle`:
a request never gets a traceback, and nothing is logged above debug for a bad request (nor
is the webhook id, which is the URL's secret part, ever logged). Every refusal is counted
in the car's diagnostics: ``http_<status>`` and, where it tells more, a reason.

A valid but too old, duplicate or out-of-order position is answered 200 and ignored (counted
in the diagnostics), and so is a valid request that carries no position (an OwnTracks
message other than a location, a Traccar event without a position, a position its sender
marks as invalid), counted under its own name. Encrypted OwnTracks messages are opened with
the car's OwnTracks key; while there is no key, or the key does not open them, they are
acknowledged and counted (the app would otherwise send them again and again) and a repair
issue says where to set the key; it goes away once a message opens.

A car without a secret whose URL is a Home Assistant Cloud cloudhook (reachable from
anywhere) gets a repair issue suggesting one.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
import hashlib
import hmac
from http import HTTPStatus
from ipaddress import IPv6Address, IPv6Network, ip_address
import json
import logging
from time import monotonic
from typing import Any, Final

from aiohttp import hdrs, web
from aiohttp.streams import StreamReader
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import CONF_CLOUDHOOK, CONF_OWNTRACKS_KEY, DOMAIN, LOGGER
from ..coordinator import HomecomingCoordinator
from .push import (
    NOTE_DECRYPT_FAILED,
    NOTE_ENCRYPTED_NO_KEY,
    QUERY_FIELDS,
    Push,
    PushError,
    PushRequest,
    parse_push,
)

MAX_BODY_BYTES: Final = 64 * 1024
STATUS_COUNTERS: Final = {status: f"http_{status.value}" for status in HTTPStatus}
"""The diagnostics counter of each answer's status."""
JSON_TYPE: Final = "application/json"
MAX_CACHED_REASON: Final = 96
"""Longest refusal reason whose JSON is kept (the fixed ones; not every parse error)."""
MAX_DRAIN_BYTES: Final = 1024 * 1024
"""Most of a refused body read (and dropped) to keep the connection open."""
DRAIN_SECONDS: Final = 2.0
"""Longest time spent reading (and dropping) the rest of a refused body."""
SIGNATURE_HEADER: Final = "X-Homecoming-Signature"
TIMESTAMP_HEADER: Final = "X-Homecoming-Timestamp"
SIGNATURE_PREFIX: Final = "sha256="
SIGNATURE_HEX_DIGITS: Final = 2 * hashlib.sha256().digest_size
SIGNATURE_WINDOW_S: Final = 300
REPLAY_SAVE_DELAY_S: Final = 10
"""Accepted signatures are written this long after the last one (and on stop)."""
DIGEST_BYTES: Final = 32
"""Length of a SHA-256 digest."""
"""How far a signed request's timestamp may be from Home Assistant's clock, either way."""
MAX_TIMESTAMP_DIGITS: Final = 12
"""Digits of an epoch-seconds timestamp header read at most (more is refused unread)."""
TOKEN_PARAMETER: Final = "token"  # noqa: S105 - the name of a parameter, not a secret
BEARER: Final = "bearer "

RATE_BURST: Final = 20
"""Requests one sender address may send at once (a phone flushing its queue)."""
RATE_PER_SECOND: Final = 1.0
"""Sustained requests per second per sender; trackers report every few seconds at most."""
CAR_RATE_BURST: Final = 40
"""Requests a car accepts at once from all its senders together."""
CAR_RATE_PER_SECOND: Final = 2.0
"""Sustained requests per second per car: twice one sender's, so that one flooding
address leaves the car's real device its whole allowance."""
MAX_SENDERS: Final = 256
"""Sender addresses whose allowance a car remembers (least recently seen forgotten first;
a forgotten sender starts again with a full allowance)."""
IPV6_PREFIX: Final = 64
"""An IPv6 sender is its /64: one host usually holds a whole /64."""
CLOUD_SENDER: Final = "cloud"
"""The sender of cloudhook requests: Home Assistant Cloud relays them without the address."""
REPLAY_MEMORY: Final = CAR_RATE_BURST + int(
    CAR_RATE_PER_SECOND * 2 * SIGNATURE_WINDOW_S
)
"""Signatures a car remembers (1,240): as many as its rate limit lets through while a
signature can be valid (a timestamp up to 5 minutes ahead stays valid for 10 minutes), so
within the rate limits no signature is forgotten while it could be replayed."""

ALLOWED_METHODS: Final = ("GET", "POST", "PUT")
KEY_PROBLEMS: Final = frozenset({NOTE_ENCRYPTED_NO_KEY, NOTE_DECRYPT_FAILED})
"""Notes of encrypted OwnTracks messages the car cannot open."""
ISSUE_CLOUDHOOK: Final = "cloudhook_without_secret"
SECURITY_DOCS: Final = (
    "https://github.com/homecoming-dev/homecoming#pushing-positions-webhook"
)


def owntracks_issue_id(entry_id: str) -> str:
    """Return the id of a car's repair issue about its OwnTracks key."""
    return f"owntracks_key_{entry_id}"


def no_secret_issue_id(entry_id: str) -> str:
    """Return the id of a car's repair issue about its cloudhook without a secret."""
    return f"{ISSUE_CLOUDHOOK}_{entry_id}"


class Refusal(Exception):
    """A request answered with a 4xx: the status, a short reason, what to count."""

    def __init__(
        self, status: HTTPStatus, reason: str, counter: str | None = None
    ) -> None:
        """Say how to answer."""
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.counter = counter


class TokenBucket:
    """A rate limiter: ``burst`` requests at once, refilled at ``rate`` per second."""

    __slots__ = ("_burst", "_rate", "_tokens", "_updated")

    def __init__(self, burst: int, rate: float) -> None:
        """Start full."""
        self._burst = float(burst)
        self._rate = rate
        self._tokens = float(burst)
        self._updated: float | None = None

    def allow(self, now: float) -> bool:
        """Take a token at monotonic time ``now``; False when none is left."""
        if self._updated is not None:
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._updated = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class SenderLimits:
    """A token bucket per sender, for at most ``capacity`` senders (least recent go)."""

    __slots__ = ("_buckets", "_burst", "_capacity", "_rate")

    def __init__(self, burst: int, rate: float, capacity: int) -> None:
        """Start with no sender."""
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._burst = burst
        self._rate = rate
        self._capacity = capacity

    def __len__(self) -> int:
        """Return how many senders are remembered."""
        return len(self._buckets)

    def allow(self, sender: str, now: float) -> bool:
        """Take a token of ``sender``'s bucket; False when it has none left."""
        buckets = self._buckets
        bucket = buckets.get(sender)
        if bucket is None:
            if len(buckets) >= self._capacity:
                buckets.popitem(last=False)
            bucket = buckets[sender] = TokenBucket(self._burst, self._rate)
        else:
            buckets.move_to_end(sender)
        return bucket.allow(now)


class ReplayMemory:
    """The signatures a car accepted, each until its timestamp leaves the window.

    Bounded: beyond ``capacity`` the oldest is forgotten (see :data:`REPLAY_MEMORY`).
    Only signatures that verified are remembered, so a flood without the secret adds
    nothing.
    """

    __slots__ = ("_capacity", "_seen")

    def __init__(self, capacity: int) -> None:
        """Start with nothing seen."""
        self._seen: dict[bytes, float] = {}
        self._capacity = capacity

    def __len__(self) -> int:
        """Return how many signatures are remembered."""
        return len(self._seen)

    def __contains__(self, digest: object) -> bool:
        """Tell whether a signature was already accepted."""
        return digest in self._seen

    def as_list(self, now: float) -> list[list[str | float]]:
        """Return the signatures still in their window, as ``[hex, until]`` pairs."""
        return [
            [digest.hex(), until]
            for digest, until in self._seen.items()
            if until >= now
        ]

    def load(self, saved: object, now: float) -> None:
        """Take back what :meth:`as_list` wrote; anything malformed is skipped."""
        if not isinstance(saved, list):
            return
        for item in saved[-self._capacity :]:
            try:
                text, until = item
                digest = bytes.fromhex(text)
                moment = float(until)
            except TypeError, ValueError:
                continue
            if (
                len(digest) == DIGEST_BYTES
                and now <= moment < now + 2 * SIGNATURE_WINDOW_S
            ):
                self._seen[digest] = moment

    def remember(self, digest: bytes, until: float, now: float) -> None:
        """Remember a signature until ``until``; forget what expired or overflows."""
        seen = self._seen
        while seen:
            oldest = next(iter(seen))
            if seen[oldest] >= now and len(seen) < self._capacity:
                break
            del seen[oldest]
        seen[digest] = until


def replay_store(hass: HomeAssistant, entry_id: str) -> Store[Any]:
    """Return the file keeping a car's accepted signatures across restarts."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.replays")


def sender_of(remote: str | None) -> str:
    """Return whose allowance a request spends: its address, an IPv6 /64, or the cloud.

    ``remote`` is the client address Home Assistant's HTTP server saw: the peer, or the
    client named by ``X-Forwarded-For`` when the request comes from a configured trusted
    proxy (``http: use_x_forwarded_for`` and ``trusted_proxies``); None for cloudhooks.
    """
    if remote is None:
        return CLOUD_SENDER
    try:
        address = ip_address(remote)
    except ValueError:
        return remote[:64]
    if isinstance(address, IPv6Address):
        if (mapped := address.ipv4_mapped) is not None:
            return str(mapped)
        return str(IPv6Network((int(address), IPV6_PREFIX), strict=False))
    return str(address)


def _signature_digest(value: str) -> bytes | None:
    """Return the digest of a ``sha256=<64 hex digits>`` header; None if malformed."""
    value = value.strip()
    hexdigits = value[len(SIGNATURE_PREFIX) :]
    if (
        value[: len(SIGNATURE_PREFIX)].lower() != SIGNATURE_PREFIX
        or len(hexdigits) != SIGNATURE_HEX_DIGITS
        or not hexdigits.isascii()
        or not hexdigits.isalnum()
    ):
        return None
    try:
        return bytes.fromhex(hexdigits)
    except ValueError:
        return None


def _text_bytes(text: str) -> bytes:
    """Return text as bytes for a comparison; never fails (lone surrogates escaped)."""
    return text.encode("utf-8", "backslashreplace")


def _content_type(headers: Mapping[str, str]) -> str:
    """Return the media type of a request, lower case, without parameters."""
    value = headers.get(hdrs.CONTENT_TYPE, "")
    return value.partition(";")[0].strip().lower()


async def _read_body(stream: Any) -> bytes:
    """Read the body; :class:`Refusal` (413) as soon as it is over the limit."""
    chunks: list[bytes] = []
    size = 0
    streamed = isinstance(stream, StreamReader)
    while chunk := await stream.read(MAX_BODY_BYTES + 1 - size):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        chunks.append(chunk)
        if streamed and stream.at_eof():
            break  # no need to ask again for the end
    return b"".join(chunks)


@lru_cache(maxsize=64)
def _cached_error_body(reason: str) -> bytes:
    return json.dumps({"error": reason}).encode()


def _error_body(reason: str) -> bytes:
    """Return the JSON of a refusal; the usual few short reasons are kept encoded."""
    if len(reason) > MAX_CACHED_REASON:
        return json.dumps({"error": reason}).encode()
    return _cached_error_body(reason)


def _json(data: Any, status: int = HTTPStatus.OK) -> web.Response:
    """Return a JSON answer."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type=JSON_TYPE
    )


async def _async_drain(stream: StreamReader) -> bool:
    """Read and drop the rest of a refused body, within bounds; True if it ended.

    So that a sender whose body was too large still gets its answer on a connection
    that stays open (as aiohttp would by reading the rest after the answer), but
    within :data:`MAX_DRAIN_BYTES` and :data:`DRAIN_SECONDS`, and never failing.
    """
    if stream.exception() is not None:
        return False
    drained = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while chunk := await stream.read(MAX_BODY_BYTES):
                drained += len(chunk)
                if drained > MAX_DRAIN_BYTES:
                    return False
    except Exception:  # noqa: BLE001 - a body that breaks is just not drained
        return False
    return True


async def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> tuple[str, bool]:
    """Return the URL a car pushes to, and whether it is a Home Assistant Cloud one.

    With an active, connected Home Assistant Cloud subscription the URL is a cloudhook
    (reachable from anywhere without opening a port), as core GPSLogger does; otherwise it
    is the instance's own URL.
    """
    if "cloud" in hass.config.components:
        from homeassistant.components import cloud

        if cloud.async_active_subscription(hass) and cloud.async_is_connected(hass):
            return await cloud.async_get_or_create_cloudhook(hass, webhook_id), True
    return webhook.async_generate_url(hass, webhook_id), False


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete a car's cloudhook, if Home Assistant Cloud is there to delete it."""
    if "cloud" in hass.config.components:
        from homeassistant.components import cloud

        await cloud.async_delete_cloudhook(hass, webhook_id)


class WebhookSource:
    """Receives one car's pushes on its webhook."""

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: HomecomingCoordinator,
        webhook_id: str,
        secret: str,
    ) -> None:
        """Prepare the car's webhook."""
        self.hass = hass
        self.coordinator = coordinator
        self.webhook_id = webhook_id
        self.secret = secret
        self.key = _text_bytes(secret)
        self.owntracks_key: str = coordinator.config_entry.data.get(
            CONF_OWNTRACKS_KEY, ""
        )
        self.bucket = TokenBucket(CAR_RATE_BURST, CAR_RATE_PER_SECOND)
        self.senders = SenderLimits(RATE_BURST, RATE_PER_SECOND, MAX_SENDERS)
        self.replays = ReplayMemory(REPLAY_MEMORY)
        self._replay_store = replay_store(hass, coordinator.config_entry.entry_id)
        self._title = coordinator.config_entry.title

    async def async_load(self) -> None:
        """Read back the signatures accepted before the car was last unloaded.

        A signed request accepted once stays refused across a reload or a restart for
        as long as its timestamp is in the window.
        """
        try:
            saved = await self._replay_store.async_load()
        except (HomeAssistantError, NotImplementedError, ValueError) as err:
            LOGGER.debug("%s: replay memory not read (%s)", self._title, err)
            return
        self.replays.load(saved, dt_util.utcnow().timestamp())

    async def async_save(self) -> None:
        """Write the signatures still in their window (when the car is unloaded)."""
        await self._replay_store.async_save(self._replay_list())

    def _replay_list(self) -> list[list[str | float]]:
        return self.replays.as_list(dt_util.utcnow().timestamp())

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Register the webhook; returns the function that unregisters it."""
        entry = self.coordinator.config_entry
        webhook.async_register(
            self.hass,
            DOMAIN,
            entry.title,
            self.webhook_id,
            self._async_handle,
            allowed_methods=ALLOWED_METHODS,
        )
        self._async_check_secret()

        @callback
        def _unregister() -> None:
            webhook.async_unregister(self.hass, self.webhook_id)
            # A new key (the options reload the car) or a removed car: ask again
            # only if the next encrypted message still cannot be opened.
            ir.async_delete_issue(self.hass, DOMAIN, owntracks_issue_id(entry.entry_id))
            _ = self.hass.async_create_task(
                self._async_forget_no_secret_issue(),
                f"{DOMAIN} forget the secret issue of {entry.entry_id}",
                eager_start=True,
            )

        return _unregister

    @callback
    def _async_check_secret(self) -> None:
        """Suggest a secret for a cloudhook without one; otherwise drop the suggestion.

        Created again at each start (not persistent), so that it follows the car's data;
        created, not replaced, so that an ignored issue stays ignored across reloads.
        """
        entry = self.coordinator.config_entry
        issue_id = no_secret_issue_id(entry.entry_id)
        if not entry.data.get(CONF_CLOUDHOOK) or self.secret:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            learn_more_url=SECURITY_DOCS,
            severity=ir.IssueSeverity.WARNING,
            translation_key="cloudhook_without_secret",
            translation_placeholders={"name": entry.title},
        )

    async def _async_forget_no_secret_issue(self) -> None:
        """Once an unload is over, drop the secret issue unless the car is loaded again.

        A reload sets the car up again (which decides afresh, keeping an ignored issue
        ignored); a removed or disabled car has no URL to warn about.
        """
        entry = self.coordinator.config_entry
        async with entry.setup_lock:  # held by the unload, reload or removal
            pass
        if entry.state is not ConfigEntryState.LOADED:
            ir.async_delete_issue(self.hass, DOMAIN, no_secret_issue_id(entry.entry_id))

    @callback
    def _async_note(self, push: Push) -> None:
        """Count a push that moved nothing; raise or clear the OwnTracks key issue."""
        entry = self.coordinator.config_entry
        if push.note is not None:
            self.coordinator.stats.add(push.note)
        if push.note in KEY_PROBLEMS:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                owntracks_issue_id(entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=(
                    "owntracks_key_missing"
                    if push.note == NOTE_ENCRYPTED_NO_KEY
                    else "owntracks_key_wrong"
                ),
                translation_placeholders={"name": entry.title},
            )
        elif push.decrypted:
            ir.async_delete_issue(self.hass, DOMAIN, owntracks_issue_id(entry.entry_id))

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer one push: the one place where every refusal becomes a 4xx.

        Reading a request from the internet can fail in more ways than can be listed
        (aiohttp's decompression of a body that lies about its ``Content-Encoding``, a
        broken chunked stream, a header that is not text, a parser's limit): every
        failure before the push is applied is the request's, answered 400 and logged at
        debug. Uncaught, it would become Home Assistant's ``200`` with an empty body and
        an error with a traceback and the webhook id in the log.
        """
        # Once: a cloudhook's request makes a new stream each time it is asked.
        stream = request.content
        try:
            push = await self._async_read(request, stream)
        except Refusal as refusal:
            return await self._async_answer_refusal(refusal, stream)
        except Exception as err:  # noqa: BLE001 - see the docstring
            if LOGGER.isEnabledFor(logging.DEBUG):
                LOGGER.debug(
                    "%s: could not read a push: %s: %s",
                    self.coordinator.config_entry.title,
                    type(err).__name__,
                    err,
                )
            unreadable = Refusal(
                HTTPStatus.BAD_REQUEST, "request cannot be read", "unreadable"
            )
            return await self._async_answer_refusal(unreadable, stream)
        try:
            return self._apply(push)
        except Exception:  # noqa: BLE001 - logged with its traceback
            # A fault of Homecoming's, not the request's: logged as an error, but
            # without the webhook id Home Assistant would log with it.
            LOGGER.exception(
                "%s: could not apply a push", self.coordinator.config_entry.title
            )
            self.coordinator.stats.add("http_500")
            return _json(
                {"error": "internal error"}, status=HTTPStatus.INTERNAL_SERVER_ERROR
            )

    async def _async_answer_refusal(
        self, refusal: Refusal, stream: Any
    ) -> web.Response:
        """Count a refusal and answer it, JSON with the short reason."""
        stats = self.coordinator.stats
        stats.add(STATUS_COUNTERS[refusal.status])
        if refusal.counter is not None:
            stats.add(refusal.counter)
        if LOGGER.isEnabledFor(logging.DEBUG):
            LOGGER.debug(
                "%s: refused a push (%s): %s",
                self.coordinator.config_entry.title,
                refusal.status.value,
                refusal.reason,
            )
        response = web.Response(
            body=_error_body(refusal.reason),
            status=refusal.status,
            content_type=JSON_TYPE,
        )
        if (
            isinstance(stream, StreamReader)
            and not stream.is_eof()
            and not await _async_drain(stream)
        ):
            # Answered before the end of a body that cannot be read to its end (it
            # does not decode, or it goes on): end it here and close the connection
            # after the answer. Otherwise aiohttp reads (and decompresses) the rest
            # after the answer, and logs an error when that fails.
            stream.feed_eof()
            response.force_close()
        return response

    async def _async_read(self, request: web.Request, stream: Any) -> Push:
        """Check a request in order (size, authentication, rate) and read its push."""
        length = request.headers.get(hdrs.CONTENT_LENGTH)
        if length is not None and int(length) > MAX_BODY_BYTES:
            raise Refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        body = await _read_body(stream)
        now = dt_util.utcnow()
        signature = self._authenticate(request, body, now.timestamp())
        moment = monotonic()
        if not self.senders.allow(sender_of(request.remote), moment):
            raise Refusal(
                HTTPStatus.TOO_MANY_REQUESTS,
                "too many requests from this address",
                "rate_limited_sender",
            )
        if not self.bucket.allow(moment):
            raise Refusal(
                HTTPStatus.TOO_MANY_REQUESTS,
                "too many requests for this car",
                "rate_limited_car",
            )
        if signature is not None:
            if fields := sorted(QUERY_FIELDS.intersection(request.query)):
                # Refused before it is remembered: a copy with a query added cannot
                # spend the signature of the real request.
                raise Refusal(
                    HTTPStatus.BAD_REQUEST,
                    "a signed request carries its position in the body, not the"
                    f" query ({', '.join(fields)})",
                    "signed_query",
                )
            digest, until = signature
            self.replays.remember(digest, until, now.timestamp())
            # Written within seconds, and at Home Assistant's final write on stop.
            self._replay_store.async_delay_save(self._replay_list, REPLAY_SAVE_DELAY_S)
            positions: dict[str, str] = {}
        else:
            positions = {
                key: value
                for key, value in request.query.items()
                if key != TOKEN_PARAMETER
            }
        try:
            return parse_push(
                PushRequest(
                    method=request.method,
                    query=positions,
                    content_type=_content_type(request.headers),
                    body=body,
                ),
                now=now,
                owntracks_key=self.owntracks_key,
            )
        except PushError as err:
            raise Refusal(HTTPStatus.BAD_REQUEST, str(err)) from err

    def _authenticate(
        self, request: web.Request, body: bytes, now: float
    ) -> tuple[bytes, float] | None:
        """Check that a request proves it knows the secret (always true without one).

        Returns a signed request's signature and until when it must be remembered;
        :class:`Refusal` (401) when the proof is missing or wrong.
        """
        if not self.secret:
            return None
        headers = request.headers
        if (signature := headers.get(SIGNATURE_HEADER)) is not None:
            return self._verify_signature(
                signature, headers.get(TIMESTAMP_HEADER), body, now
            )
        authorization: str = headers.get(hdrs.AUTHORIZATION, "")
        if authorization[: len(BEARER)].lower() == BEARER:
            if hmac.compare_digest(
                _text_bytes(authorization[len(BEARER) :].strip()), self.key
            ):
                return None
            raise Refusal(HTTPStatus.UNAUTHORIZED, "wrong bearer token", "bad_token")
        token = request.query.get(TOKEN_PARAMETER)
        if token is None:
            raise Refusal(
                HTTPStatus.UNAUTHORIZED,
                "no signature, bearer token or token parameter",
                "unauthenticated",
            )
        if hmac.compare_digest(_text_bytes(token), self.key):
            return None
        raise Refusal(HTTPStatus.UNAUTHORIZED, "wrong token", "bad_token")

    def _verify_signature(
        self, signature: str, timestamp: str | None, body: bytes, now: float
    ) -> tuple[bytes, float]:
        """Check a signed request: timestamp in the window, signature right and new."""
        stamp = (timestamp or "").strip()
        if not (
            stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_TIMESTAMP_DIGITS
        ):
            raise Refusal(
                HTTPStatus.UNAUTHORIZED,
                f"a signed request needs {TIMESTAMP_HEADER}: epoch seconds",
                "bad_timestamp",
            )
        if abs(int(stamp) - now) > SIGNATURE_WINDOW_S:
            raise Refusal(
                HTTPStatus.UNAUTHORIZED,
                f"{TIMESTAMP_HEADER} is more than 5 minutes from Home Assistant's clock",
                "bad_timestamp",
            )
        digest = _signature_digest(signature)
        if digest is None:
            raise Refusal(
                HTTPStatus.UNAUTHORIZED,
                f"{SIGNATURE_HEADER} must be sha256=<64 hex digits>",
                "bad_signature",
            )
        expected = hmac.digest(self.key, stamp.encode("ascii") + b"." + body, "sha256")
        if not hmac.compare_digest(digest, expected):
            raise Refusal(HTTPStatus.UNAUTHORIZED, "wrong signature", "bad_signature")
        if digest in self.replays:
            raise Refusal(
                HTTPStatus.UNAUTHORIZED, "request already received (replay)", "replayed"
            )
        return digest, int(stamp) + SIGNATURE_WINDOW_S

    @callback
    def _apply(self, push: Push) -> web.Response:
        """Hand a push's fixes to the car and answer what was used."""
        if push.note is not None or push.decrypted:
            self._async_note(push)
        results = self.coordinator.async_add_fixes(push.fixes)
        if push.reply is not None:
            return _json(push.reply)
        answer: dict[str, Any] = {
            "accepted": sum(result.accepted for result in results),
            "ignored": sum(not result.accepted for result in results),
        }
        return _json(answer)
