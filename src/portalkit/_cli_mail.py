"""``portalkit mail deliver``: send the queued mail, once or until stopped."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from portalkit._cli_invite import mailer_for
from portalkit._cli_support import open_portal, plural
from portalkit._services.mail_queue import MAX_BATCH, DeliveryReport

__all__ = ["run_deliver"]


@contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM sets *stop* (the message being sent is finished first), then exits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _line(report: DeliveryReport) -> str:
    return (f"{plural(report.sent, 'message')} sent, {report.retrying} to retry later, "
            f"{report.given_up} given up")


def run_deliver(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Send what is due; with ``--loop`` keep going until SIGTERM, Ctrl-C or *stop*."""
    mailer = mailer_for(args)
    stop = stop or threading.Event()
    total = DeliveryReport()
    # "worker": this command is the sender; no background thread besides it.
    with open_portal(args, mailer=mailer, mail_delivery="worker") as portal, \
            _stop_on_sigterm(stop):
        queue = portal.mail_queue
        while True:
            # One batch at a time, so a stop waits for one batch at most.
            report = queue.deliver_pending(limit=MAX_BATCH)
            total += report
            if report.attempted:
                if args.loop:
                    print(_line(report), flush=True)
                if stop.is_set():
                    break
            elif not args.loop or stop.wait(args.interval):
                break
    print(_line(total))
    return 0
