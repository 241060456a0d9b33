"""Registration by proof (seed 004): a customer claims their account, then sets a password.

The customer gives the phone number on file and proves it with the email
address and postal code on file; an eligible record that matches gets an
emailed code (or, if the tenant chose the seed's bare match, a notice that
registration has started), and :meth:`RegistrationService.complete_claim`
creates the user and signs in.

What a claimant sees never tells whether a record exists, is eligible or
already has a user: every failure is one generic error, and a record with a
user gets the same answer as a new one while its owner is told by email.
The service shares the identity service's ports, settings, codes and audit.
"""

from __future__ import annotations

import datetime as dt
import hmac
from email.message import EmailMessage

from portalkit._services.account_flow import (
    account_details,
    add_grant,
    check_password,
    hash_password,
    open_account,
)
from portalkit._services.audit import FAILED, SUCCESS, record
from portalkit._services.identity import (
    CLAIM_FAILED,
    CODE_FAILED,
    THROTTLED,
    ClaimTicket,
    IdentityService,
    SignIn,
)
from portalkit._services.second_factor_pending import start_pending
from portalkit._services.throttle import Limit, account_limits, acquire_all, throttle_key
from portalkit.domain.contact import (
    PHONE_FIELD,
    POSTAL_CODE_FIELD,
    normalize_email,
    normalize_postal_code,
    postal_codes_match,
)
from portalkit.domain.events import OutboxEvent
from portalkit.domain.filters import Eq, In
from portalkit.domain.i18n import Msg
from portalkit.domain.identity import (
    CodePurpose,
    ThrottleRule,
    claim_problem,
    code_digest,
    normalize_code,
    read_signed_values,
    sign_values,
)
from portalkit.domain.principals import User
from portalkit.domain.records import CustomerRecord
from portalkit.domain.tenants import Tenant, require_open
from portalkit.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    ThrottledError,
)
from portalkit.ports import UnitOfWork

__all__ = ["ALREADY_REGISTERED", "RegistrationService"]

#: The answer to completing a claim whose record has a user by now.
ALREADY_REGISTERED = "This account is already registered. Please sign in."


