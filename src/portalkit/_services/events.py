"""The host's side of the outbox: fetch events, handle them, acknowledge them.

Every customer action is committed together with an :class:`OutboxEvent`
(transactional outbox). The host reads them with :class:`EventFeed`:

.. code-block:: python

    feed = portal.events
    while True:
        batch = feed.fetch(limit=100)
        for event in batch:
            handle(event)               # create the job in the ERP, send a mail …
        feed.acknowledge(batch)         # or ack each event right after handling it

Delivery is **at least once**. An event stays pending until it is
acknowledged, so a consumer that crashes after handling an event but before
acknowledging it gets it again on the next fetch, and two consumers running at
once may both see it. Handle events idempotently by :attr:`OutboxEvent.id`
(unique and never reused), e.g. by storing the ids already applied in the
host's own table in the same transaction as the effect.

Nothing is lost between commit and delivery: events are rows written in the
action's own transaction, not messages in a process's memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from portalkit.domain.events import OutboxEvent
from portalkit.domain.filters import TRUE, Eq, Filter, In, Range, all_of, evaluate
from portalkit.errors import InvalidInputError
from portalkit.ports import Clock, Storage

__all__ = ["MAX_BATCH", "EventFeed", "EventHandler"]

#: The largest batch :meth:`EventFeed.fetch` returns.
MAX_BATCH = 1000

#: Handles one event; raising leaves it (and the rest of the batch) unacknowledged.
EventHandler = Callable[[OutboxEvent], None]


def _ids(events: Iterable[OutboxEvent | int]) -> list[int]:
    return [e.id if isinstance(e, OutboxEvent) else int(e) for e in events]


class EventFeed:
    """Pending outbox events for the host: :meth:`fetch`, then :meth:`acknowledge`.

    Args:
        storage: The portal's storage.
        clock: Stamps acknowledgements (``delivered_at``).
    """

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage = storage
        self._clock = clock

    @staticmethod
    def _check_limit(limit: int) -> None:
        if not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
            raise InvalidInputError.for_field("limit", f"Use a batch size from 1 to {MAX_BATCH}.")

    def fetch(
        self,
        limit: int = 100,
        *,
        tenant: int | None = None,
        topics: Iterable[str] | None = None,
        after: int | None = None,
    ) -> list[OutboxEvent]:
        """Up to *limit* unacknowledged events, oldest first.

        Args:
            limit: Batch size, 1 to :data:`MAX_BATCH`.
            tenant: Only this tenant's events (default: every tenant's).
            topics: Only these topics (a consumer that filters acknowledges
                only what it handles; others stay pending for other consumers).
            after: Only events with a larger id (to page through a batch
                that is being handled without acknowledging).
        """
        self._check_limit(limit)
        with self._storage.unit_of_work(read_only=True) as uow:
            if tenant is None and topics is None and after is None:
                return uow.outbox.pending(limit)
            spec: Filter = all_of(
                Eq("delivered_at", None),
                In("topic", tuple(topics)) if topics is not None else TRUE,
                Range("id", after, None, include_low=False) if after is not None else TRUE,
            )
            if tenant is not None:
                return uow.outbox.find(tenant, spec, order_by=("id",), limit=limit)
            return [e for e in uow.outbox.pending(MAX_BATCH * 10) if evaluate(spec, e)][:limit]

    def acknowledge(self, events: Iterable[OutboxEvent | int]) -> int:
        """Mark events (or ids) delivered; returns how many were still pending.

        Acknowledging twice is harmless (the second time counts 0).
        """
        ids = _ids(events)
        if not ids:
            return 0
        with self._storage.unit_of_work() as uow:
            done = uow.outbox.mark_delivered(ids, self._clock.now())
            uow.commit()
        return done

    def pending_count(self, tenant: int) -> int:
        """How many of *tenant*'s events wait to be acknowledged."""
        with self._storage.unit_of_work(read_only=True) as uow:
            return uow.outbox.count(tenant, Eq("delivered_at", None))

    def get(self, tenant: int, event_id: int) -> OutboxEvent | None:
        """One event by id (delivered or not), or None."""
        with self._storage.unit_of_work(read_only=True) as uow:
            return uow.outbox.get(tenant, event_id)

    def consume(
        self,
        handler: EventHandler,
        *,
        batch_size: int = 100,
        max_batches: int | None = None,
        ack_each: bool = True,
        tenant: int | None = None,
        topics: Iterable[str] | None = None,
    ) -> int:
        """Fetch, handle and acknowledge until nothing is pending; returns events handled.

        With ``ack_each`` (the default) each event is acknowledged right after
        its handler returns, so a crash redelivers at most the event being
        handled; otherwise a batch is acknowledged after all its events were
        handled (fewer writes, and a crash redelivers the whole batch). A
        handler that raises stops the loop and the error propagates; that event
        and the rest of its batch stay pending.
        """
        self._check_limit(batch_size)
        wanted = None if topics is None else tuple(topics)
        handled = batches = 0
        while max_batches is None or batches < max_batches:
            batch = self.fetch(batch_size, tenant=tenant, topics=wanted)
            if not batch:
                break
            batches += 1
            for event in batch:
                handler(event)
                handled += 1
                if ack_each:
                    self.acknowledge([event.id])
            if not ack_each:
                self.acknowledge(batch)
        return handled

    def purge(self, tenant: int, *, delivered_before: dt.datetime) -> int:
        """Delete *tenant*'s events acknowledged before *delivered_before*; returns how many."""
        if delivered_before.tzinfo is None:
            raise InvalidInputError.for_field("delivered_before", "Use a timezone-aware time.")
        removed = 0
        with self._storage.unit_of_work() as uow:
            spec = Range("delivered_at", None, delivered_before)
            for event in uow.outbox.find(tenant, spec, limit=10_000):
                removed += uow.outbox.delete(tenant, event.id)
            uow.commit()
        return removed

