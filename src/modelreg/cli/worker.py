"""``modelreg worker``: deliver webhooks from the event log, in a process of its own."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.config import Settings


@click.command("worker", short_help="Deliver webhooks (match, send, retry, dead-letter).")
@BACKEND_OPTION
@click.option(
    "--once", is_flag=True, help="Match and deliver what is due now, then exit (cron, tests)."
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@friendly_errors
def worker(backend_store_uri: str | None, once: bool, log_level: str) -> None:
    """Deliver webhooks: match new events, send, retry, dead-letter.

    Run as many as you like against one PostgreSQL or MySQL database: they share the
    work and never send the same attempt twice. Start servers with
    --no-webhook-worker when workers do the delivering. SIGTERM/SIGINT stop it
    after the attempts in flight are recorded.
    """
    from modelreg.service.assembly import build_services
    from modelreg.service.webhooks import DeliveryWorker

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env(backend_store_uri)
    services = build_services(settings)
    services.db.ensure_schema()
    delivery = DeliveryWorker(services.db, services.webhooks.settings)
    if once:
        while delivery.run_once():
            pass
        delivery.stop()
        return
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    delivery.start()
    click.echo(f"modelreg worker {delivery.name} delivering webhooks", err=True)
    stopped.wait()
    delivery.stop()
    services.db.dispose()
