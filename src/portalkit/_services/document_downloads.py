"""Document downloads: the file of a visible document, directly or through a one-time token.

Part of :class:`~portalkit._services.documents.DocumentService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import attrs

from portalkit._services.document_access import _as_id, _DocumentAccess
from portalkit._services.listing import (
    policy_in,
)
from portalkit.domain.actions import IdempotencyKey
from portalkit.domain.documents import (
    content_disposition,
    download_filename,
    safe_content_type,
)
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.domain.records import Document
from portalkit.errors import (
    AlreadyUsedError,
    ConfigurationError,
    ConflictError,
    InvalidTokenError,
    NotFoundError,
)
from portalkit.ports import (
    TokenPurpose,
)

#: The owner under which used download tokens are claimed, once each.
_DOWNLOAD_OWNER = "download-token"


@attrs.frozen
class Download:
    """A document's file, ready to send.

    Attributes:
        document: The document (visible at the moment it was opened).
        filename: A safe file name (no directories, no control characters).
        content_type: A plain ``type/subtype``.
        content_disposition: The RFC 6266 header value (``attachment; filename=…``).
        data: The bytes from the host's document source.
    """

    document: Document
    filename: str
    content_type: str
    content_disposition: str
    data: bytes


class _DocumentDownloads(_DocumentAccess):
    """Downloads, directly or by a single-use token (every one audited)."""

    def _binding(self, principal: Principal, session: str | None) -> str:
        who = f"{principal.tenant_id}|{principal.kind.value}|{principal.user_id}|{session or ''}"
        digest = hmac.new(self._binding_key, who.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def download(
        self,
        principal: Principal,
        document_id: int,
        *,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> Download:
        """The file of a document *principal* may see now (audited); no token involved.

        What a page's "Download" button (a POST) answers with, so no token
        ever lands in a URL, an access log or the browser's history.

        Raises:
            NotFoundError: no such document, or not visible to *principal*.
        """
        return self._file(self._opened(principal, _as_id(document_id), client_key, policy))

    def download_token(
        self,
        principal: Principal,
        document_id: int,
        *,
        session: str | None = None,
        policy: Policy | None = None,
    ) -> str:
        """A signed, single-use token that lets *principal* download the document once.

        It is bound to *principal* and, when given, to *session* (the
        request's session value: the token is refused in any other session),
        and it expires after the download lifetime (5 minutes by default).

        Raises:
            NotFoundError: the document is not visible to *principal*.
        """
        document = self.get(principal, document_id, policy=policy)
        nonce = f"{self._binding(principal, session)}.{secrets.token_urlsafe(16)}"
        return self._signer.sign(TokenPurpose.DOWNLOAD, document.id, nonce)

    def open_download(
        self,
        principal: Principal,
        token: str,
        *,
        session: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> Download:
        """The file behind a download token, once, if it is still visible to *principal* now.

        Raises:
            TokenExpiredError: the token is older than its lifetime.
            InvalidTokenError: tampered, or made for another principal or session.
            AlreadyUsedError: the token was used before.
            NotFoundError: the document is no longer visible (back to draft,
                out of scope, kind switched off) or gone.
        """
        claims = self._signer.verify(
            TokenPurpose.DOWNLOAD, token, max_age=self._download_max_age
        )
        binding, _, once = claims.nonce.partition(".")
        if not once or not hmac.compare_digest(binding, self._binding(principal, session)):
            raise InvalidTokenError()
        return self._file(self._opened(principal, claims.id, client_key, policy, once=once))

    def _opened(
        self,
        principal: Principal,
        document_id: int,
        client_key: str | None,
        policy: Policy | None,
        *,
        once: str | None = None,
    ) -> Document:
        """The visible document, its download audited (and a token's nonce claimed)."""
        with self._storage.unit_of_work() as uow:
            if once is not None:
                try:
                    uow.actions.idempotency.add(IdempotencyKey(
                        id=0, tenant_id=principal.tenant_id, owner=_DOWNLOAD_OWNER, key=once,
                        action="document.download", fingerprint=str(document_id),
                        created_at=self._clock.now(),
                    ))
                except ConflictError:
                    raise AlreadyUsedError() from None
            policy = policy_in(uow, principal, policy, self._policies)
            document = self._visible_one(uow, policy, principal, document_id)
            self._audit(
                uow,
                principal.tenant_id,
                "document.download",
                document,
                document_id,
                actor=principal.user_id,
                client_key=client_key,
            )
            uow.commit()
        if document is None:
            raise NotFoundError()
        return document

    def _file(self, document: Document) -> Download:
        if self._source is None:
            raise ConfigurationError("No document source is configured for downloads.")
        data = self._source.read(document)
        content_type = safe_content_type(document.content_type)
        filename = download_filename(
            document.filename, kind=document.kind, number=document.number,
            content_type=content_type,
        )
        return Download(document, filename, content_type, content_disposition(filename), data)
