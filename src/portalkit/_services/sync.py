"""Bulk upsert of the host's customers and assets (the nightly sync of seed 004).

Rows stream in from any iterable and are written in batches. Each batch is
validated completely before it is written, then committed in one transaction:
a bad row stops the run with :class:`~portalkit.errors.InvalidRowError` naming
its row number, every earlier batch stays committed and nothing of the bad
batch is written. Rows are matched by the host's external key, so re-running
the same file changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, TypeVar

import attrs
import cattrs

from portalkit._services.admin import asset_keys
from portalkit.domain.contact import PhoneNormalizer
from portalkit.domain.records import Asset, CustomerRecord
from portalkit.domain.scopes import ScopeKind
from portalkit.errors import (
    DuplicateKeyError,
    InvalidInputError,
    InvalidRowError,
    UnknownScopeError,
)
from portalkit.ports import RowUpserts, Storage, UpsertCounts

__all__ = ["AssetRow", "BulkReport", "CustomerRow", "upsert_assets", "upsert_customers"]

R = TypeVar("R")

#: Largest batch accepted; larger batches hold locks and memory for too long.
MAX_BATCH_SIZE = 10_000
#: Longest asset number, plate or other identifier in a row (as the staff API).
MAX_IDENTIFIER_LENGTH = 64
#: Longest name or short text field in a row.
MAX_NAME_LENGTH = 200
#: Longest free text (a description) in a row.
MAX_TEXT_LENGTH = 2000
#: Longest external key (after surrounding blanks are removed).
MAX_KEY_LENGTH = 200


def _max_length(limit: int) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator refusing text longer than *limit* (before any normalization)."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, str):
            label = attribute.name.replace("_", " ").capitalize()
            if len(value) > limit:
                raise InvalidInputError.for_field(
                    attribute.name, f"{label} is longer than {limit} characters."
                )
            if "\x00" in value:  # PostgreSQL cannot store it; refused on every database
                raise InvalidInputError.for_field(
                    attribute.name, f"{label} contains a NUL character."
                )

    return check


_ID = _max_length(MAX_IDENTIFIER_LENGTH)
_NAME = _max_length(MAX_NAME_LENGTH)
_TEXT = _max_length(MAX_TEXT_LENGTH)


def _strip(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _key(value: str) -> str:
    key = str(value).strip()
    if not key:
        raise InvalidInputError.for_field("external_key", "External key is required.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInputError.for_field("external_key", "External key is too long.")
    if "\x00" in key:
        raise InvalidInputError.for_field("external_key", "External key contains a NUL character.")
    return key


def _bounded(limit: int, **kwargs: Any) -> Any:
    """A text field refusing values longer than *limit*; the bound is kept as metadata."""
    return attrs.field(validator=_max_length(limit), metadata={"max_length": limit}, **kwargs)


@attrs.frozen(kw_only=True)
class AssetRow:
    """One asset from the host's system.

    ``scope_key`` is the host's key of the scope node (organization, division,
    site …) the asset belongs to.
    """

    external_key: str = attrs.field(converter=_key, metadata={"max_length": MAX_KEY_LENGTH})
    number: str = _bounded(MAX_IDENTIFIER_LENGTH)
    scope_key: str = _bounded(MAX_NAME_LENGTH)
    plate: str | None = _bounded(MAX_IDENTIFIER_LENGTH, default=None, converter=_strip)
    region: str | None = _bounded(MAX_IDENTIFIER_LENGTH, default=None, converter=_strip)
    asset_type: str = _bounded(MAX_NAME_LENGTH, default="")
    description: str = _bounded(MAX_TEXT_LENGTH, default="")
    model: str = _bounded(MAX_NAME_LENGTH, default="")
    serial: str = _bounded(MAX_NAME_LENGTH, default="")
    customer_ref: str = _bounded(MAX_NAME_LENGTH, default="")
    last_test_number: str | None = _bounded(MAX_IDENTIFIER_LENGTH, default=None)
    last_test_date: dt.date | None = None


@attrs.frozen(kw_only=True)
class CustomerRow:
    """One customer account from the host's system; it becomes an organization."""

    external_key: str = attrs.field(converter=_key)
    name: str = attrs.field(validator=_NAME)
    phone: str | None = attrs.field(default=None, converter=_strip, validator=_ID)
    email: str | None = attrs.field(default=None, converter=_strip, validator=_max_length(254))
    postal_code: str | None = attrs.field(default=None, converter=_strip, validator=_ID)
    country: str = attrs.field(default="US", validator=_ID)
    portal_enabled: bool = False
    is_account: bool = True
    contract_count: int = 0
    quote_count: int = 0


