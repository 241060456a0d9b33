"""Documents for customers: visibility, lists, detail, downloads and share links.

Runs on memory, SQLite and PostgreSQL (the ``portal`` fixture); statement
counts are checked on the SQL adapters with an event listener.
"""

from __future__ import annotations

import datetime as dt
import itertools

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portalkit
from portalkit._services.policy import load_policy
from portalkit.domain.documents import BUILTIN_KINDS, visibility_filter
from portalkit.domain.filters import FALSE, Filter, ScopeUnder, any_of, evaluate
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.errors import (
    AlreadyUsedError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    TokenExpiredError,
)
from tests.services.documents_world import World, build_world, count_statements


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """The documents world on each storage adapter."""
    return build_world(portal)


def _all_ids(world: World, who: Principal, **kwargs: object) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        page = world.documents.list(who, size=4, cursor=cursor, **kwargs)  # type: ignore[arg-type]
        ids.extend(d.id for d in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return ids


# Visibility ------------------------------------------------------------------
def test_each_user_sees_exactly_their_visible_documents(world: World) -> None:
    """Ann sees City Fleet, Dan North, Hal Harbour; never drafts or unapproved reports."""
    assert set(_all_ids(world, world.who("ann"))) == world.visible_docs("north", "south")
    assert set(_all_ids(world, world.who("dan"))) == world.visible_docs("north")
    assert set(_all_ids(world, world.who("hal"))) == world.visible_docs("quay")


def test_staff_without_grants_see_nothing(world: World) -> None:
    """Deny by default: a user without grants (even staff) lists no documents."""
    assert world.documents.list(world.who("sam")).items == ()
    assert world.documents.count(world.who("sam")) == 0


def test_detail_is_visible_exactly_when_listed(world: World) -> None:
    """For every document and user, get() succeeds exactly for listed documents."""
    for name in ("ann", "dan", "hal", "sam"):
        who = world.who(name)
        listed = set(_all_ids(world, who))
        for document in world.docs:
            if document.id in listed:
                assert world.documents.get(who, document.id).id == document.id
            else:
                with pytest.raises(NotFoundError) as caught:
                    world.documents.get(who, document.id)
                assert caught.value.message == "Not found."


def test_not_yours_is_the_same_answer_as_not_there(world: World) -> None:
    """Another customer's document id and a missing id raise the same NotFoundError."""
    foreign = next(d for d in world.docs if d.scope_path.startswith(world.sites["quay"].path))
    errors = []
    for doc_id in (foreign.id, 10_000_000):
        with pytest.raises(NotFoundError) as caught:
            world.documents.get(world.who("ann"), doc_id)
        errors.append((type(caught.value), caught.value.code, caught.value.message))
    assert errors[0] == errors[1]


def test_kind_switched_off_for_the_tenant_disappears(world: World) -> None:
    """disabled_features={"invoice"} hides invoices from lists, counts and detail."""
    invoice = next(
        d for d in world.docs
        if d.kind == "invoice" and d.status == "paid"
        and d.scope_path.startswith(world.sites["north"].path)
    )
    assert world.documents.get(world.who("ann"), invoice.id)
    with world.portal.admin() as admin:
        admin.update_settings(disabled_features={"invoice"})
    assert world.documents.count(world.who("ann"), kind="invoice") == 0
    assert all(d.kind != "invoice" for d in world.documents.list(world.who("ann"), size=200))
    with pytest.raises(NotFoundError):
        world.documents.get(world.who("ann"), invoice.id)


def test_filters_by_kind_status_number_and_dates(world: World) -> None:
    """kind, status, number and the issue date range narrow the list."""
    ann = world.who("ann")
    invoices = world.documents.list(ann, kind="invoice", size=200)
    assert {d.kind for d in invoices} == {"invoice"}
    assert len(invoices) == 4
    paid = world.documents.list(ann, kind=["invoice", "quote"], status="paid", size=200)
    assert {(d.kind, d.status) for d in paid} == {("invoice", "paid")}
    one = invoices.items[0]
    assert [d.id for d in world.documents.list(ann, number=one.number)] == [one.id]
    day = one.issued_on
    assert day is not None
    dated = world.documents.list(ann, issued_from=day, issued_to=day, size=200)
    assert dated.items
    assert all(d.issued_on == day for d in dated)


def test_latest_widget_uses_the_same_rule(world: World) -> None:
    """latest() gives the newest visible documents, in list order."""
    ann = world.who("ann")
    assert world.documents.latest(ann, limit=3) == list(world.documents.list(ann, size=3).items)
    with pytest.raises(InvalidInputError):
        world.documents.latest(ann, limit=21)


# Bad input -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "recipe"}, "kind"),
        ({"kind": []}, "kind"),
        ({"size": 201}, "size"),
        ({"size": 0}, "size"),
        ({"sort": "title"}, "sort"),
        ({"sort": "-scope_path"}, "sort"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "e30.AAAAAAAAAAAAAAAAAAAAAA"}, "cursor"),
        ({"issued_from": dt.date(2026, 2, 1), "issued_to": dt.date(2026, 1, 1)}, "issued_to"),
    ],
)
def test_bad_list_input_is_a_typed_error(
    world: World, kwargs: dict[str, object], field: str
) -> None:
    """Unknown kinds, oversize pages, bad sorts and malformed cursors are InvalidInputError."""
    with pytest.raises(InvalidInputError) as caught:
        world.documents.list(world.who("ann"), **kwargs)  # type: ignore[arg-type]
    assert field in caught.value.fields


