"""How HQ runs under uvicorn: request headers bounded in size and count.

uvicorn's httptools protocol (the fast one, which ingest needs) has no header limit of its own:
httptools keeps an unfinished header in memory however long it grows, so a few connections
sending endless headers could take gigabytes. :class:`BoundedHttpToolsProtocol` answers 431
and closes the connection once a request's line and headers pass :data:`MAX_HEADER_BYTES` or
:data:`MAX_HEADERS` fields. Under h11 the same byte limit is uvicorn's
``h11_max_incomplete_event_size``."""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 64 * 1024  # request line + headers; a kiosk or browser sends under 8 KiB
MAX_HEADERS = 100


class _HeaderLimit(Exception):
    """Raised from a parser callback to stop parsing a request whose headers are too big."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a limit on the request line + headers (bytes and
    fields). Memory per connection stays under the limit plus two reads (256 KiB each)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._header_count = 0
        self._headers_done = False
        self._began_in_chunk = False
        self._limit_hit: str | None = None

    # Counting --------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._began_in_chunk = False
        super().data_received(data)
        if self._limit_hit or self.transport.is_closing():
            return
        if self._began_in_chunk:
            # A new request started inside this read: how much of it is headers is unknown,
            # but at most one read; count from the next read on.
            self._header_bytes = 0
        elif not self._headers_done:
            self._header_bytes += len(data)
        if not self._headers_done and self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(f"more than {MAX_HEADER_BYTES // 1024} KiB")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._began_in_chunk = True
        self._headers_done = False
        self._header_bytes = 0
        self._header_count = 0

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > MAX_HEADER_BYTES:
            self._limit_hit = f"an address of more than {MAX_HEADER_BYTES // 1024} KiB"
            raise _HeaderLimit
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            self._limit_hit = f"more than {MAX_HEADERS} header fields"
            raise _HeaderLimit
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._headers_done = True
        super().on_headers_complete()

    # Refusing --------------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        # A parser callback raised _HeaderLimit: httptools reports it as a parse error.
        if self._limit_hit:
            self._refuse(self._limit_hit)
        else:
            super().send_400_response(msg)

    def _refuse(self, what: str) -> None:
        self._limit_hit = self._limit_hit or what
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.warning("Refused a request from %s: its headers hold %s", client, self._limit_hit)
        msg = (
            f"The request's headers hold {self._limit_hit} (HQ takes up to "
            f"{MAX_HEADER_BYTES // 1024} KiB in at most {MAX_HEADERS} fields): send fewer or "
            "shorter headers or cookies."
        ).encode("ascii")
        content = [STATUS_LINE[431]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(msg)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                msg,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()


def server_options() -> dict[str, Any]:
    """The uvicorn.Config / uvicorn.run options that bound request headers."""
    return {"http": BoundedHttpToolsProtocol, "h11_max_incomplete_event_size": MAX_HEADER_BYTES}