class RegistrationService:
    """Registration by proof, on the ports and settings of an :class:`IdentityService`.

    Args:
        identity: The identity service whose storage, hasher, throttle, mailer,
            clock, keys, phone normalizer and :class:`IdentityConfig` it uses.
    """

    def __init__(self, identity: IdentityService) -> None:
        self._identity = identity
        self.config = identity.config
        self._storage = identity._storage
        self._hasher = identity._hasher
        self._throttle = identity._throttle
        self._clock = identity._clock
        self._phones = identity._phones
        self._ticket_keys = identity._ticket_keys
        self._code_key = identity._code_key
        self._new_code = identity._new_code
        self._store_code = identity._store_code
        self._mail_queue = identity.mail_queue
        self._audit_now = identity._audit_now
        self._sign_in = identity._sign_in
        self._mail = identity._mail

    def _email_proof(self, tenant: Tenant) -> bool:
        value = getattr(tenant.settings, "claim_email_proof", None)
        return self.config.claim_email_proof if value is None else bool(value)

    def _claim_inputs(
        self, tenant: Tenant, phone: object, email: object, postal_code: object
    ) -> tuple[str, str, str]:
        if self._phones is None:
            raise ConfigurationError(
                "Registration by phone needs the phonenumbers library: "
                "install it with `pip install portalkit[phone]`."
            )
        fields: dict[str, str] = {}
        e164 = address = postal = ""
        try:
            e164 = self._phones.normalize(str(phone or ""), tenant.settings.default_region)
        except InvalidInputError:
            fields[PHONE_FIELD] = "Enter a valid phone number."
        try:
            address = normalize_email(email)
        except InvalidInputError as exc:
            fields.update(exc.fields)
        if not isinstance(postal_code, str) or not any(
            _postal_ok(postal_code, country)
            for country in (tenant.settings.default_region, "US", "CA", "GB", None)
        ):
            fields[POSTAL_CODE_FIELD] = "Enter a valid postal code."
        else:
            postal = postal_code
        if fields:
            raise InvalidInputError(Msg("form.invalid"), fields=fields)
        return e164, address, postal

    def _records_with_phone(
        self, uow: UnitOfWork, tenant: Tenant, e164: str, typed: str
    ) -> list[CustomerRecord]:
        """Customer records whose phone on file is this number, however it was stored."""
        assert self._phones is not None
        forms = _stored_phone_forms(e164, typed)
        found = []
        for candidate in uow.customers.find(tenant.id, In("phone", sorted(forms)), limit=20):
            try:
                stored = self._phones.normalize(candidate.phone or "", candidate.country)
            except InvalidInputError:
                continue
            if stored == e164:
                found.append(candidate)
        return found

    def _existing_user(
        self, uow: UnitOfWork, tenant: Tenant, record: CustomerRecord, e164: str
    ) -> User | None:
        try:
            address = normalize_email(record.email)
        except InvalidInputError:
            address = None
        # Both lookups always run: a record with a user takes the time of one without.
        by_email = uow.users.get_by_email(tenant.id, address) if address is not None else None
        same_phone = uow.users.find(tenant.id, Eq("phone", e164), limit=1)
        return by_email or (same_phone[0] if same_phone else None)

    def claim(
        self,
        tenant: Tenant,
        *,
        phone: str,
        email: str,
        postal_code: str,
        client_key: str | None = None,
    ) -> ClaimTicket:
        """Start registration by proof (seed 004): phone, plus email and postal code on file.

        Succeeds only for an eligible record (portal on, account customer, a
        contract or quote, contact details on file) whose email and postal
        code match. By default a code is emailed to the address on file, to be
        given to :meth:`complete_claim`; a tenant may accept the bare match,
        after which that address is told that registration has started.

        Raises:
            InvalidInputError: A malformed phone, email or postal code (fields).
            AuthenticationError: One generic failure whichever part was wrong.
            ThrottledError: Too many failed claims for this phone number (from
                this client, or from all together) or from this client.
            ConfigurationError: The portal has no mailer (asked first, for every
                claim: whether a message is due must not change the answer).
        """
        require_open(tenant)
        self._mail.ready(tenant)
        e164, address, postal = self._claim_inputs(tenant, phone, email, postal_code)
        now = self._clock.now()
        with self._storage.unit_of_work(read_only=True) as uow:
            records = self._records_with_phone(uow, tenant, e164, str(phone))
        # Counted on the number claimed, whether or not a record has it.
        limits = account_limits("claim", tenant.id, e164, client_key,
                                per_client=self.config.claim_record,
                                overall=self.config.claim_record_global,
                                client=self.config.claim_client)
        try:
            attempt = acquire_all(self._throttle, limits, now)
        except ThrottledError:
            self._audit_now(tenant, "registration.claim", THROTTLED, None, client_key)
            raise
        matching = [
            r for r in records
            if claim_problem(r) is None
            and _same_email(address, r.email)
            and postal_codes_match(postal, r.postal_code or "", r.country)
        ]
        if len(matching) != 1:
            detail = {"records": str(len(records))}
            if len(records) == 1:
                problem = claim_problem(records[0])
                detail["problem"] = problem.value if problem else "mismatch"
            self._audit_now(tenant, "registration.claim", FAILED, None, client_key, detail)
            raise AuthenticationError(CLAIM_FAILED)
        found = matching[0]
        # Take back this attempt's count; other numbers keep theirs.
        attempt.succeeded()
        proof = self._email_proof(tenant)
        code = self._new_code()
        expires = now + self.config.codes.lifetime
        # The ticket carries its own code's digest, so concurrent claims never
        # replace each other's codes; the bare-match mode needs no code.
        ticket = sign_values(
            self._ticket_keys[0], "claim",
            [tenant.id, found.id, int(now.timestamp()),
             self._proof_digest(tenant, found, code) if proof else ""],
        )
        # Queued in this transaction, sent by the mail queue: a record that has
        # a user (its owner is told) takes the time of one that has none (the
        # address on file gets the code, or in the bare match a notice that
        # registration has started): issue 20, finding 2.
        with self._storage.unit_of_work() as uow:
            owner = self._existing_user(uow, tenant, found, e164)
            if owner is not None:
                message = self._notice_message(tenant, owner)
                outcome = "already_registered"
            else:
                message = (self._claim_message(tenant, found, code) if proof
                           else self._started_message(tenant, found))
                outcome = SUCCESS
            self._mail_queue.enqueue(uow, tenant.id, message, expires_at=expires)
            record(uow, self._clock, tenant_id=tenant.id, action="registration.claim",
                   outcome=outcome, target=f"customer:{found.id}", client_key=client_key)
            uow.commit()
        self._mail_queue.notify()
        return ClaimTicket(ticket=ticket, code_sent=proof, expires_at=expires)

    def complete_claim(
        self,
        tenant: Tenant,
        ticket: str,
        *,
        code: str | None,
        password: str,
        confirmation: str | None,
        client_key: str | None = None,
        user_agent: str | None = None,
    ) -> SignIn:
        """Finish registration by proof: check the emailed code, create the user, sign in.

        The user gets the record's email, phone (E.164) and name, and the
        configured ``claim_role`` at the record's organization; a
        ``registration.completed`` outbox event tells the host.

        The emailed code belongs to its ticket: each claim has its own, so
        claiming again never voids an earlier code, and a new ticket starts
        with a fresh allowance of ``codes.max_attempts`` wrong guesses. A code
        stops working when the record's email address changes. However many
        completions of one record run at once, exactly one creates the user;
        the others raise ConflictError.

        Raises:
            InvalidTokenError: Bad or expired ticket, or a wrong or expired
                code (one message).
            InvalidInputError: The password breaks the policy.
            ThrottledError: Too many wrong codes for this ticket, or attempts
                from this client.
            ConflictError: The record has a user already (this ticket was
                used, or another claim won).
        """
        require_open(tenant)
        try:
            values = read_signed_values(self._ticket_keys, "claim", ticket)
            tenant_id, record_id, issued, proof_digest = values
            issued_at = dt.datetime.fromtimestamp(int(issued), dt.timezone.utc)  # type: ignore[call-overload]
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidTokenError(CODE_FAILED) from exc
        now = self._clock.now()
        if tenant_id != tenant.id or not isinstance(record_id, int) or (
            not isinstance(proof_digest, str) or now - issued_at > self.config.codes.lifetime
        ) or (self._email_proof(tenant) and not proof_digest):
            raise InvalidTokenError(CODE_FAILED)
        with self._storage.unit_of_work(read_only=True) as uow:
            found = uow.customers.get(tenant.id, record_id)
        if found is None or not found.email:
            raise InvalidTokenError(CODE_FAILED)
        check_password(
            password, confirmation, policy=self.config.password_policy,
            context=(tenant.name, found.email, found.name),
        )
        limits = [Limit(throttle_key("claim", tenant.id, "ticket", str(ticket)),
                        self._code_rule())] if proof_digest else []
        if client_key:
            limits.append(Limit(throttle_key("claim", tenant.id, "client", client_key),
                                self.config.claim_client))
        acquire_all(self._throttle, limits, now)
        new_hash = hash_password(password, self._hasher)
        digits = normalize_code(code)
        if proof_digest and (digits is None or not hmac.compare_digest(
            self._proof_digest(tenant, found, digits), proof_digest
        )):
            self._audit_now(tenant, "registration.complete", FAILED, None, client_key,
                            {"customer": str(found.id)})
            raise InvalidTokenError(CODE_FAILED)
        with self._storage.unit_of_work() as uow:
            details = account_details(
                tenant, email=found.email, name=found.name or found.email, phone=found.phone,
                phones=self._phones, region=found.country,
            )
            if self._existing_user(uow, tenant, found, details.phone or "") is not None:
                raise ConflictError(ALREADY_REGISTERED)
            user = open_account(
                uow, self._clock, tenant, details, via="registration", password_hash=new_hash,
                client_key=client_key, detail={"customer": str(found.id)},
            )
            self._grant_claim_role(uow, tenant, found, user)
            uow.outbox.add(OutboxEvent(
                id=0, tenant_id=tenant.id, topic="registration.completed",
                payload={"customer_id": found.id, "external_key": found.external_key,
                         "user_id": user.id},
                created_at=now,
            ))
            record(uow, self._clock, tenant_id=tenant.id, action="registration.complete",
                   actor=user.id, target=f"customer:{found.id}", client_key=client_key)
            # A tenant that requires a second factor of everyone: enrol before any session.
            pending = start_pending(uow, tenant, user, now, key=self._identity._pending_key,
                                    rules=self.config.mfa)
            signed = None if pending else self._sign_in(uow, tenant, user, now, user_agent)
            uow.commit()
        if signed is None:
            assert pending is not None
            raise pending
        return signed

    def _code_rule(self) -> ThrottleRule:
        """Wrong codes allowed per ticket: the code rules' attempts within its lifetime."""
        codes = self.config.codes
        return ThrottleRule(limit=codes.max_attempts, window=codes.lifetime)

    def _proof_digest(self, tenant: Tenant, found: CustomerRecord, code: str) -> str:
        """A claim code's digest, bound to the email address the record has on file."""
        return code_digest(self._code_key, CodePurpose.CLAIM.value, tenant.id, found.id, code,
                           bound_to=normalize_email(found.email))

    def _grant_claim_role(
        self, uow: UnitOfWork, tenant: Tenant, found: CustomerRecord, user: User
    ) -> None:
        if not self.config.claim_role:
            return
        role = uow.roles.get_by_name(tenant.id, self.config.claim_role)
        node = uow.scopes.get(tenant.id, found.organization_id)
        if role is None or node is None:
            raise ConfigurationError(
                f"The registration role {self.config.claim_role!r} or the customer's "
                "organization does not exist."
            )
        # The tenant's own configuration grants here, not a customer: staff-side.
        add_grant(uow, tenant.id, role, node, user_id=user.id)

    def _claim_message(self, tenant: Tenant, found: CustomerRecord, code: str) -> EmailMessage:
        minutes = int(self.config.codes.lifetime.total_seconds() // 60)
        return self._mail.notice(
            tenant, "claim_code", to=found.email or "", code=code, minutes=minutes
        )

    def _started_message(self, tenant: Tenant, found: CustomerRecord) -> EmailMessage:
        # The bare match's counterpart of the code: the address on file learns
        # that its record is being registered, in case the claimant is not its owner.
        minutes = int(self.config.codes.lifetime.total_seconds() // 60)
        return self._mail.notice(tenant, "claim_started", to=found.email or "", minutes=minutes)

    def _notice_message(self, tenant: Tenant, owner: User) -> EmailMessage:
        # To the owner, who may not be the claimant: the tenant's language.
        return self._mail.notice(
            tenant, "claim_notice", to=owner.email, locale=tenant.settings.locale
        )


def _stored_phone_forms(e164: str, typed: str) -> list[str]:
    """Spellings a host may have stored a number in (E.164 is the one to prefer).

    Customer records come from the host's ERP as typed there; the claim looks
    them up by these forms and then confirms by normalizing the stored value.
    """
    digits = "".join(ch for ch in typed if ch.isdigit())
    forms = {e164, e164.lstrip("+"), typed.strip(), digits}
    if e164.startswith("+1") and len(e164) == 12:
        n = e164[2:]
        a, b, c = n[:3], n[3:6], n[6:]
        forms |= {
            n, f"1{n}", f"({a}) {b}-{c}", f"({a}){b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}",
            f"{a} {b} {c}", f"+1 {a} {b} {c}", f"+1 ({a}) {b}-{c}", f"+1-{a}-{b}-{c}",
            f"1-{a}-{b}-{c}", f"+1.{a}.{b}.{c}",
        }
    else:
        forms.add("0" + e164[3:])  # a common national trunk prefix form
    return sorted(forms)


def _postal_ok(value: str, country: str | None) -> bool:
    try:
        normalize_postal_code(value, country)
    except InvalidInputError:
        return False
    return True


def _same_email(given: str, on_file: str | None) -> bool:
    try:
        stored = normalize_email(on_file)
    except InvalidInputError:
        return False
    return hmac.compare_digest(given.encode(), stored.encode())