def test_foreign_cursor_is_refused(world: World) -> None:
    """A cursor made for Ann's list is refused for Dan, for another filter and another sort."""
    page = world.documents.list(world.who("ann"), size=2)
    assert page.next_cursor is not None
    for who, kwargs in (
        (world.who("dan"), {}),
        (world.who("ann"), {"kind": "invoice"}),
        (world.who("ann"), {"sort": "number"}),
    ):
        with pytest.raises(InvalidInputError) as caught:
            world.documents.list(who, size=2, cursor=page.next_cursor, **kwargs)  # type: ignore[arg-type]
        assert "cursor" in caught.value.fields


@pytest.mark.parametrize("sort", ["-issued_on", "issued_on", "number", "-number", "id", "-id"])
def test_pages_cover_the_list_once_in_a_stable_order(world: World, sort: str) -> None:
    """Walking pages of 3 gives every visible document once, in the one-page order."""
    ann = world.who("ann")
    whole = [d.id for d in world.documents.list(ann, size=200, sort=sort)]
    walked: list[int] = []
    cursor = None
    while True:
        page = world.documents.list(ann, size=3, sort=sort, cursor=cursor)
        walked.extend(d.id for d in page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == whole
    assert len(set(walked)) == len(walked)


def test_a_document_added_meanwhile_does_not_shift_pages(world: World) -> None:
    """Keyset pages: inserting a newer document does not repeat or skip older ones."""
    ann = world.who("ann")
    first = world.documents.list(ann, size=5, sort="-id")
    with world.portal.admin() as admin:
        admin.add_document(kind="invoice", status="paid", number="NEW", scope=world.sites["north"])
    second = world.documents.list(ann, size=5, sort="-id", cursor=first.next_cursor)
    assert not {d.id for d in first} & {d.id for d in second}
    assert max(d.id for d in second) < min(d.id for d in first)


# Statement counts ------------------------------------------------------------
def test_a_list_page_is_one_statement(world: World) -> None:
    """With the request's policy loaded, a page is ONE statement; a total adds one."""
    ann = world.who("ann")
    with world.portal.storage.unit_of_work() as uow:
        policy = load_policy(uow, ann)
    first = world.documents.list(ann, size=2, policy=policy)
    if not hasattr(world.portal.storage, "engine"):
        pytest.skip("statement counts apply to SQL storage")
    with count_statements(world.portal) as statements:
        world.documents.list(ann, size=2, cursor=first.next_cursor, policy=policy)
    assert len(statements) == 1, statements
    with count_statements(world.portal) as statements:
        page = world.documents.list(ann, size=2, with_total=True, policy=policy)
    assert len(statements) == 2, statements
    assert page.total == len(world.visible_docs("north", "south"))
    for call in (
        lambda: world.documents.count(ann, policy=policy),
        lambda: world.documents.get(ann, page.items[0].id, policy=policy),
        lambda: world.documents.latest(ann, policy=policy),
    ):
        with count_statements(world.portal) as statements:
            call()
        assert len(statements) == 1, statements


# Downloads -------------------------------------------------------------------
def test_download_token_gives_the_file_with_a_safe_header(world: World) -> None:
    """A download token opens the host's bytes with an RFC 6266 attachment header."""
    ann = world.who("ann")
    document = world.documents.list(ann, kind="invoice").items[0]
    token = world.documents.download_token(ann, document.id)
    download = world.documents.open_download(ann, token, client_key="203.0.113.9")
    assert download.data == world.source.files[document.id]
    assert download.content_type == "application/pdf"
    assert download.content_disposition == f'attachment; filename="{document.filename}"'
    with world.portal.storage.unit_of_work() as uow:
        entries = uow.audit.find(world.tenant_id, order_by=("-id",), limit=1)
    assert entries[0].action == "document.download"
    assert entries[0].outcome == "success"
    assert entries[0].client_key == "203.0.113.9"
    assert token not in repr(entries[0])


def test_download_token_is_bound_to_its_principal(world: World) -> None:
    """Dan cannot use Ann's token, even for a document Dan may see."""
    ann, dan = world.who("ann"), world.who("dan")
    document = world.documents.list(dan).items[0]
    token = world.documents.download_token(ann, document.id)
    with pytest.raises(InvalidTokenError):
        world.documents.open_download(dan, token)


def test_download_token_expires_after_five_minutes(world: World) -> None:
    """By default a download token lives 5 minutes."""
    ann = world.who("ann")
    document = world.documents.list(ann).items[0]
    token = world.documents.download_token(ann, document.id)
    world.clock.advance(minutes=4, seconds=59)
    world.documents.open_download(ann, token)
    world.clock.advance(seconds=2)
    with pytest.raises(TokenExpiredError):
        world.documents.open_download(ann, token)


def test_tampered_download_token_is_invalid(world: World) -> None:
    """A changed character makes the token invalid."""
    ann = world.who("ann")
    token = world.documents.download_token(ann, world.documents.list(ann).items[0].id)
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(InvalidTokenError):
        world.documents.open_download(ann, changed)


def test_download_rechecks_visibility_when_opened(world: World) -> None:
    """A document turned back to draft (or moved out of scope) after signing is refused."""
    ann, dan = world.who("ann"), world.who("dan")
    invoice = next(d for d in world.documents.list(dan, kind="invoice", size=200))
    token_ann = world.documents.download_token(ann, invoice.id)
    token_ann_again = world.documents.download_token(ann, invoice.id)
    token_dan = world.documents.download_token(dan, invoice.id)
    with world.portal.storage.unit_of_work() as uow:
        uow.documents.update(
            attrs.evolve(
                invoice,
                scope_id=world.sites["south"].id,
                scope_path=world.sites["south"].path,
            )
        )
        uow.commit()
    with pytest.raises(NotFoundError):
        world.documents.open_download(dan, token_dan)  # moved out of Dan's scope
    assert world.documents.open_download(ann, token_ann).document.id == invoice.id
    with world.portal.storage.unit_of_work() as uow:
        current = uow.documents.get(world.tenant_id, invoice.id)
        assert current is not None
        uow.documents.update(attrs.evolve(current, status="draft"))
        uow.commit()
    with pytest.raises(NotFoundError):
        world.documents.open_download(ann, token_ann_again)
    with world.portal.storage.unit_of_work() as uow:
        denied = uow.audit.find(world.tenant_id, order_by=("-id",), limit=1)[0]
    assert (denied.action, denied.outcome) == ("document.download", "denied")


def test_a_download_token_works_once_and_in_its_session_only(world: World) -> None:
    """Issue 20, finding 9: a token copied from a log or history is worth nothing."""
    ann = world.who("ann")
    document = world.documents.list(ann).items[0]
    token = world.documents.download_token(ann, document.id, session="browser-1")
    with pytest.raises(InvalidTokenError):
        world.documents.open_download(ann, token)  # outside any session
    with pytest.raises(InvalidTokenError):
        world.documents.open_download(ann, token, session="browser-2")
    assert world.documents.open_download(ann, token, session="browser-1").document == document
    with pytest.raises(AlreadyUsedError):
        world.documents.open_download(ann, token, session="browser-1")


def test_a_direct_download_needs_no_token_and_is_audited(world: World) -> None:
    """The button's POST answers the file itself; not yours and not there are alike."""
    ann, hal = world.who("ann"), world.who("hal")
    document = world.documents.list(ann).items[0]
    download = world.documents.download(ann, document.id, client_key="203.0.113.9")
    assert download.data == world.source.files[document.id]
    for who, document_id in ((hal, document.id), (ann, 987_654), (ann, -1)):
        with pytest.raises(NotFoundError):
            world.documents.download(who, document_id)
    with world.portal.storage.unit_of_work() as uow:
        entries = uow.audit.find(world.tenant_id, order_by=("-id",), limit=3)
    assert [(e.action, e.outcome) for e in entries] == [
        ("document.download", "denied"), ("document.download", "denied"),
        ("document.download", "success"),
    ]


def test_download_token_for_invisible_document_is_not_issued(world: World) -> None:
    """No token is signed for a document the principal cannot see."""
    draft = next(d for d in world.docs if d.status == "draft")
    with pytest.raises(NotFoundError):
        world.documents.download_token(world.who("ann"), draft.id)


def test_unsafe_host_filenames_are_made_safe(world: World) -> None:
    """Directories, quotes and non-ASCII letters in the host's file name are neutralized."""
    with world.portal.admin() as admin:
        document = admin.add_document(
            kind="invoice", status="paid", number="X-1", scope=world.sites["north"],
            filename='../../etc/Rechnung "März".pdf',
        )
    world.source.files[document.id] = b"%PDF"
    ann = world.who("ann")
    download = world.documents.open_download(ann, world.documents.download_token(ann, document.id))
    assert download.filename == 'Rechnung "März".pdf'
    assert download.content_disposition == (
        "attachment; filename=\"Rechnung _Marz_.pdf\"; "
        "filename*=UTF-8''Rechnung%20%22M%C3%A4rz%22.pdf"
    )


# Share links ------------------------------------------------------------------
def test_share_link_opens_one_document_for_its_recipient(world: World) -> None:
    """A customer shares a visible document; the link views and downloads it, audited."""
    ann = world.who("ann")
    document = world.documents.list(ann, kind="invoice").items[0]
    created = world.documents.share(ann, document.id, recipient="Bob@Example.org")
    assert len(created.secret) >= 22
    assert created.link.recipient == "bob@example.org"
    assert created.secret not in created.link.secret_hash
    assert world.documents.open_share(world.tenant_id, created.secret).id == document.id
    download = world.documents.download_shared(world.tenant_id, created.secret)
    assert download.data == world.source.files[document.id]
    with world.portal.storage.unit_of_work() as uow:
        actions = [e.action for e in uow.audit.find(world.tenant_id, order_by=("id",))]
    assert actions[-3:] == ["document.share", "document.share.view", "document.share.download"]


def test_share_link_secret_is_stored_only_as_a_keyed_hash(world: World) -> None:
    """The stored link holds an HMAC of the secret, not the secret."""
    ann = world.who("ann")
    document = world.documents.list(ann).items[0]
    created = world.documents.share(ann, document.id, recipient="bob@example.org")
    with world.portal.storage.unit_of_work() as uow:
        stored = uow.share_links.get(world.tenant_id, created.link.id)
    assert stored is not None
    assert created.secret not in repr(stored)
    assert len(stored.secret_hash) == 64


def test_shared_draft_stays_invisible(world: World) -> None:
    """A shared document that goes back to draft is invisible through the link too."""
    ann = world.who("ann")
    document = world.documents.list(ann, kind="invoice").items[0]
    created = world.documents.share(ann, document.id, recipient="bob@example.org")
    with world.portal.storage.unit_of_work() as uow:
        uow.documents.update(attrs.evolve(document, status="draft"))
        uow.commit()
    with pytest.raises(NotFoundError):
        world.documents.open_share(world.tenant_id, created.secret)


def test_customer_link_dies_with_the_customers_access(world: World) -> None:
    """A customer's link stops working when the customer can no longer see the document."""
    dan = world.who("dan")
    document = world.documents.list(dan).items[0]
    created = world.documents.share(dan, document.id, recipient="bob@example.org")
    with world.portal.admin() as admin:
        admin.set_user_active(world.users["dan"], False)
    with pytest.raises(NotFoundError):
        world.documents.open_share(world.tenant_id, created.secret)


def test_share_link_allows_only_named_actions(world: World) -> None:
    """A view-only link cannot download."""
    ann = world.who("ann")
    document = world.documents.list(ann).items[0]
    created = world.documents.share(ann, document.id, recipient="b@example.org", actions=["view"])
    world.documents.open_share(world.tenant_id, created.secret)
    with pytest.raises(PermissionDeniedError):
        world.documents.download_shared(world.tenant_id, created.secret)


def test_share_link_expires_and_can_be_revoked(world: World) -> None:
    """Links expire after their lifetime and stop at once when revoked."""
    ann = world.who("ann")
    document = world.documents.list(ann).items[0]
    short = world.documents.share(
        ann, document.id, recipient="b@example.org", expires_in=dt.timedelta(hours=1)
    )
    other = world.documents.share(ann, document.id, recipient="c@example.org")
    world.clock.advance(hours=1)
    with pytest.raises(TokenExpiredError):
        world.documents.open_share(world.tenant_id, short.secret)
    listed = world.documents.shares(ann, document.id)
    assert {s.id for s in listed} == {short.link.id, other.link.id}
    revoked = world.documents.revoke_share(ann, other.link.id)
    assert revoked.revoked_at == world.clock.now()
    with pytest.raises(InvalidTokenError):
        world.documents.open_share(world.tenant_id, other.secret)
    with pytest.raises(InvalidTokenError):
        world.documents.open_share(world.tenant_id, "not-a-real-link-secret-at-all")


def test_sharing_needs_visibility_and_permission(world: World) -> None:
    """Not-visible documents are NotFound; a customer without document.share is denied."""
    draft = next(d for d in world.docs if d.status == "draft")
    with pytest.raises(NotFoundError):
        world.documents.share(world.who("ann"), draft.id, recipient="b@example.org")
    with world.portal.admin() as admin:
        admin.define_role("reader", ["invoice.view"])
        reader = admin.create_user("rita@example.com", "Rita")
        admin.grant(reader, "reader", scope=world.orgs["city"])
    rita = Principal(tenant_id=world.tenant_id, kind=PrincipalKind.USER, user_id=reader.id)
    invoice = world.documents.list(rita).items[0]
    with pytest.raises(PermissionDeniedError):
        world.documents.share(rita, invoice.id, recipient="b@example.org")
    with pytest.raises(InvalidInputError):
        world.documents.share(world.who("ann"), invoice.id, recipient="not an email")
    with pytest.raises(InvalidInputError):
        world.documents.share(world.who("ann"), invoice.id, recipient="b@example.org", actions=[])
    with pytest.raises(InvalidInputError):
        world.documents.share(
            world.who("ann"), invoice.id, recipient="b@example.org",
            expires_in=dt.timedelta(days=91),
        )


def test_staff_share_any_visible_document_and_see_every_link(world: World) -> None:
    """Staff share without grants (drafts still refused) and list/revoke everyone's links."""
    sam, ann = world.who("sam"), world.who("ann")
    quay_invoice = next(
        d for d in world.docs
        if d.kind == "invoice" and d.status == "paid"
        and d.scope_path.startswith(world.sites["quay"].path)
    )
    created = world.documents.share(sam, quay_invoice.id, recipient="b@example.org")
    assert created.link.created_by_staff
    assert world.documents.open_share(world.tenant_id, created.secret).id == quay_invoice.id
    draft = next(d for d in world.docs if d.status == "draft")
    with pytest.raises(NotFoundError):
        world.documents.share(sam, draft.id, recipient="b@example.org")
    north_doc = world.documents.list(ann).items[0]
    ann_link = world.documents.share(ann, north_doc.id, recipient="c@example.org")
    assert [s.id for s in world.documents.shares(sam, north_doc.id)] == [ann_link.link.id]
    with pytest.raises(NotFoundError):
        world.documents.revoke_share(world.who("dan"), ann_link.link.id)
    world.documents.revoke_share(sam, ann_link.link.id)


def test_a_share_link_stops_when_its_creator_is_disabled(world: World) -> None:
    """A staff member's link dies with their account (issue 20, finding 10), and revives."""
    sam = world.who("sam")
    paid = next(d for d in world.docs if d.kind == "invoice" and d.status == "paid")
    created = world.documents.share(sam, paid.id, recipient="b@example.org")
    with world.portal.admin() as admin:
        admin.set_user_active(world.users["sam"], False)
    with pytest.raises(NotFoundError):
        world.documents.open_share(world.tenant_id, created.secret)
    with pytest.raises(NotFoundError):
        world.documents.download_shared(world.tenant_id, created.secret)
    with world.portal.admin() as admin:
        admin.set_user_active(world.users["sam"], True)
    assert world.documents.open_share(world.tenant_id, created.secret).id == paid.id


# The rule in Python equals the rule in SQL -------------------------------------
_KIND_NAMES = [k.name for k in BUILTIN_KINDS]


@st.composite
def _rules(draw: st.DrawFn, paths: list[str]) -> Filter:
    """A visibility filter: some kinds, some switched off, per-kind scope paths."""
    kinds = draw(st.lists(st.sampled_from(BUILTIN_KINDS), unique=True, max_size=6))
    disabled = frozenset(draw(st.lists(st.sampled_from(_KIND_NAMES), max_size=3)))
    scopes = {
        k.name: draw(st.lists(st.sampled_from(paths), max_size=3))
        for k in BUILTIN_KINDS
    }

    def scope(kind: object) -> Filter:
        chosen = scopes[getattr(kind, "name")]  # noqa: B009
        return any_of(*(ScopeUnder(p) for p in chosen)) if chosen else FALSE

    return visibility_filter(kinds, disabled, scope)


def test_visibility_rule_in_python_equals_sql(world: World) -> None:
    """For generated rules, the adapter's answer equals evaluate() on every document."""
    paths = sorted(
        {n.path for n in itertools.chain(world.orgs.values(), world.divisions.values(),
                                         world.sites.values())}
    )
    with world.portal.storage.unit_of_work() as uow:
        every = uow.documents.find(world.tenant_id)

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(rule=_rules(paths))
    def check(rule: Filter) -> None:
        expected = sorted(d.id for d in every if evaluate(rule, d))
        with world.portal.storage.unit_of_work() as uow:
            got = sorted(d.id for d in uow.documents.find(world.tenant_id, rule))
            assert uow.documents.count(world.tenant_id, rule) == len(expected)
        assert got == expected

    check()


@pytest.mark.parametrize("sort", ["issued_on", "-issued_on", "total_cents", "-total_cents"])
def test_pages_with_missing_values_sort_them_last(world: World, sort: str) -> None:
    """Documents without an issue date or total come last both ways, and pages still cover all."""
    with world.portal.admin() as admin:
        for n in range(5):
            admin.add_document(
                kind="invoice", status="paid", number=f"NULL-{n}", scope=world.sites["north"],
                total_cents=None if n % 2 else n,
            )
    dan = world.who("dan")
    whole = world.documents.list(dan, size=200, sort=sort).items
    field = sort.lstrip("-")
    values = [getattr(d, field) for d in whole]
    first_null = next(i for i, v in enumerate(values) if v is None)
    assert all(v is None for v in values[first_null:])
    walked: list[int] = []
    cursor = None
    while True:
        page = world.documents.list(dan, size=2, sort=sort, cursor=cursor)
        walked.extend(d.id for d in page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == [d.id for d in whole]


def test_switching_a_kind_off_closes_downloads_and_links(world: World) -> None:
    """A token or share link of an invoice stops working once invoices are switched off."""
    ann = world.who("ann")
    invoice = world.documents.list(ann, kind="invoice").items[0]
    token = world.documents.download_token(ann, invoice.id)
    created = world.documents.share(ann, invoice.id, recipient="bob@example.org")
    with world.portal.admin() as admin:
        admin.update_settings(disabled_features={"invoice"})
    with pytest.raises(NotFoundError):
        world.documents.open_download(ann, token)
    with pytest.raises(NotFoundError):
        world.documents.open_share(world.tenant_id, created.secret)


def test_host_defined_kind_goes_through_the_same_rule(portal: portalkit.Portal) -> None:
    """A host kind with its own permission (both configured) is listed like a built-in one."""
    from portalkit.domain.documents import KindRegistry  # noqa: PLC0415
    from portalkit.perms import Permission  # noqa: PLC0415

    kinds = KindRegistry()
    kinds.register("work_order", label="Work orders")
    config = portalkit.PortalConfig(
        permissions=portalkit.perms.catalogue(
            Permission("work_order.view", label="Work Orders View")
        ),
        document_kinds=kinds,
    )
    portal = portalkit.Portal(
        portal.storage, secret_key="k" * 32, clock=portal.clock, config=config
    )
    world = build_world(portal, kinds=kinds)
    with portal.admin() as admin:
        admin.define_role("orders", ["work_order.view"])
        admin.grant(world.users["dan"], "orders", scope=world.divisions["north"])
        shown = admin.add_document(
            kind="work_order", status="open", number="WO-1", scope=world.sites["north"]
        )
        admin.add_document(
            kind="work_order", status="draft", number="WO-2", scope=world.sites["north"]
        )
        admin.add_document(
            kind="work_order", status="open", number="WO-3", scope=world.sites["south"]
        )
    dan = world.who("dan")
    assert [d.id for d in portal.documents.list(dan, kind="work_order")] == [shown.id]
    assert portal.documents.get(dan, shown.id) == shown
    with pytest.raises(InvalidInputError):
        portal.documents.list(dan, kind="recipe")
    assert not portalkit.perms.is_known("work_order.view")  # the built-ins are untouched
