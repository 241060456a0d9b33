"""The password policy (NIST SP 800-63B revision 4, section 3.1.1.2).

What the policy asks, and nothing more:

- at least :attr:`PasswordPolicy.min_length` characters (15 by default, never
  configurable below 8), counted after NFKC normalization;
- at least 64 characters are always allowed; anything over
  :data:`MAX_PASSWORD_CHARS` (1,024) is rejected before it is hashed;
- no composition rules (no "one digit, one symbol"), any Unicode is allowed,
  spaces included;
- not a commonly used password (a blocklist, see :mod:`portalkit.data`), not a
  repetition or a plain sequence ("aaaa…", "1234…"), and not padded out to the
  minimum length with a context word (the portal's name, the user's email or
  name);
- the password and its confirmation match.

The rules are available as data (:meth:`PasswordPolicy.rules`) and as display
text (:meth:`PasswordPolicy.rules_text`) for a sign-up page; a rejection is an
:class:`~portalkit.errors.InvalidInputError` whose ``fields`` say which field
failed and why. Passwords are NFKC-normalized (:func:`normalize_password`)
before checking and before hashing, so the same password typed on two keyboards
gives the same hash.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Container, Iterable

import attrs

from portalkit.domain.i18n import Msg
from portalkit.errors import ConfigurationError, InvalidInputError

__all__ = [
    "CONFIRMATION_FIELD",
    "MAX_PASSWORD_CHARS",
    "MIN_ALLOWED_MAX_LENGTH",
    "MIN_ALLOWED_MIN_LENGTH",
    "MIN_CONTEXT_WORD",
    "PASSWORD_FIELD",
    "PasswordPolicy",
    "PasswordRule",
    "context_words_of",
    "normalize_password",
]

#: The field name a rejected password is reported under.
PASSWORD_FIELD = "password"  # noqa: S105 (a field name)
#: The field name a mismatched confirmation is reported under.
CONFIRMATION_FIELD = "password_confirmation"
#: Longer input is rejected before any hashing (denial-of-service guard).
MAX_PASSWORD_CHARS = 1024
#: The lowest minimum length a tenant may configure (NIST: 8 with MFA at most).
MIN_ALLOWED_MIN_LENGTH = 8
#: NIST: verifiers SHOULD permit at least 64 characters.
MIN_ALLOWED_MAX_LENGTH = 64
#: Context words shorter than this are ignored (too many false rejections).
MIN_CONTEXT_WORD = 4

_WORD_SPLIT = re.compile(r"[\W_]+", re.UNICODE)


def normalize_password(password: str) -> str:
    """The NFKC normalization of *password*, as hashed and checked.

    Case and spaces are kept: they are part of the password.
    """
    return unicodedata.normalize("NFKC", password)


def _folded(text: str) -> str:
    """Case-folded letters and digits only, for comparisons with lists and context."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def context_words_of(*texts: str | None) -> tuple[str, ...]:
    """Split names, emails and the portal's name into context words to avoid.

    ``"ann.lee@city.example"`` gives ``("annlee", "ann", "lee", "city", "example")``
    minus words shorter than four characters. Duplicates are dropped.
    """
    words: list[str] = []
    for text in texts:
        if not text:
            continue
        local, at, _ = text.partition("@")
        if at:
            words.append(_folded(local))
        words.append(_folded(text))
        words.extend(_folded(part) for part in _WORD_SPLIT.split(text))
    return tuple(dict.fromkeys(w for w in words if len(w) >= MIN_CONTEXT_WORD))


