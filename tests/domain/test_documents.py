"""Document kinds, the visibility rule as data, and safe download headers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.documents import (
    BUILTIN_KINDS,
    DRAFT,
    DocumentKind,
    KindRegistry,
    content_disposition,
    default_kinds,
    download_filename,
    kind_rule,
    safe_content_type,
    visibility_filter,
)
from portalkit.domain.filters import FALSE, TRUE, Filter, ScopeUnder, any_of, evaluate
from portalkit.domain.records import Document
from portalkit.errors import ConfigurationError, InvalidInputError

KIND_NAMES = [k.name for k in BUILTIN_KINDS]
STATUSES = ["draft", "approved", "sent", "paid", "awaiting payment", "rejected", "Draft"]
PATHS = ["/org:1/", "/org:1/div:2/", "/org:1/div:2/site:3/", "/org:12/", "/org:12/site:13/"]


def _doc(kind: str, status: str, path: str = "/org:1/div:2/site:3/", id: int = 1) -> Document:
    return Document(
        id=id, tenant_id=1, scope_id=3, scope_path=path, kind=kind, status=status, number="N"
    )


def test_builtin_status_rules_follow_seed_002() -> None:
    """Drafts of quotes and invoices are never shown; reports only when approved."""
    kinds = {k.name: k for k in BUILTIN_KINDS}
    assert not kinds["quote"].shows_status(DRAFT)
    assert kinds["quote"].shows_status("awaiting acceptance")
    assert not kinds["invoice"].shows_status(DRAFT)
    assert kinds["invoice"].shows_status("awaiting payment")
    assert kinds["report"].shows_status("approved")
    assert not kinds["report"].shows_status("draft")
    assert not kinds["report"].shows_status("rejected")
    assert set(KIND_NAMES) == {"quote", "proposal", "invoice", "report", "statement", "contract"}


@given(kind=st.sampled_from(BUILTIN_KINDS), status=st.sampled_from(STATUSES))
def test_kind_rule_as_data_equals_the_python_rule(kind: DocumentKind, status: str) -> None:
    """kind_rule(kind) holds for a document exactly when its kind matches and shows its status."""
    for other in KIND_NAMES:
        expected = other == kind.name and kind.shows_status(status)
        assert evaluate(kind_rule(kind), _doc(other, status)) is expected


@st.composite
def _cases(draw: st.DrawFn) -> tuple[list[DocumentKind], frozenset[str], dict[str, list[str]]]:
    kinds = draw(st.lists(st.sampled_from(BUILTIN_KINDS), unique=True))
    disabled = frozenset(draw(st.lists(st.sampled_from(KIND_NAMES))))
    grants = {n: draw(st.lists(st.sampled_from(PATHS), max_size=3)) for n in KIND_NAMES}
    return kinds, disabled, grants


@given(
    case=_cases(),
    kind=st.sampled_from(KIND_NAMES),
    status=st.sampled_from(STATUSES),
    path=st.sampled_from(PATHS),
)
def test_visibility_filter_is_the_three_conditions(
    case: tuple[list[DocumentKind], frozenset[str], dict[str, list[str]]],
    kind: str,
    status: str,
    path: str,
) -> None:
    """Visible = kind asked for and switched on, status shown, and a grant covers the scope."""
    kinds, disabled, grants = case

    def scope(k: DocumentKind) -> Filter:
        return any_of(*(ScopeUnder(p) for p in grants[k.name])) if grants[k.name] else FALSE

    rule = visibility_filter(kinds, disabled, scope)
    by_name = {k.name: k for k in kinds}
    expected = (
        kind in by_name
        and kind not in disabled
        and by_name[kind].shows_status(status)
        and any(path.startswith(p) for p in grants[kind])
    )
    assert evaluate(rule, _doc(kind, status, path)) is expected


def test_nothing_visible_is_false() -> None:
    """With every kind switched off (or no grants) the rule is FALSE, which compiles to no query."""
    assert visibility_filter(BUILTIN_KINDS, frozenset(KIND_NAMES), lambda _k: TRUE) == FALSE
    assert visibility_filter(BUILTIN_KINDS, frozenset(), lambda _k: FALSE) == FALSE


def test_kinds_sharing_a_scope_share_one_branch() -> None:
    """Kinds with the same scope filter are grouped, so the SQL stays short."""
    rule = visibility_filter(BUILTIN_KINDS, frozenset(), lambda _k: ScopeUnder("/org:1/"))
    assert repr(rule).count("ScopeUnder") == 1


def test_unknown_kind_is_invalid_input() -> None:
    """Asking for a kind nobody registered is InvalidInputError on field 'kind'."""
    with pytest.raises(InvalidInputError) as caught:
        default_kinds.resolve("recipe")
    assert caught.value.fields == {"kind": "Unknown document kind."}
    with pytest.raises(InvalidInputError):
        default_kinds.resolve([])
    assert default_kinds.resolve(None) == tuple(default_kinds)
    assert [k.name for k in default_kinds.resolve(["invoice", "quote"])] == ["quote", "invoice"]


def test_host_defined_kinds() -> None:
    """A host registers its own kind (drafts hidden by default); redefining differently fails."""
    registry = KindRegistry()
    work_order = registry.register("work_order")
    assert work_order.permission == "work_order.view"
    assert work_order.feature == "work_order"
    assert work_order.label == "Work Order"
    assert not work_order.shows_status(DRAFT)
    assert registry.register("work_order") == work_order
    with pytest.raises(ConfigurationError):
        registry.register("work_order", label="Other")
    with pytest.raises(ConfigurationError):
        registry.register("Work Order")
    assert "work_order" not in default_kinds


# Download headers -------------------------------------------------------------
@given(name=st.text(max_size=300))
def test_download_filename_is_always_safe(name: str) -> None:
    """No directory part, control character or leading dot survives; at most 150 characters."""
    safe = download_filename(name, kind="invoice", number="I-1", content_type="application/pdf")
    assert safe
    assert "/" not in safe
    assert "\\" not in safe
    assert not safe.startswith(".")
    assert len(safe) <= 150
    assert all(ch.isprintable() for ch in safe)


@given(name=st.text(min_size=1, max_size=150))
def test_content_disposition_is_a_single_ascii_header(name: str) -> None:
    """The header value is printable ASCII without line breaks, whatever the name."""
    safe = download_filename(name, kind="report", number="R/1", content_type="application/pdf")
    header = content_disposition(safe)
    assert header.isascii()
    assert "\r" not in header
    assert "\n" not in header
    assert header.startswith('attachment; filename="')
    assert header.count('"') == 2


def test_fallback_filename_from_kind_number_and_type() -> None:
    """Without a host file name the name is <kind>-<number><ext>."""
    pdf = "application/pdf"
    assert download_filename(None, kind="invoice", number="I/7", content_type=pdf) == (
        "invoice-I-7.pdf"
    )
    assert download_filename("../..", kind="quote", number="Q1", content_type="x/unknown") == (
        "quote-Q1"
    )


def test_long_names_keep_their_extension() -> None:
    """A long name is cut to 150 characters and keeps its extension."""
    name = download_filename("a" * 400 + ".pdf", kind="k", number="n", content_type="")
    assert len(name) == 150
    assert name.endswith(".pdf")


def test_content_disposition_encodes_non_ascii_per_rfc_8187() -> None:
    """Non-ASCII names get an ASCII fallback plus filename*=UTF-8''…"""
    assert content_disposition("Überweisung 1.pdf") == (
        "attachment; filename=\"Uberweisung 1.pdf\"; filename*=UTF-8''%C3%9Cberweisung%201.pdf"
    )
    assert content_disposition("plain.pdf", inline=True) == 'inline; filename="plain.pdf"'


@pytest.mark.parametrize(
    ("given_type", "expected"),
    [
        ("application/pdf", "application/pdf"),
        ("Application/PDF; charset=binary", "application/pdf"),
        ("text/html\r\nX-Evil: 1", "application/octet-stream"),
        ("", "application/octet-stream"),
        (None, "application/octet-stream"),
        ("pdf", "application/octet-stream"),
    ],
)
def test_safe_content_type(given_type: object, expected: str) -> None:
    """Only a bare type/subtype passes; anything else is application/octet-stream."""
    assert safe_content_type(given_type) == expected

