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
    hidden_reason,
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



# Rules pinned for mutation testing ----------------------------------------------------


def test_a_kind_with_hidden_statuses_is_not_a_plain_kind() -> None:
    """Sharing a branch with a kind that shows everything does not show quote drafts."""
    kinds = {k.name: k for k in BUILTIN_KINDS}
    rule = visibility_filter([kinds["quote"], kinds["proposal"]], frozenset(), lambda _k: TRUE)
    assert not evaluate(rule, _doc("quote", DRAFT))
    assert evaluate(rule, _doc("quote", "sent"))
    assert evaluate(rule, _doc("proposal", DRAFT))


def test_a_kind_with_shown_statuses_keeps_its_rule_in_a_shared_branch() -> None:
    """Reports sharing a branch with plain kinds still show only when approved."""
    kinds = {k.name: k for k in BUILTIN_KINDS}
    rule = visibility_filter([kinds["report"], kinds["contract"]], frozenset(), lambda _k: TRUE)
    assert evaluate(rule, _doc("report", "approved"))
    assert not evaluate(rule, _doc("report", DRAFT))
    assert evaluate(rule, _doc("contract", DRAFT))


def test_a_new_kind_keeps_the_statuses_it_shows() -> None:
    """A kind built with shown_statuses shows only those (and never a hidden one)."""
    kind = DocumentKind(name="memo", label="Memos", permission="memo.view", feature="memo",
                        shown_statuses=["final", "signed"], hidden_statuses=["signed"])
    assert kind.shown_statuses == {"final", "signed"}
    assert kind.shows_status("final")
    assert not kind.shows_status("signed")
    assert not kind.shows_status("draft")
    registered = KindRegistry().register("memo", shown_statuses=["final"])
    assert registered.shown_statuses == {"final"}


def test_registry_errors_say_what_is_wrong() -> None:
    """A bad kind name and a changed redefinition are ConfigurationErrors with their text."""
    registry = KindRegistry()
    with pytest.raises(ConfigurationError) as bad:
        registry.register("Work Order")
    assert bad.value.message == (
        "Document kinds are lowercase words like 'work_order', not 'Work Order'.")
    with pytest.raises(ConfigurationError) as again:
        registry.register("invoice", label="Bills")
    assert again.value.message == "Document kind 'invoice' is already registered."


def test_resolve_takes_one_name_a_list_or_none() -> None:
    """One kind name is one kind (not its letters); an empty list names no kind."""
    assert default_kinds.resolve("invoice") == (default_kinds.get("invoice"),)
    with pytest.raises(InvalidInputError) as empty:
        default_kinds.resolve([])
    assert empty.value.fields == {"kind": "Name at least one document kind."}


def test_a_kind_name_that_is_not_text_is_unknown() -> None:
    """get() of something that is not a string is the unknown-kind error, never a TypeError."""
    with pytest.raises(InvalidInputError) as caught:
        default_kinds.get(["invoice"])  # type: ignore[arg-type]
    assert caught.value.fields == {"kind": "Unknown document kind."}


@pytest.mark.parametrize(
    ("given_name", "safe"),
    [
        ("a/b/c.pdf", "c.pdf"),
        ("a\\b\\c.pdf", "c.pdf"),
        ("..hidden.pdf", "hidden.pdf"),
        ("Xray. ", "Xray."),
        ("my \u00a0 tax\u2028return.pdf", "my tax return.pdf"),
        ("a.b", "a.b"),
        ("readme", "readme"),
    ],
)
def test_download_filename_drops_directories_leading_dots_and_extra_spaces(
    given_name: str, safe: str
) -> None:
    """The last path part, without leading dots, with one space wherever there was space."""
    assert download_filename(given_name, kind="k", number="n", content_type="") == safe


def test_fallback_stem_keeps_letters_digits_dashes_and_underscores() -> None:
    """Other characters become dashes; dashes at either end are dropped."""
    assert download_filename(None, kind="work_order", number="/A-1X/", content_type="") == (
        "work_order--A-1X")