def _is_repetitive(folded: str) -> bool:
    """A repeated unit of at most four characters, a plain sequence, or a repeat of either."""
    n = len(folded)
    if n >= 4:
        steps = {ord(b) - ord(a) for a, b in itertools.pairwise(folded)}
        if steps in ({1}, {-1}):
            return True
    for unit in range(1, n // 2 + 1):
        if n % unit == 0 and folded == folded[:unit] * (n // unit):
            return unit <= 4 or _is_repetitive(folded[:unit])
    return False


@attrs.frozen
class PasswordRule:
    """One rule of the policy, as data for a sign-up page or an API.

    Attributes:
        code: A stable name (``"min_length"``, ``"max_length"``, ``"not_common"``,
            ``"not_context"``, ``"not_repetitive"``, ``"confirmation"``).
        text: The rule in words, for display.
        value: The rule's number where it has one (a length), else None.
    """

    code: str
    text: str
    value: int | None = None


def _check_min_length(_: object, __: object, value: int) -> None:
    if value < MIN_ALLOWED_MIN_LENGTH:
        raise ConfigurationError(
            f"The minimum password length cannot be below {MIN_ALLOWED_MIN_LENGTH}."
        )


def _check_max_length(instance: PasswordPolicy, _: object, value: int) -> None:
    if not MIN_ALLOWED_MAX_LENGTH <= value <= MAX_PASSWORD_CHARS:
        raise ConfigurationError(
            f"The maximum password length must be between {MIN_ALLOWED_MAX_LENGTH} "
            f"and {MAX_PASSWORD_CHARS}."
        )
    if value < instance.min_length:
        raise ConfigurationError("The maximum password length is below the minimum.")


@attrs.frozen(kw_only=True)
class PasswordPolicy:
    """The password rules of a portal (NIST SP 800-63B rev. 4).

    Args:
        min_length: Fewest characters (after NFKC); default 15, never below 8.
        max_length: Most characters accepted; at least 64, at most 1,024.
        blocklist: Common passwords in lower case (:data:`portalkit.data.COMMON_PASSWORDS`
            is the packaged list); any container. A password matches when its
            case-folded form, or that form with everything but letters and
            digits removed, is in it.
        context_words: Words every password of this portal must not lean on
            (the portal's name); per-user words are passed to :meth:`check`.
    """

    min_length: int = attrs.field(default=15, validator=_check_min_length)
    max_length: int = attrs.field(default=MAX_PASSWORD_CHARS, validator=_check_max_length)
    blocklist: Container[str] = attrs.field(default=frozenset(), eq=False, repr=False)
    context_words: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def rules(self) -> tuple[PasswordRule, ...]:
        """The rules as data, in the order they are checked."""
        return (
            PasswordRule(
                "min_length", Msg("password.rule.min_length", min=self.min_length), self.min_length
            ),
            PasswordRule(
                "max_length", Msg("password.rule.max_length", max=self.max_length), self.max_length
            ),
            *(
                PasswordRule(code, Msg(f"password.rule.{code}"))
                for code in (
                    "no_composition",
                    "not_common",
                    "not_repetitive",
                    "not_context",
                    "confirmation",
                )
            ),
        )

    def rules_text(self) -> list[str]:
        """The rules as sentences for the sign-up page (seed 003 shows them)."""
        return [rule.text for rule in self.rules()]

    def problem(
        self, password: str, context_words: Iterable[str] = ()
    ) -> PasswordRule | None:
        """The first rule *password* breaks, or None if it is acceptable.

        The confirmation is not looked at here; see :meth:`check`.
        """
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
            return self._rule("max_length")
        normalized = normalize_password(password)
        length = len(normalized)
        if length < self.min_length:
            return self._rule("min_length")
        if length > self.max_length:
            return self._rule("max_length")
        folded = _folded(normalized)
        if folded in self.blocklist or normalized.casefold() in self.blocklist:
            return self._rule("not_common")
        if _is_repetitive(folded) or _is_repetitive(normalized.casefold()):
            return self._rule("not_repetitive")
        for raw in (*self.context_words, *context_words):
            word = _folded(raw)
            if len(word) >= MIN_CONTEXT_WORD and word in folded:
                rest = folded.replace(word, "")
                if len(rest) < self.min_length // 2 or rest in self.blocklist:
                    return self._rule("not_context")
        return None

    def check(
        self,
        password: str,
        confirmation: str | None = None,
        context_words: Iterable[str] = (),
    ) -> None:
        """Raise InvalidInputError unless *password* meets the policy.

        Args:
            password: The new password as typed.
            confirmation: The second copy, if the form has one; it must be equal
                after NFKC normalization.
            context_words: Words of this user (see :func:`context_words_of`).

        Raises:
            InvalidInputError: ``fields`` maps ``"password"`` to the broken rule's
                reason and/or ``"password_confirmation"`` to "do not match".
        """
        fields: dict[str, str] = {}
        broken = self.problem(password, context_words)
        if broken is not None:
            fields[PASSWORD_FIELD] = self._reason(broken)
        if confirmation is not None and (
            not isinstance(confirmation, str)
            or not isinstance(password, str)
            or normalize_password(confirmation) != normalize_password(password)
        ):
            fields[CONFIRMATION_FIELD] = Msg("password.mismatch")
        if fields:
            raise InvalidInputError(fields.get(PASSWORD_FIELD), fields=fields)

    def _rule(self, code: str) -> PasswordRule:
        return next(rule for rule in self.rules() if rule.code == code)

    def _reason(self, rule: PasswordRule) -> str:
        if rule.code == "min_length":
            return Msg("password.min_length", min=self.min_length)
        if rule.code == "max_length":
            return Msg("password.max_length", max=self.max_length)
        return Msg(f"password.{rule.code}")
