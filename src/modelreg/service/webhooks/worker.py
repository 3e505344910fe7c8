"""The delivery worker: match new events to webhooks, then deliver, retry, dead-letter.

One tick (:meth:`DeliveryWorker.run_once`):

1. **Match.** In one write transaction: lock the cursor (``SKIP LOCKED``: if another
   worker holds it, skip), read the events after it, write a delivery row for every
   (event, matching active webhook), move the cursor. The rows and the cursor commit
   together, so a crash loses nothing and matches nothing twice.
2. **Claim.** In one short write transaction: lease due deliveries that head their
   (webhook, model) queue (``FOR UPDATE SKIP LOCKED`` + a lease column), so no
   two workers send the same attempt and one model's events reach an endpoint in order.
3. **Send** outside any transaction, several at a time.
4. **Record** each attempt: the attempt row, the delivery's new state (done, retry
   after a backoff with jitter, or dead after the last attempt), the webhook's run of
   failures (disabled, with a ``webhook.disabled`` event, after too many).

A worker that dies mid-send leaves a lease that expires: the attempt is made again
later with the same delivery id (at least once; receivers de-duplicate on it).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from modelreg.config import WebhookSettings
from modelreg.entities import Event
from modelreg.errors import RegistryError
from modelreg.events import WebhookDisabled
from modelreg.service import event_log
from modelreg.service.clock import Clock, now_ms
from modelreg.service.webhooks.sending import Target, send
from modelreg.service.webhooks.service import WebhookService, subscription_from_row
from modelreg.store.database import Database
from modelreg.store.webhooks import WebhookStore
from modelreg.webhooks.backoff import Backoff
from modelreg.webhooks.gaps import GapTracker
from modelreg.webhooks.matching import match, order_key
from modelreg.webhooks.transport import Outcome

logger = logging.getLogger("modelreg.webhooks")

WORKER_ACTOR = "modelreg-webhooks"
MATCH_BATCH = 500
ERROR_EXCERPT = 1024


@dataclass(frozen=True, slots=True)
class _Job:
    row_id: int
    delivery_id: str
    attempts: int
    event: Event
    event_name: str
    target: Target


class DeliveryWorker:
    """Delivers webhooks from one database; ``start()`` runs it on a thread."""

    def __init__(
        self,
        db: Database,
        settings: WebhookSettings,
        *,
        name: str | None = None,
        clock: Clock = now_ms,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.service = WebhookService(db, settings, actor=WORKER_ACTOR, clock=clock)
        self.backoff = Backoff(
            base_ms=int(settings.first_retry_s * 1000),
            max_ms=int(settings.max_delay_s * 1000),
            max_attempts=settings.max_attempts,
        )
        self.gaps = GapTracker(int(settings.gap_grace_s * 1000))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="webhook-send")

    # ------------------------------------------------------------ one tick
    def match_once(self) -> int:
        """Write the delivery rows of new events; how many events were read."""
        now = self.clock()
        with self.db.write() as conn:
            store = WebhookStore(conn)
            cursor = store.lock_cursor()
            if cursor is None:
                return 0  # another worker is matching
            found = store.events_after(cursor, MATCH_BATCH)
            if not found:
                return 0
            end = self.gaps.safe_end(
                cursor, [e.id for e in found], now, [e.timestamp for e in found]
            )
            if end == cursor:
                return 0
            subs = [subscription_from_row(row) for row in store.active_rows()]
            rows: list[dict[str, Any]] = []
            for event in found:
                if event.id > end:
                    break
                for sub in subs:
                    if (
                        match(sub, event.type, event.model_name, event.payload, event.timestamp)
                        is None
                    ):
                        continue
                    rows.append(
                        {
                            "delivery_id": str(uuid.uuid4()),
                            "webhook_id": sub.webhook_id,
                            "event_id": event.id,
                            "event_type": event.type,
                            "order_key": order_key(event.model_name),
                            "status": "PENDING",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                    )
            store.insert_deliveries(rows)
            store.move_cursor(end)
            return sum(1 for e in found if e.id <= end)

    def claim(self) -> list[_Job]:
        now = self.clock()
        lease_until = now + int(self.settings.lease_s * 1000)
        with self.db.write() as conn:
            store = WebhookStore(conn)
            rows = store.claim(now, self.settings.batch, self.name, lease_until)
            if not rows:
                return []
            found = store.events_by_id([row.event_id for row in rows])
            hooks = store.rows_by_id(list({row.webhook_id for row in rows}))
        # Once per webhook, not per delivery: opening a secret is a decryption.
        subs = {key: subscription_from_row(hook) for key, hook in hooks.items()}
        targets = {key: self.service.target(hook) for key, hook in hooks.items()}
        jobs = []
        for row in rows:
            event = found.get(row.event_id)
            if row.webhook_id not in hooks or event is None:
                continue
            sub = subs[row.webhook_id]
            name = match(sub, event.type, event.model_name, event.payload)
            jobs.append(
                _Job(
                    row.id,
                    row.delivery_id,
                    row.attempts,
                    event,
                    name or event.type,
                    targets[row.webhook_id],
                )
            )
        return jobs

    def deliver_once(self) -> int:
        """Claim, send and record one batch; how many attempts were made."""
        jobs = self.claim()
        if not jobs:
            return 0
        outcomes = list(self._pool.map(self._attempt, jobs))
        self.record(list(zip(jobs, outcomes, strict=True)))
        return len(jobs)

    def _attempt(self, job: _Job) -> Outcome:
        try:
            return send(job.target, job.event, job.delivery_id, job.event_name, self.settings)
        except Exception as error:  # a bug in a renderer must not kill the worker
            logger.exception(
                "webhook %s delivery %s failed", job.target.webhook_id, job.delivery_id
            )
            return Outcome(False, None, 0, error=f"internal error: {type(error).__name__}")

    def record(self, results: list[tuple[_Job, Outcome]]) -> None:
        """Record a batch of attempts in one transaction (a few statements, one commit)."""
        now = self.clock()
        attempts: list[dict[str, Any]] = []
        finished: list[dict[str, Any]] = []
        for job, outcome in results:
            count = job.attempts + 1
            error = (outcome.error or "")[:ERROR_EXCERPT] or None
            if outcome.ok:
                status, due, done = "SUCCEEDED", now, now
            elif self.backoff.exhausted(count):
                status, due, done = "DEAD", now, now
            else:
                status, due, done = "PENDING", now + self.backoff.delay_ms(count), None
            finished.append(
                {
                    "row_id": job.row_id,
                    "status": status,
                    "attempts": count,
                    "next_attempt_at": due,
                    "completed_at": done,
                    "last_status_code": outcome.status,
                    "last_error": error,
                }
            )
            attempts.append(
                {
                    "delivery_row": job.row_id,
                    "attempt": count,
                    "started_at": now - outcome.latency_ms,
                    "latency_ms": outcome.latency_ms,
                    "status_code": outcome.status,
                    "succeeded": outcome.ok,
                    "error": error,
                    "response_excerpt": outcome.excerpt[:ERROR_EXCERPT] or None,
                    "worker": self.name[:64],
                }
            )
            if not outcome.ok:
                logger.info(
                    "webhook %s delivery %s attempt %d failed: %s",
                    job.target.webhook_id,
                    job.delivery_id,
                    count,
                    outcome.error,
                )
        with self.db.write() as conn:
            store = WebhookStore(conn)
            store.add_attempts(attempts)
            store.finish(self.name, finished)
            self._count_failures(store, conn, results, now)

    def _count_failures(
        self, store: WebhookStore, conn: Any, results: list[tuple[_Job, Outcome]], now: int
    ) -> None:
        """Each webhook's run of consecutive failures; disable at the limit."""
        runs = store.failures(list({job.target.webhook_id for job, _ in results}))
        limit = self.settings.disable_after
        tripped: dict[str, tuple[Target, int, str]] = {}
        for job, outcome in results:
            hook = job.target.webhook_id
            run = 0 if outcome.ok else runs.get(hook, 0) + 1
            runs[hook] = run
            if not outcome.ok and limit and run >= limit:
                tripped.setdefault(hook, (job.target, run, outcome.error or ""))
        for hook, run in runs.items():
            store.set_failures(hook, run)
        for target, run, error in tripped.values():
            self._disable(store, conn, target, run, error, now)

    def _disable(
        self, store: WebhookStore, conn: Any, target: Target, run: int, error: str, now: int
    ) -> None:
        reason = f"disabled after {run} consecutive failed attempts; last: {error}"[:1000]
        if store.disable(target.webhook_id, reason, now):
            logger.warning("webhook %s (%s) %s", target.webhook_id, target.name, reason)
            event_log.record(
                conn,
                WORKER_ACTOR,
                now,
                WebhookDisabled(
                    webhook_id=target.webhook_id,
                    name=target.name,
                    consecutive_failures=run,
                    last_error=error[:500],
                ),
            )

    def run_once(self) -> int:
        """One tick: match, then deliver one batch; how much work was done."""
        with self.db.read() as conn:
            to_match, due = WebhookStore(conn).work_waiting(self.clock())
        done = self.match_once() if to_match else 0
        if due or done:
            done += self.deliver_once()
        return done

    # ------------------------------------------------------------ the loop
    def run(self) -> None:
        """Tick until :meth:`stop`; sleeps only when there was nothing to do."""
        logger.info("webhook worker %s started", self.name)
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except RegistryError as error:
                logger.warning("webhook worker: %s", error)
                busy = 0
            except Exception:
                logger.exception("webhook worker tick failed")
                busy = 0
            if not busy:
                self._stop.wait(self.settings.poll_interval_s)
        logger.info("webhook worker %s stopped", self.name)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self.run, name="webhook-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the batch in hand (attempts in flight are recorded), then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._pool.shutdown(wait=True)
