"""Webhooks from a client: one small API over two transports (embedded, HTTP).

Both return modelreg's JSON shapes (:mod:`modelreg.webhooks.codec`), which is what
the ``modelreg webhooks`` commands print; the HTTP transport speaks
``/api/2.0/modelreg/webhooks`` of a modelreg server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import httpx

from modelreg.client.http import decode_response, shared_client, unreachable
from modelreg.config import tracking_credentials
from modelreg.webhooks.codec import delivery_json, test_result_json, webhook_json

if TYPE_CHECKING:
    from modelreg.service.webhooks import WebhookService

Body = dict[str, Any]


class WebhooksApi(Protocol):
    def list(self, max_results: int | None = None, page_token: str | None = None) -> Body: ...
    def create(self, fields: Mapping[str, Any]) -> Body: ...
    def get(self, webhook_id: str) -> Body: ...
    def update(self, webhook_id: str, fields: Mapping[str, Any]) -> Body: ...
    def delete(self, webhook_id: str) -> Body: ...
    def test(self, webhook_id: str, event: str | None = None) -> Body: ...
    def deliveries(
        self, webhook_id: str, status: str | None = None, max_results: int | None = None
    ) -> Body: ...
    def delivery(self, delivery_id: str) -> Body: ...
    def redeliver(self, delivery_id: str) -> Body: ...
    def redeliver_dead(self, webhook_id: str) -> Body: ...


class EmbeddedWebhooks:
    """Calls the service in this process."""

    def __init__(self, service: WebhookService) -> None:
        self.service = service

    def list(self, max_results: int | None = None, page_token: str | None = None) -> Body:
        page = self.service.list_webhooks(max_results, page_token)
        body: Body = {"webhooks": [webhook_json(h) for h in page]}
        if page.token:
            body["next_page_token"] = page.token
        return body

    def create(self, fields: Mapping[str, Any]) -> Body:
        f = dict(fields)
        hook = self.service.create_webhook(f.pop("name"), f.pop("url"), f.pop("events"), **f)
        return {"webhook": webhook_json(hook)}

    def get(self, webhook_id: str) -> Body:
        return {"webhook": webhook_json(self.service.get_webhook(webhook_id))}

    def update(self, webhook_id: str, fields: Mapping[str, Any]) -> Body:
        return {"webhook": webhook_json(self.service.update_webhook(webhook_id, **fields))}

    def delete(self, webhook_id: str) -> Body:
        self.service.delete_webhook(webhook_id)
        return {}

    def test(self, webhook_id: str, event: str | None = None) -> Body:
        return {"result": test_result_json(self.service.test_webhook(webhook_id, event))}

    def deliveries(
        self, webhook_id: str, status: str | None = None, max_results: int | None = None
    ) -> Body:
        page = self.service.list_deliveries(webhook_id, status, max_results)
        return {"deliveries": [delivery_json(d) for d in page]}

    def delivery(self, delivery_id: str) -> Body:
        return {"delivery": delivery_json(self.service.get_delivery(delivery_id))}

    def redeliver(self, delivery_id: str) -> Body:
        return {"delivery": delivery_json(self.service.redeliver(delivery_id))}

    def redeliver_dead(self, webhook_id: str) -> Body:
        return {"requeued": self.service.redeliver_dead(webhook_id)}


class HttpWebhooks:
    """Calls ``/api/2.0/modelreg/webhooks`` of the server at ``base_url``."""

    def __init__(self, base_url: str, *, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http or shared_client(tracking_credentials())

    def _call(self, method: str, path: str, fields: Mapping[str, Any] | None = None) -> Body:
        sent = {k: v for k, v in (fields or {}).items() if v is not None}
        url = f"{self.base_url}/api/2.0/modelreg/{path}"
        try:
            if method == "GET":
                response = self._http.get(url, params=sent)
            else:
                response = self._http.request(method, url, json=sent)
        except httpx.TransportError as error:
            raise unreachable(self.base_url, error) from None
        return decode_response(self.base_url, method, path, response)

    def list(self, max_results: int | None = None, page_token: str | None = None) -> Body:
        return self._call("GET", "webhooks", {"max_results": max_results, "page_token": page_token})

    def create(self, fields: Mapping[str, Any]) -> Body:
        return self._call("POST", "webhooks", fields)

    def get(self, webhook_id: str) -> Body:
        return self._call("GET", f"webhooks/{quote(webhook_id, safe='')}")

    def update(self, webhook_id: str, fields: Mapping[str, Any]) -> Body:
        return self._call("PATCH", f"webhooks/{quote(webhook_id, safe='')}", fields)

    def delete(self, webhook_id: str) -> Body:
        return self._call("DELETE", f"webhooks/{quote(webhook_id, safe='')}")

    def test(self, webhook_id: str, event: str | None = None) -> Body:
        return self._call("POST", f"webhooks/{quote(webhook_id, safe='')}/test", {"event": event})

    def deliveries(
        self, webhook_id: str, status: str | None = None, max_results: int | None = None
    ) -> Body:
        return self._call(
            "GET",
            f"webhooks/{quote(webhook_id, safe='')}/deliveries",
            {"status": status, "max_results": max_results},
        )

    def delivery(self, delivery_id: str) -> Body:
        return self._call("GET", f"webhook-deliveries/{quote(delivery_id, safe='')}")

    def redeliver(self, delivery_id: str) -> Body:
        return self._call("POST", f"webhook-deliveries/{quote(delivery_id, safe='')}/redeliver")

    def redeliver_dead(self, webhook_id: str) -> Body:
        return self._call("POST", f"webhooks/{quote(webhook_id, safe='')}/redeliver")