@pytest.mark.parametrize(
    ("given_name", "safe"),
    [
        ("a" * 150, "a" * 150),
        ("a" * 200, "a" * 150),
        ("a" * 200 + ".x", "a" * 148 + ".x"),
        ("a" * 200 + ".", "a" * 150),
        ("a" * 200 + ".abcdefghij", "a" * 139 + ".abcdefghij"),
        ("a" * 200 + ".abcdefghijk", "a" * 150),
        ("x.y" + "z" * 200 + ".pdf", "x.y" + "z" * 143 + ".pdf"),
    ],
)
def test_long_names_are_cut_to_150_keeping_an_extension_of_1_to_10(
    given_name: str, safe: str
) -> None:
    """Only the last extension counts, and only if it has 1 to 10 characters."""
    assert download_filename(given_name, kind="k", number="n", content_type="") == safe


def test_content_disposition_replaces_unsafe_ascii_and_encodes_everything() -> None:
    """Unsafe characters become "_" in the fallback; filename* percent-encodes even "/"."""
    assert content_disposition('a"b/c.pdf') == (
        "attachment; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%22b%2Fc.pdf")
    assert content_disposition("\u0444\u0430\u0439\u043b") == (
        "attachment; filename=\"download\"; filename*=UTF-8''%D1%84%D0%B0%D0%B9%D0%BB")


def test_content_type_parameters_are_all_dropped() -> None:
    """Everything after the first ";" goes, however many parameters there are."""
    assert safe_content_type("text/plain; charset=utf-8; format=flowed") == "text/plain"


def test_registry_names_are_every_kind() -> None:
    """names() lists every registered kind, built-in or the host's."""
    registry = KindRegistry()
    registry.register("memo")
    assert registry.names() == {*KIND_NAMES, "memo"}


class _Doc:
    """Just what hidden_reason reads: a kind and a status."""

    def __init__(self, kind: object, status: str) -> None:
        self.kind = kind
        self.status = status


@pytest.mark.parametrize(
    ("kind", "status", "disabled", "reason"),
    [
        ("invoice", "sent", frozenset(), None),
        ("report", "approved", frozenset({"quote"}), None),
        ("memo", "sent", frozenset(),
         "documents of kind 'memo' are not in this portal's catalogue."),
        (None, "sent", frozenset(), "documents of kind None are not in this portal's catalogue."),
        ("invoice", "sent", frozenset({"invoice"}),
         "the feature 'invoice' (Invoices) is switched off for this portal."),
        ("report", DRAFT, frozenset(),
         "Reports are shown only in status ['approved']; this one is 'draft'."),
        ("invoice", DRAFT, frozenset(), "Invoices in status 'draft' are never shown to customers."),
    ],
    ids=["shown", "other-feature-off", "unknown-kind", "no-kind", "feature-off",
         "report-not-approved", "invoice-draft"],
)
def test_hidden_reason_says_which_rule_hides_a_document(
    kind: object, status: str, disabled: frozenset[str], reason: str | None
) -> None:
    """Each of the kind/feature/status rules has its own words; a visible kind has none."""
    assert hidden_reason(_Doc(kind, status), default_kinds, disabled) == reason


def test_hidden_reason_lists_only_statuses_that_can_show() -> None:
    """A kind's shown statuses minus its hidden ones, sorted, are what the reason names."""
    kinds = KindRegistry([
        DocumentKind(name="memo", label="Memos", permission="memo.view", feature="memo",
                     shown_statuses={"final", "signed", DRAFT}, hidden_statuses={DRAFT}),
    ])
    assert hidden_reason(_Doc("memo", DRAFT), kinds, frozenset()) == (
        "Memos are shown only in status ['final', 'signed']; this one is 'draft'."
    )
    assert hidden_reason(_Doc("memo", "signed"), kinds, frozenset()) is None


def test_hidden_reason_reads_a_document_without_a_kind_as_unknown() -> None:
    """An object with no kind at all is not in the catalogue, not an error."""
    assert hidden_reason(object(), default_kinds, frozenset()) == (
        "documents of kind None are not in this portal's catalogue."
    )
