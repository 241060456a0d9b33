"""Sign-in: portalkit's login vs a bare Argon2id verify with the same parameters.

portalkit's login looks the user up (email, phone and username lookups),
checks and updates the shared throttle counters in the database, verifies the
password once with Argon2id, writes the audit entry and signs a session
credential. The floor is one ``argon2.PasswordHasher.verify`` of the same hash.

    python bench/login.py [--quick] [--json PATH]

Runs on a temporary SQLite file (the embedded default) with the SQL throttle,
at RFC 9106's low-memory profile (t=3, m=64 MiB, p=4), the library default.
The four measurements are interleaved round by round, in rotating order, so
machine noise hits them alike; figures are medians, and each ratio is the
median of the per-round ratios (the ratio of the medians is printed too).

Targets: portalkit/argon2 <= 1.10 for a successful sign-in, and the median of
an unknown-user login within 5% of a known-user-wrong-password login (the
timing must not tell whether an account exists).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import argon2
from _util import median, parse_args, print_table, timed, write_json

from portalkit._services.identity import IdentityConfig, IdentityService, set_password
from portalkit.adapters.clock import SystemClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.phones import PhonenumbersNormalizer
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.domain.identity import ThrottleRule
from portalkit.domain.principals import User
from portalkit.domain.tenants import Tenant
from portalkit.errors import AuthenticationError

PASSWORD = "correct horse battery staple"
WRONG = "correct horse battery stable"
#: The bench makes hundreds of failures on one account; lift the limits so it is
#: the sign-in that is measured, not the throttle's refusal.
UNLIMITED = ThrottleRule(limit=1_000_000, window=dt.timedelta(minutes=15))


def build(folder: Path) -> tuple[IdentityService, Tenant, str]:
    """A migrated SQLite portal with one user; returns the service, tenant and hash."""
    storage = SqlAlchemyStorage.from_url(f"sqlite:///{folder / 'login.db'}")
    storage.upgrade()
    hasher = Argon2idHasher()
    service = IdentityService(
        storage,
        hasher=hasher,
        throttle=storage.throttle(),
        mailer=MemoryMailer(),
        clock=SystemClock(),
        secret_keys=[b"bench-secret-key-bench-secret-key-0123"],
        phones=PhonenumbersNormalizer(),
        config=IdentityConfig(login_account=UNLIMITED, login_client=UNLIMITED),
    )
    with storage.unit_of_work() as uow:
        tenant = uow.tenants.add(Tenant(id=0, slug="bench", name="Bench Rentals"))
        user = uow.users.add(
            User(id=0, tenant_id=tenant.id, email="ann@city.example", name="Ann Lee",
                 username="ann", phone="+12025550143", security_stamp="x")
        )
        user = set_password(uow, tenant, user, PASSWORD, PASSWORD, hasher=hasher,
                            policy=service.password_policy)
        uow.commit()
    assert user.password_hash
    return service, tenant, user.password_hash


def main() -> None:
    """Run the benchmark and print (and optionally write) the figures."""
    args = parse_args(__doc__.splitlines()[0])
    rounds = 8 if args.quick else 30
    mismatches = 0
    with tempfile.TemporaryDirectory() as folder:
        service, tenant, encoded = build(Path(folder))
        bare = argon2.PasswordHasher()  # the same defaults: Argon2id t=3, m=64 MiB, p=4

        def bare_verify() -> bool:
            return bare.verify(encoded, PASSWORD)

        def login_ok() -> bool:
            return service.login(tenant, "ann@city.example", PASSWORD,
                                 client_key="ip:203.0.113.7").user.email == "ann@city.example"

        def failing(identifier: str) -> Callable[[], bool]:
            def run() -> bool:
                try:
                    service.login(tenant, identifier, WRONG, client_key="ip:203.0.113.7")
                except AuthenticationError:
                    return True
                return False
            return run

        cases: dict[str, Callable[[], bool]] = {
            "argon2_verify": bare_verify,
            "portalkit_login": login_ok,
            "known_wrong_password": failing("ann@city.example"),
            "unknown_user": failing("nobody@city.example"),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for fn in cases.values():  # warm up: caches, connections, first lookups
            fn()
        names = list(cases)
        for i in range(rounds):
            order = names[i % len(names):] + names[: i % len(names)]
            for name in order:
                seconds, ok = timed(cases[name])
                samples[name].append(seconds)
                mismatches += 0 if ok else 1

    med = {name: median(values) * 1000 for name, values in samples.items()}
    # Paired ratios: the cases of one round ran back to back, so their ratio is
    # immune to the machine's load drifting between rounds; report its median.
    def paired(top: str, bottom: str) -> float:
        return median([a / b for a, b in zip(samples[top], samples[bottom], strict=True)])

    ratios = {
        "portalkit_over_argon2": paired("portalkit_login", "argon2_verify"),
        "unknown_over_known": paired("unknown_user", "known_wrong_password"),
    }
    plain = {
        "portalkit_over_argon2": med["portalkit_login"] / med["argon2_verify"],
        "unknown_over_known": med["unknown_user"] / med["known_wrong_password"],
    }
    print_table(
        f"Sign-in, SQLite, Argon2id t=3 m=64MiB p=4, {rounds} rounds (median ms)",
        ["case", "median_ms", "min_ms", "max_ms"],
        [[n, med[n], min(samples[n]) * 1000, max(samples[n]) * 1000] for n in names],
    )
    print_table("Ratios (median of per-round ratios; ratio of medians)",
                ["ratio", "paired", "of_medians", "target"], [
        ["portalkit_over_argon2", ratios["portalkit_over_argon2"],
         plain["portalkit_over_argon2"], "<= 1.10"],
        ["unknown_over_known", ratios["unknown_over_known"],
         plain["unknown_over_known"], "0.95 .. 1.05"],
    ])
    print(f"\nmismatches: {mismatches}")
    result: dict[str, Any] = {
        "name": "login",
        "quick": bool(args.quick),
        "params": {"rounds": rounds, "storage": "sqlite", "argon2": "id t=3 m=65536 p=4"},
        "results": {name: {"median_ms": round(value, 3)} for name, value in med.items()},
        "ratios": {name: round(value, 4) for name, value in ratios.items()},
        "ratios_of_medians": {name: round(value, 4) for name, value in plain.items()},
        "targets": {"portalkit_over_argon2": "<= 1.10", "unknown_over_known": "0.95 .. 1.05"},
        "mismatches": mismatches,
    }
    write_json(args.json, result)


if __name__ == "__main__":
    main()
