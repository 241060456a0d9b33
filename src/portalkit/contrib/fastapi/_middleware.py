"""Security headers and the session cookie on every answer; the body size limit (413)."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portalkit.contrib.fastapi._problems import status_response
from portalkit.contrib.fastapi._state import SCOPE_KEY, SESSION_COOKIE, Exchange, Settings
from portalkit.web import body_too_large, security_headers


class PortalMiddleware:
    """Security headers and the session cookie on every answer; the body size limit (413)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = scope[SCOPE_KEY] = Exchange()
        limit = self.settings.max_body
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413)
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._finish(MutableHeaders(scope=message), exchange)
            await send(message)

        if body_too_large(Headers(scope=scope).get("content-length"), limit):
            await status_response(413)(scope, receive, send_with_headers)
            return
        await self.app(scope, limited_receive, send_with_headers)

    def _finish(self, headers: MutableHeaders, exchange: Exchange) -> None:
        settings = self.settings
        wanted = security_headers(
            authenticated=exchange.authenticated,
            token_page=exchange.token_page,
            content_security_policy=settings.content_security_policy,
        )
        for name, value in wanted.items():
            if name not in headers:  # the endpoint's own win
                headers[name] = value
        secure = "; Secure" if settings.secure_cookies else ""
        if exchange.set_session is not None:
            headers.append(
                "set-cookie",
                f"{SESSION_COOKIE}={exchange.set_session}; Path=/; HttpOnly; SameSite=Lax{secure}",
            )
        elif exchange.clear_session:
            headers.append(
                "set-cookie",
                f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}",
            )


