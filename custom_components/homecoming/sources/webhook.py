"""Webhook source: positions pushed by the car, a tracker box or a phone app.

This is the path from the internet into the home, so every request is checked before it
can touch anything, in this order:

1. size: a body over 64 KiB is refused (413) before it is read in full, let alone parsed;
2. authentication: when the car has a shared secret, the request must carry an
   HMAC-SHA256 of its body (``X-Homecoming-Signature: sha256=<hex>``), or the secret itself
   as a bearer token or a ``token`` query parameter, else 401; comparisons are constant-time;
3. rate: a token bucket per car (a burst of 20 requests, then one a second) answers 429
   without touching state;
4. format: anything that is not a position in a known format, or has a value out of its
   range, is a 400 with a short JSON reason.

A valid but stale, duplicate or out-of-order position is answered 200 and ignored (counted
in the diagnostics), and so is a valid request that carries no position (an OwnTracks
message other than a location, a Traccar event without a position, a position its sender
marks as invalid), counted under its own name. Encrypted OwnTracks messages are opened with
the car's OwnTracks key; while there is no key, or the key does not open them, they are
acknowledged and counted (the app would otherwise send them again and again) and a repair
issue says where to set the key; it goes away once a message opens. Nothing is logged
above debug for a bad request.
"""

from __future__ import annotations

import hashlib
import hmac
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from ..const import CONF_OWNTRACKS_KEY, DOMAIN, LOGGER
from ..coordinator import HomecomingCoordinator
from .push import (
    NOTE_DECRYPT_FAILED,
    NOTE_ENCRYPTED_NO_KEY,
    Push,
    PushError,
    PushRequest,
    parse_push,
)

MAX_BODY_BYTES: Final = 64 * 1024
SIGNATURE_HEADER: Final = "X-Homecoming-Signature"
SIGNATURE_PREFIX: Final = "sha256="
TOKEN_PARAMETER: Final = "token"  # noqa: S105 - the name of a parameter, not a secret
RATE_BURST: Final = 20
"""Requests a car may send at once (a phone flushing its queue one request per point)."""
RATE_PER_SECOND: Final = 1.0
"""Sustained requests per second per car; trackers report every few seconds at most."""
ALLOWED_METHODS: Final = ("GET", "POST", "PUT")
KEY_PROBLEMS: Final = frozenset({NOTE_ENCRYPTED_NO_KEY, NOTE_DECRYPT_FAILED})
"""Notes of encrypted OwnTracks messages the car cannot open."""


def owntracks_issue_id(entry_id: str) -> str:
    """Return the id of a car's repair issue about its OwnTracks key."""
    return f"owntracks_key_{entry_id}"


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


async def _read_body(request: web.Request) -> bytes | None:
    """Read the body, giving up (None) as soon as it is over the limit."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - size):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _reply(status: HTTPStatus, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def is_authorized(secret: str, request: web.Request, body: bytes) -> bool:
    """Return whether a request proves it knows the car's secret (true without one)."""
    if not secret:
        return True
    key = secret.encode()
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if signature.startswith(SIGNATURE_PREFIX):
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature[len(SIGNATURE_PREFIX) :].lower(), expected)
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        return hmac.compare_digest(authorization[7:].strip().encode(), key)
    token = request.query.get(TOKEN_PARAMETER)
    return token is not None and hmac.compare_digest(token.encode(), key)


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
        self.owntracks_key: str = coordinator.config_entry.data.get(
            CONF_OWNTRACKS_KEY, ""
        )
        self.bucket = TokenBucket(RATE_BURST, RATE_PER_SECOND)

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Register the webhook; returns the function that unregisters it."""
        webhook.async_register(
            self.hass,
            DOMAIN,
            self.coordinator.config_entry.title,
            self.webhook_id,
            self._async_handle,
            allowed_methods=ALLOWED_METHODS,
        )

        @callback
        def _unregister() -> None:
            webhook.async_unregister(self.hass, self.webhook_id)
            # A new key (the options reload the car) or a removed car: ask again
            # only if the next encrypted message still cannot be opened.
            ir.async_delete_issue(
                self.hass,
                DOMAIN,
                owntracks_issue_id(self.coordinator.config_entry.entry_id),
            )

        return _unregister

    @callback
    def _async_note(self, push: Push) -> None:
        """Count a push that moved nothing; raise or clear the OwnTracks key issue."""
        entry = self.coordinator.config_entry
        if push.note is not None:
            self.coordinator.stats[push.note] += 1
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
        """Answer one push."""
        stats = self.coordinator.stats
        if (request.content_length or 0) > MAX_BODY_BYTES:
            stats["http_413"] += 1
            return _reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        body = await _read_body(request)
        if body is None:
            stats["http_413"] += 1
            return _reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        if not is_authorized(self.secret, request, body):
            stats["http_401"] += 1
            return _reply(
                HTTPStatus.UNAUTHORIZED, "missing or wrong signature or token"
            )
        if not self.bucket.allow(hass.loop.time()):
            stats["http_429"] += 1
            return _reply(HTTPStatus.TOO_MANY_REQUESTS, "too many requests")
        push_request = PushRequest(
            method=request.method,
            query={
                key: value
                for key, value in request.query.items()
                if key != TOKEN_PARAMETER
            },
            content_type=request.content_type,
            body=body,
        )
        try:
            push = parse_push(
                push_request, now=dt_util.utcnow(), owntracks_key=self.owntracks_key
            )
        except PushError as err:
            stats["http_400"] += 1
            LOGGER.debug(
                "%s: refused a push: %s", self.coordinator.config_entry.title, err
            )
            return _reply(HTTPStatus.BAD_REQUEST, str(err))
        if push.note is not None or push.decrypted:
            self._async_note(push)
        results = self.coordinator.async_add_fixes(push.fixes)
        if push.reply is not None:
            return web.json_response(push.reply)
        answer: dict[str, Any] = {
            "accepted": sum(result.accepted for result in results),
            "ignored": sum(not result.accepted for result in results),
        }
        return web.json_response(answer)
