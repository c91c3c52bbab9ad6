"""The one HQ client: protocol v1 over an injected requests.Session, with a timeout on every
call, TLS verified (against a custom CA bundle for a self-hosted HQ) and a User-Agent naming
the kiosk's version. Every failure becomes a :class:`sync.errors.HqRequestError` subclass."""

from __future__ import annotations

import email.utils
import ipaddress
import platform
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError

import kiosk
from core.profile import SignedProfileV1
from core.protocol import (
    BatchReplyV1,
    CasesV1,
    EnrollReplyV1,
    ErasuresV1,
    PhoneResponsesV1,
    describe,
)
from core.said import Said
from sync.errors import (
    BadReply,
    DeviceRefused,
    EnrollmentFailed,
    HqBusy,
    HqRejected,
    HqUnreachable,
    InsecureHqAddress,
)


def kiosk_version() -> str:
    """The kiosk's version (kiosk.__version__; the installed metadata if that is shadowed)."""
    version = getattr(kiosk, "__version__", None)
    if isinstance(version, str):
        return version
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("nps-kiosk")
    except PackageNotFoundError:
        return "unknown"


USER_AGENT = f"nps-kiosk/{kiosk_version()} (sync v2; Python {platform.python_version()})"
DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds


def normal_url(url: str) -> str:
    """An HQ address without a trailing slash; http(s) only."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise HqRejected(
            Said(
                "{url} is not an HQ address; it starts with https:// (or http:// on a test "
                "network), e.g. https://hq.example.com",
                url=repr(url),
            ),
            status=0,
        )
    return url


def is_loopback_url(url: str) -> bool:
    """True if ``url`` names this machine: localhost, 127.0.0.0/8 or ::1."""
    host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sends_in_clear(url: str) -> bool:
    """True if ``url`` is http:// to another machine, where the token would travel unencrypted."""
    return url.strip().lower().startswith("http://") and not is_loopback_url(url)


def check_transport(url: str, *, insecure_http: bool) -> str:
    """``url`` (normalised) if the device token may be sent to it: https://, http:// to this
    machine, or http:// anywhere when ``insecure_http`` was chosen explicitly."""
    url = normal_url(url)
    if sends_in_clear(url) and not insecure_http:
        raise InsecureHqAddress(
            Said(
                "{url} is plain http:// to another machine: the device token and secret would "
                "cross the network unencrypted. Use HQ's https:// address (with --ca-bundle for "
                "a self-hosted certificate); only on a closed test network, enroll with "
                "nps-kiosk enroll --insecure-http.",
                url=url,
            ),
            status=0,
        )
    return url


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _detail(resp: requests.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200].strip()
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return str(data["detail"])
    return str(data)[:200]


