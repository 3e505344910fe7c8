"""Webhooks: what is pure about them (matching, payloads, signatures, backoff, names)
and the two edges that talk to the network (``transport`` for HTTP, ``mail`` for SMTP).

The service (modelreg.service.webhooks) stores subscriptions and deliveries and runs
the delivery worker; nothing here touches the database.
"""