@attrs.frozen
class BulkReport:
    """What a bulk upsert did."""

    processed: int = 0
    inserted: int = 0
    updated: int = 0
    batches: int = 0

    def _add(self, rows: int, counts: UpsertCounts) -> BulkReport:
        return BulkReport(
            self.processed + rows,
            self.inserted + counts.inserted,
            self.updated + counts.updated,
            self.batches + 1,
        )


_converter = cattrs.Converter()
_converter.register_structure_hook(
    dt.date, lambda v, _t: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
)
_converter.register_structure_hook(
    bool,
    lambda v, _t: v if isinstance(v, bool) else str(v).strip().lower() in {"1", "true", "yes", "y"},
)


def _text_fields(cls: type) -> frozenset[str]:
    """Fields typed ``str`` or ``str | None``: text input needs no conversion for them."""
    attrs.resolve_types(cls)
    return frozenset(f.name for f in attrs.fields(cls) if f.type in (str, str | None))


_TEXT_FIELDS: dict[type, frozenset[str]] = {
    cls: _text_fields(cls) for cls in (AssetRow, CustomerRow)
}
_ALL_FIELDS: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in attrs.fields(cls)) for cls in (AssetRow, CustomerRow)
}


def _row(cls: type[R], raw: R | Mapping[str, Any], number: int) -> R:
    """Turn one input row (an instance or a mapping) into *cls*, or raise InvalidRowError."""
    if isinstance(raw, cls):
        return raw
    try:
        if not isinstance(raw, Mapping):
            raise InvalidInputError("Each row must be a mapping of field names to values.")
        if not raw.keys() <= _ALL_FIELDS[cls]:
            unknown = sorted(map(str, raw.keys() - _ALL_FIELDS[cls]))
            raise InvalidInputError(f"Unknown columns: {', '.join(unknown)}.")
        cleaned = {k: v for k, v in raw.items() if v is not None and v != ""}
        if cleaned.keys() <= _TEXT_FIELDS[cls] and all(type(v) is str for v in cleaned.values()):
            with contextlib.suppress(TypeError):  # missing fields: the converter says which
                return cls(**cleaned)  # already the right types: skip the converter
        return _converter.structure(cleaned, cls)
    except InvalidInputError as exc:
        raise InvalidRowError(number, exc) from None
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        own = _own_error(exc)
        raise InvalidRowError(number, own or _first_error(exc)) from None