class HqClient:
    """Calls to one HQ. ``token`` is the device token (none before enrollment).
    ``insecure_http`` allows http:// to another machine (a closed test network only)."""

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session,
        token: str | None = None,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        insecure_http: bool = False,
    ) -> None:
        # Checked before any request: a refused address never sees the code or the token.
        self.base_url = check_transport(base_url, insecure_http=insecure_http)
        self.session = session
        self.token = token
        self.verify: bool | str = ca_bundle or True  # never False: TLS is always checked
        self.timeout = timeout

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _call(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        url = self.base_url + path
        extra = {"Content-Type": "application/json"} if data is not None else None
        try:
            resp = self.session.request(
                method,
                url,
                data=data,
                params=params,
                headers=self._headers(extra),
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
            )
            # Read the whole body now, so that a reply cut off half-way is a network error.
            _ = resp.content
        except requests.exceptions.SSLError as exc:
            raise HqUnreachable(
                Said(
                    "The secure connection to {url} failed: its certificate is not trusted. For "
                    "a self-hosted HQ set its CA bundle in Admin → Sync.",
                    url=self.base_url,
                )
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise HqUnreachable(
                Said("HQ at {url} did not answer in time.", url=self.base_url)
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise HqUnreachable(
                Said("Cannot reach HQ at {url}: no network, or HQ is down.", url=self.base_url)
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise HqUnreachable(
                Said(
                    "Talking to HQ at {url} failed ({reason}).", url=self.base_url, reason=str(exc)
                )
            ) from exc
        return resp

    def _check(self, resp: requests.Response, *, what: str) -> None:
        """``what``: a :class:`Said` such as "taking a batch" (what HQ was doing)."""
        status = resp.status_code
        if status < 300:
            return
        if status == 429 or status >= 500:
            after = retry_after_seconds(resp.headers.get("Retry-After"))
            if status in (429, 503):
                busy = Said(
                    "HQ is busy ({status}) while {what}; the kiosk will try again.",
                    status=status,
                    what=what,
                )
            else:
                busy = Said(
                    "HQ had an error ({status}) while {what}; the kiosk will try again.",
                    status=status,
                    what=what,
                )
            raise HqBusy(busy, status=status, retry_after=after)
        if status in (401, 403):
            raise DeviceRefused(
                Said(
                    "HQ refused this device: enroll it again. ({status}: {detail})",
                    status=status,
                    detail=_detail(resp),
                )
            )
        if 300 <= status < 400:
            raise BadReply(
                Said(
                    "HQ at {url} answered with a redirect ({status}) while {what}; use the "
                    "address it redirects to (https?).",
                    url=self.base_url,
                    status=status,
                    what=what,
                )
            )
        raise HqRejected(
            Said(
                "HQ refused {what} ({status}: {detail}).",
                what=what,
                status=status,
                detail=_detail(resp),
            ),
            status=status,
        )

    # -- calls -----------------------------------------------------------------------------
    def post_batch(self, body: bytes) -> BatchReplyV1:
        """POST a batch (protocol v1 or v2 JSON bytes); HQ's per-response results."""
        resp = self._call("POST", "/api/v1/batches", data=body)
        self._check(resp, what=Said("taking a batch"))
        try:
            return BatchReplyV1.model_validate_json(resp.content)
        except ValidationError as exc:
            raise BadReply(f"HQ's answer to a batch is not protocol v1 ({describe(exc)}).") from exc

    def get_profile(self, *, have: int | None = None) -> SignedProfileV1 | None:
        """Protocol v2: the store's signed profile, or None when ``have`` is its current
        version (HQ answers 204, the light check). Not verified here (kiosk.profile.receive).
        ``retention=true`` says this kiosk applies the profile's retention (an older HQ
        ignores it)."""
        params: dict[str, Any] = {"have": have} if have else {}
        params["retention"] = "true"
        resp = self._call("GET", "/api/v1/profile", params=params)
        if resp.status_code == 204:
            return None
        self._check(resp, what=Said("giving the store profile"))
        try:
            return SignedProfileV1.model_validate_json(resp.content)
        except ValidationError as exc:
            raise BadReply(f"HQ's store profile is not protocol v2 ({describe(exc)}).") from exc

    def enroll(self, code: str) -> EnrollReplyV1:
        """Exchange a one-time enrollment code for this device's token and secret."""
        from core.protocol import EnrollRequestV1

        try:
            body = EnrollRequestV1(code=code.strip()).model_dump_json().encode("utf-8")
        except ValidationError as exc:
            raise EnrollmentFailed(
                Said("An enrollment code is 4-64 characters, as printed by nps-hq enroll-device.")
            ) from exc
        resp = self._call("POST", "/api/v1/enroll", data=body)
        if resp.status_code in (401, 403, 404, 422):
            detail = _detail(resp) or str(resp.status_code)
            # HQ's own message already says how to get a new code: say it once.
            if "nps-hq enroll-device" in detail:
                refused = Said("HQ did not accept this enrollment code ({detail}).", detail=detail)
            else:
                refused = Said(
                    "HQ did not accept this enrollment code ({detail}). Ask HQ for a new one: "
                    "nps-hq enroll-device --store STORE.",
                    detail=detail,
                )
            raise EnrollmentFailed(refused)
        self._check(resp, what=Said("enrolling"))
        try:
            return EnrollReplyV1.model_validate_json(resp.content)
        except ValidationError as exc:
            raise BadReply(
                Said(
                    "{url} does not look like an NPS HQ ({reason}).",
                    url=self.base_url,
                    reason=describe(exc),
                )
            ) from exc

    def phone_responses(
        self, store_id: str, *, after: str | None, limit: int = 500
    ) -> PhoneResponsesV1:
        """A page of this store's phone (QR) answers after ``after``."""
        params: dict[str, Any] = {"limit": limit}
        if after:
            params["after"] = after
        resp = self._call("GET", f"/api/v1/stores/{store_id}/responses", params=params)
        self._check(resp, what=Said("giving back phone answers"))
        try:
            return PhoneResponsesV1.model_validate_json(resp.content)
        except ValidationError as exc:
            raise BadReply(f"HQ's phone answers are not protocol v1 ({describe(exc)}).") from exc

    def erasures(self, *, after: str | None, limit: int = 500) -> ErasuresV1:
        """Protocol v2: a page of the store's responses erased at HQ (or by another kiosk)
        after ``after``. An HQ before erasures answers 404 (HqRejected)."""
        params: dict[str, Any] = {"limit": limit}
        if after:
            params["after"] = after
        resp = self._call("GET", "/api/v1/erasures", params=params)
        self._check(resp, what=Said("giving the store's erasures"))
        try:
            return ErasuresV1.model_validate_json(resp.content)
        except ValidationError as exc:
            raise BadReply(f"HQ's erasures are not protocol v2 ({describe(exc)}).") from exc

    def cases(self, *, after: str | None, limit: int = 500) -> CasesV1:
        """Protocol v2: a page of the store's follow-up case changes made at HQ (or by another
        kiosk) after ``after``. An HQ before cases answers 404 (HqRejected)."""
        params: dict[str, Any] = {"limit": limit}
        if after:
            params["after"] = after
        resp = self._call("GET", "/api/v1/cases", params=params)
        self._check(resp, what="giving the store's follow-up cases")
        try:
            return CasesV1.model_validate_json(resp.content)
        except ValidationError as exc:
            raise BadReply(f"HQ's follow-up cases are not protocol v2 ({describe(exc)}).") from exc


def new_session() -> requests.Session:
    """A plain session (connection reuse); retries are the outbox's job, not urllib3's."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session
