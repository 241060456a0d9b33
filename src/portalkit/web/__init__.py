"""The framework-free web layer: what every integration does the same way.

``portalkit.contrib.flask`` and ``portalkit.contrib.django`` only translate
their framework's request and response to these; a host on another framework
uses them directly (see ``docs/integrations/custom.md``).

- :mod:`~portalkit.web.error_pages`: the one table from errors (and the
  frameworks' own 405 and 413) to status, title and customer-safe message;
- :mod:`~portalkit.web.headers`: the default security headers of a response;
- :mod:`~portalkit.web.redirects`: safe ``next`` targets after sign-in;
- :mod:`~portalkit.web.csrf`: CSRF tokens bound to a session's secret;
- :mod:`~portalkit.web.clients`: the client key from the peer address and
  trusted proxies;
- :mod:`~portalkit.web.limits`: the request size limit (413).

Importing it loads no web framework.
"""

from __future__ import annotations

from portalkit.web.clients import client_address as client_address
from portalkit.web.clients import client_key as client_key
from portalkit.web.csrf import CSRF_MAX_AGE as CSRF_MAX_AGE
from portalkit.web.csrf import CsrfTokens as CsrfTokens
from portalkit.web.csrf import new_session_secret as new_session_secret
from portalkit.web.error_pages import ERROR_STATUS as ERROR_STATUS
from portalkit.web.error_pages import GENERIC_MESSAGES as GENERIC_MESSAGES
from portalkit.web.error_pages import STATUS_TITLES as STATUS_TITLES
from portalkit.web.error_pages import ErrorPage as ErrorPage
from portalkit.web.error_pages import error_page as error_page
from portalkit.web.error_pages import error_status as error_status
from portalkit.web.error_pages import status_page as status_page
from portalkit.web.headers import DEFAULT_CONTENT_SECURITY_POLICY as DEFAULT_CONTENT_SECURITY_POLICY
from portalkit.web.headers import security_headers as security_headers
from portalkit.web.limits import DEFAULT_MAX_CONTENT_LENGTH as DEFAULT_MAX_CONTENT_LENGTH
from portalkit.web.limits import body_too_large as body_too_large
from portalkit.web.redirects import is_safe_next as is_safe_next
from portalkit.web.redirects import safe_next as safe_next

__all__ = [
    "CSRF_MAX_AGE",
    "DEFAULT_CONTENT_SECURITY_POLICY",
    "DEFAULT_MAX_CONTENT_LENGTH",
    "ERROR_STATUS",
    "GENERIC_MESSAGES",
    "STATUS_TITLES",
    "CsrfTokens",
    "ErrorPage",
    "body_too_large",
    "client_address",
    "client_key",
    "error_page",
    "error_status",
    "is_safe_next",
    "new_session_secret",
    "safe_next",
    "security_headers",
    "status_page",
]