def _own_error(exc: BaseException) -> InvalidInputError | None:
    """The first portalkit input error inside a cattrs exception group, if any."""
    if isinstance(exc, InvalidInputError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _own_error(inner)
        if found is not None:
            return found
    return None


def _first_error(exc: BaseException) -> InvalidInputError:
    """A readable, field-level error for a value cattrs could not convert."""
    if isinstance(exc, cattrs.BaseValidationError):
        notes = cattrs.transform_error(exc)
        note = notes[0] if notes else ""
        problem, _, path = note.partition(" @ $.")
        if path:
            if problem.startswith("required field missing"):
                return InvalidInputError.for_field(path, f"Missing value for {path}.")
            return InvalidInputError.for_field(path, f"Invalid value for {path}.")
    return InvalidInputError(str(exc) or "Invalid value.")


def _batches(rows: Iterable[R], size: int) -> Iterator[list[R]]:
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise InvalidInputError.for_field(
            "batch_size", f"Batch size must be 1 to {MAX_BATCH_SIZE}."
        )
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


class _KeyTracker:
    """Refuses a key seen before in this run (within or across batches)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def check(self, keys: list[str]) -> None:
        batch = set(keys)
        if len(batch) == len(keys) and self._seen.isdisjoint(batch):
            self._seen |= batch
            return
        duplicates = [k for k in keys if k in self._seen]
        batch_seen: set[str] = set()
        for key in keys:
            if key in batch_seen:
                duplicates.append(key)
            batch_seen.add(key)
        if duplicates:
            raise DuplicateKeyError(list(dict.fromkeys(duplicates)))
        self._seen |= batch_seen




def upsert_assets(
    storage: Storage,
    tenant_id: int,
    rows: Iterable[AssetRow | Mapping[str, Any]],
    *,
    batch_size: int = 1000,
    on_progress: Callable[[BulkReport], None] | None = None,
) -> BulkReport:
    """Insert or update assets by external key, a batch per transaction.

    Each row is validated as :class:`AssetRow` and its number and plate
    normalized; the records go to storage as field dicts (the SQL adapter
    binds them as they are) or as :class:`~portalkit.domain.records.Asset`.
    """
    report = BulkReport()
    keys = _KeyTracker()
    for batch in _batches(rows, batch_size):
        first = report.processed + 1
        parsed = [_row(AssetRow, raw, first + i) for i, raw in enumerate(batch)]
        keys.check([row.external_key for row in parsed])
        with storage.unit_of_work() as uow:
            nodes = {
                n.external_key: (n.id, n.path)
                for n in uow.scopes.get_many_by_external_key(
                    tenant_id, list({row.scope_key for row in parsed})
                )
            }
            records: list[dict[str, Any]] = []
            for i, row in enumerate(parsed):
                node = nodes.get(row.scope_key)
                if node is None:
                    raise InvalidRowError(
                        first + i, UnknownScopeError(f"Unknown scope key {row.scope_key!r}.")
                    )
                try:
                    number_key, plate_key, plate_fold = asset_keys(row.number, row.plate)
                except InvalidInputError as exc:
                    raise InvalidRowError(first + i, exc) from None
                records.append({
                    "tenant_id": tenant_id,
                    "scope_id": node[0],
                    "scope_path": node[1],
                    "number": row.number.strip(),
                    "number_key": number_key,
                    "plate": row.plate,
                    "plate_key": plate_key,
                    "plate_fold": plate_fold,
                    "region": row.region,
                    "external_key": row.external_key,
                    "asset_type": row.asset_type,
                    "description": row.description,
                    "model": row.model,
                    "serial": row.serial,
                    "customer_ref": row.customer_ref,
                    "last_test_number": row.last_test_number,
                    "last_test_date": row.last_test_date,
                })
            repository = uow.assets
            if isinstance(repository, RowUpserts):
                counts = repository.upsert_rows(tenant_id, records)
            else:
                counts = repository.upsert_many(tenant_id, [Asset(id=0, **r) for r in records])
            uow.commit()
        report = report._add(len(batch), counts)
        if on_progress is not None:
            on_progress(report)
    return report


def upsert_customers(
    storage: Storage,
    tenant_id: int,
    rows: Iterable[CustomerRow | Mapping[str, Any]],
    *,
    batch_size: int = 500,
    on_progress: Callable[[BulkReport], None] | None = None,
    phones: PhoneNormalizer | None = None,
) -> BulkReport:
    """Insert or update customer accounts and their organizations by external key.

    A new customer gets a new organization with the same external key; an
    existing one keeps its organization, renamed if the name changed. With a
    phone normalizer, phone numbers are stored in E.164 (read as local numbers
    of the row's country), which registration by proof relies on.
    """
    report = BulkReport()
    keys = _KeyTracker()
    for batch in _batches(rows, batch_size):
        first = report.processed + 1
        parsed = [_row(CustomerRow, raw, first + i) for i, raw in enumerate(batch)]
        for i, row in enumerate(parsed):
            if not row.name.strip():
                raise InvalidRowError(
                    first + i, InvalidInputError.for_field("name", "Name is required.")
                )
            if phones is not None and row.phone:
                try:
                    parsed[i] = attrs.evolve(row, phone=phones.normalize(row.phone, row.country))
                except InvalidInputError as exc:
                    raise InvalidRowError(first + i, exc) from None
        keys.check([r.external_key for r in parsed])
        with storage.unit_of_work() as uow:
            orgs = {
                n.external_key: n
                for n in uow.scopes.get_many_by_external_key(
                    tenant_id, [r.external_key for r in parsed]
                )
            }
            records = []
            for i, row in enumerate(parsed):
                org = orgs.get(row.external_key)
                if org is not None and org.kind is not ScopeKind.ORGANIZATION:
                    raise InvalidRowError(
                        first + i,
                        InvalidInputError.for_field(
                            "external_key",
                            "This key belongs to a scope that is not an organization.",
                        ),
                    )
                if org is None:
                    org = uow.scopes.create(
                        tenant_id=tenant_id,
                        kind=ScopeKind.ORGANIZATION,
                        name=row.name.strip(),
                        parent=None,
                        external_key=row.external_key,
                    )
                elif org.name != row.name.strip():
                    uow.scopes.update(attrs.evolve(org, name=row.name.strip()))
                records.append(
                    CustomerRecord(
                        id=0,
                        tenant_id=tenant_id,
                        organization_id=org.id,
                        external_key=row.external_key,
                        name=row.name.strip(),
                        phone=row.phone,
                        email=row.email.lower() if row.email else None,
                        postal_code=row.postal_code,
                        country=row.country.upper(),
                        portal_enabled=row.portal_enabled,
                        is_account=row.is_account,
                        contract_count=row.contract_count,
                        quote_count=row.quote_count,
                    )
                )
            counts = uow.customers.upsert_many(tenant_id, records)
            uow.commit()
        report = report._add(len(batch), counts)
        if on_progress is not None:
            on_progress(report)
    return report
