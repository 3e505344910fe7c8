"""Webhooks as a service: subscriptions, deliveries and the delivery worker."""

from __future__ import annotations

from modelreg.service.webhooks.service import WebhookService
from modelreg.service.webhooks.worker import DeliveryWorker

__all__ = ["DeliveryWorker", "WebhookService"]
