"""Document kinds and the visibility rule, stated once as data.

A customer sees a document when all of these hold:

1. its kind is known (built in, or registered by the host) and the kind is not
   switched off for the tenant (``TenantSettings.disabled_features`` holds the
   kind's feature key, which for every built-in kind is the kind's own name,
   e.g. ``{"invoice"}``: seed 002's Settings - Misc);
2. its status is one the kind shows: quotes and invoices in ``draft`` are
   never visible, reports only when ``approved`` (seed 002);
3. the access policy allows the kind's view permission (``invoice.view`` …)
   at the document's scope.

:func:`visibility_filter` combines 1-3 into ONE
:class:`~portalkit.domain.filters.Filter`: the memory adapter evaluates it, the
SQLAlchemy compiler turns it into a WHERE clause, and property tests hold the
two equal. Lists, counts, search, "latest" widgets and the detail view all use
it, so a document is visible in detail exactly when it is in the list.

Kinds are data too (:class:`DocumentKind`); a host adds its own with
:meth:`KindRegistry.register`. Status values are compared as stored, so hosts
store them in lowercase (``"draft"``, ``"approved"``).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import quote

import attrs

from portalkit.domain.filters import (
    FALSE,
    Eq,
    Filter,
    Not,
    all_of,
    any_of,
    evaluate,
)
from portalkit.errors import ConfigurationError, InvalidInputError

__all__ = [
    "BUILTIN_KINDS",
    "DRAFT",
    "DocumentKind",
    "KindRegistry",
    "content_disposition",
    "default_kinds",
    "download_filename",
    "hidden_reason",
    "kind_rule",
    "safe_content_type",
    "visibility_filter",
]

#: The status of a document that is still being written.
DRAFT = "draft"

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _statuses(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _hidden(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@attrs.frozen(kw_only=True, cache_hash=True)
class DocumentKind:
    """One kind of document and the rule that says which of its statuses customers see.

    Attributes:
        name: The kind as stored on documents (``"invoice"``).
        label: What customers see ("Invoices").
        permission: The view permission the policy must allow at the document's scope.
        feature: The key in ``TenantSettings.disabled_features`` that hides the kind.
        shown_statuses: If set, only these statuses are visible (reports: ``{"approved"}``).
        hidden_statuses: These statuses are never visible (quotes: ``{"draft"}``).
    """

    name: str
    label: str
    permission: str
    feature: str
    shown_statuses: frozenset[str] | None = attrs.field(default=None, converter=_statuses)
    hidden_statuses: frozenset[str] = attrs.field(default=frozenset(), converter=_hidden)

    def shows_status(self, status: str) -> bool:
        """Whether a document of this kind in *status* may be shown at all."""
        if status in self.hidden_statuses:
            return False
        return self.shown_statuses is None or status in self.shown_statuses


BUILTIN_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind(
        name="quote", label="Quotes", permission="quote.view", feature="quote",
        hidden_statuses={DRAFT},
    ),
    DocumentKind(
        name="proposal", label="Proposals", permission="proposal.view", feature="proposal"
    ),
    DocumentKind(
        name="invoice", label="Invoices", permission="invoice.view", feature="invoice",
        hidden_statuses={DRAFT},
    ),
    DocumentKind(
        name="report", label="Reports", permission="report.view", feature="report",
        shown_statuses={"approved"},
    ),
    DocumentKind(
        name="statement", label="Statements", permission="statement.view", feature="statement"
    ),
    DocumentKind(
        name="contract", label="Contracts", permission="contract.view", feature="contract"
    ),
)


class KindRegistry:
    """The document kinds a portal knows: the built-ins plus the host's own.

    Registering is idempotent for an identical definition and refuses a
    changed one, like the permission catalogue.
    """

    def __init__(self, kinds: Iterable[DocumentKind] = BUILTIN_KINDS) -> None:
        self._lock = threading.Lock()
        self._kinds: dict[str, DocumentKind] = {}
        for kind in kinds:
            self.add(kind)

    def add(self, kind: DocumentKind) -> DocumentKind:
        """Add a kind definition (see :meth:`register` for the short form)."""
        if not _KIND_RE.match(kind.name):
            raise ConfigurationError(
                f"Document kinds are lowercase words like 'work_order', not {kind.name!r}."
            )
        with self._lock:
            existing = self._kinds.get(kind.name)
            if existing is not None and existing != kind:
                raise ConfigurationError(f"Document kind {kind.name!r} is already registered.")
            self._kinds[kind.name] = kind
        return kind

    def register(
        self,
        name: str,
        *,
        label: str | None = None,
        permission: str | None = None,
        feature: str | None = None,
        shown_statuses: Iterable[str] | None = None,
        hidden_statuses: Iterable[str] = (DRAFT,),
    ) -> DocumentKind:
        """Register a host-defined kind; by default its drafts are hidden.

        The view permission defaults to ``"<name>.view"`` (register it in the
        permission catalogue too) and the feature key to *name*.
        """
        return self.add(
            DocumentKind(
                name=name,
                label=label or name.replace("_", " ").title(),
                permission=permission or f"{name}.view",
                feature=feature or name,
                shown_statuses=shown_statuses,
                hidden_statuses=hidden_statuses,
            )
        )

    def get(self, name: str) -> DocumentKind:
        """The kind called *name*.

        Raises:
            InvalidInputError: no such kind (field ``kind``).
        """
        kind = self._kinds.get(name) if isinstance(name, str) else None
        if kind is None:
            raise InvalidInputError.for_field("kind", "Unknown document kind.")
        return kind

    def resolve(self, kinds: str | Iterable[str] | None) -> tuple[DocumentKind, ...]:
        """The kinds a caller asked for (None: all), validated, in registry order."""
        if kinds is None:
            return tuple(self)
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        if not names:
            raise InvalidInputError.for_field("kind", "Name at least one document kind.")
        wanted = {self.get(n).name for n in names}
        return tuple(k for k in self if k.name in wanted)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[DocumentKind]:
        return iter(list(self._kinds.values()))

    def names(self) -> frozenset[str]:
        """Every kind name."""
        return frozenset(self._kinds)


#: The kinds used unless a portal is given its own registry.
default_kinds: KindRegistry = KindRegistry()


def kind_rule(
    kind: DocumentKind, *, kind_field: str = "kind", status_field: str = "status"
) -> Filter:
    """The part of the rule that does not depend on who asks: kind and status."""
    parts: list[Filter] = [Eq(kind_field, kind.name)]
    if kind.shown_statuses is not None:
        parts.append(_one_of(status_field, kind.shown_statuses - kind.hidden_statuses))
    elif kind.hidden_statuses:
        parts.append(Not(_one_of(status_field, kind.hidden_statuses)))
    return all_of(*parts)


def hidden_reason(
    document: object, kinds: KindRegistry, disabled_features: frozenset[str]
) -> str | None:
    """Why no customer sees *document* whatever their grants, or None if its kind may show.

    The same rule as :func:`visibility_filter` (a known kind, its feature
    switched on, :func:`kind_rule` on its status), evaluated in Python, so an
    explanation never says "Allowed" for a document that lists and detail
    views would answer as not found.
    """
    name = getattr(document, "kind", None)
    if not isinstance(name, str) or name not in kinds:
        return f"documents of kind {name!r} are not in this portal's catalogue."
    kind = kinds.get(name)
    if kind.feature in disabled_features:
        return f"the feature {kind.feature!r} ({kind.label}) is switched off for this portal."
    if not evaluate(kind_rule(kind), document):
        status = getattr(document, "status", None)
        if kind.shown_statuses is not None:
            shown = sorted(kind.shown_statuses - kind.hidden_statuses)
            return f"{kind.label} are shown only in status {shown}; this one is {status!r}."
        return f"{kind.label} in status {status!r} are never shown to customers."
    return None


def _one_of(field: str, values: Iterable[str]) -> Filter:
    """``field`` equals one of *values*, as plain equalities.

    Equalities, unlike ``IN``, compile to SQL whose text does not depend on
    how many values there are, so the database driver's statement cache and
    SQLAlchemy's compiled cache serve every call; the sets here are tiny.
    """
    ordered = sorted(set(values))
    if not ordered:
        return FALSE
    return any_of(*(Eq(field, v) for v in ordered))


def visibility_filter(
    kinds: Iterable[DocumentKind],
    disabled_features: frozenset[str],
    scope_filter: Callable[[DocumentKind], Filter],
) -> Filter:
    """The documents of *kinds* that a principal may see, as one filter.

    Args:
        kinds: The kinds asked for (already validated).
        disabled_features: The tenant's switched-off features; a kind whose
            feature key is among them contributes nothing.
        scope_filter: The policy's scope filter for a kind, usually
            ``lambda k: policy.filter_for(principal, k.permission)``. Kinds
            that get the same scope filter share one branch, so the compiled
            SQL stays short.

    Returns:
        ``OR`` over scope groups of ``(kind/status rules) AND scope``;
        :data:`~portalkit.domain.filters.FALSE` when nothing can be seen.
    """
    groups: dict[Filter, list[DocumentKind]] = {}
    for kind in kinds:
        if kind.feature in disabled_features:
            continue
        scope = scope_filter(kind)
        if scope == FALSE:
            continue
        groups.setdefault(scope, []).append(kind)
    if not groups:
        return FALSE
    return any_of(*(all_of(_kinds_rule(members), scope) for scope, members in groups.items()))


def _kinds_rule(kinds: list[DocumentKind]) -> Filter:
    """Kind/status rules of several kinds; kinds without a status rule share one branch."""
    plain = [k.name for k in kinds if k.shown_statuses is None and not k.hidden_statuses]
    rules = [kind_rule(k) for k in kinds if k.shown_statuses is not None or k.hidden_statuses]
    if plain:
        rules.append(_one_of("kind", plain))
    return any_of(*rules)


# Downloads -------------------------------------------------------------------
_MIME_PART = r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
_CONTENT_TYPE_RE = re.compile(rf"^{_MIME_PART}/{_MIME_PART}$")
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/zip": ".zip",
}
_MAX_FILENAME = 150
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+,-]")
#: \w is exactly str.isalnum() plus "_".
_UNSAFE_STEM = re.compile(r"[^\w-]")


def safe_content_type(content_type: object) -> str:
    """*content_type* if it is a plain ``type/subtype``, else ``application/octet-stream``.

    Parameters (``; charset=…``) and anything a browser might sniff differently
    are dropped.
    """
    if isinstance(content_type, str):
        bare = content_type.partition(";")[0].strip().lower()
        if _CONTENT_TYPE_RE.match(bare):
            return bare
    return "application/octet-stream"


def download_filename(filename: str | None, *, kind: str, number: str, content_type: str) -> str:
    """A safe file name: no directories, control characters or leading dots, <= 150 chars.

    Falls back to ``<kind>-<number><ext>`` when the host gave none (or nothing
    usable was left).
    """
    name = filename or ""
    name = name.replace("\\", "/").rpartition("/")[2]
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name)
        if not unicodedata.category(ch).startswith("C")
    )
    # split() also breaks at the other whitespace (no-break space, line separator).
    name = " ".join(name.split()).lstrip(". ")
    if not name:
        stem = _UNSAFE_STEM.sub("-", f"{kind}-{number}")
        name = stem.strip("-") + _EXTENSIONS.get(safe_content_type(content_type), "")
    # Cutting to the limit changes nothing in a name that is not longer.
    stem, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 10:
        return stem[: _MAX_FILENAME - len(ext) - 1] + "." + ext
    return name[:_MAX_FILENAME]


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """An RFC 6266 ``Content-Disposition`` value for *filename* (already made safe).

    An ASCII fallback goes in ``filename=""`` (quotes and backslashes replaced);
    a non-ASCII name is added as ``filename*=UTF-8''…`` (RFC 8187).
    """
    ascii_name = "".join(ch for ch in unicodedata.normalize("NFKD", filename) if ch.isascii())
    ascii_name = _ASCII_UNSAFE.sub("_", ascii_name).strip() or "download"
    value = f'{"inline" if inline else "attachment"}; filename="{ascii_name}"'
    if ascii_name != filename:
        value += "; filename*=UTF-8''" + quote(filename, safe="")
    return value
