"""Platform adapters (LINE, Discord, terminal, browser) and what they share.

Each adapter turns a platform event into an :data:`~bot.engine.types.Input`, calls
:meth:`bot.service.Conversations.handle` and renders the neutral replies within the platform's
limits. Platform SDKs are imported only inside their own package (``line-bot-sdk`` only in
:mod:`bot.adapters.line`, ``discord`` only in :mod:`bot.adapters.discord`), so importing this
package never pulls them in. :mod:`bot.adapters.text` holds the text helpers they share (UTF-16
length, clipping, splitting).

:class:`Metrics` is the one set of Prometheus metrics every adapter of an app reports to; the app
factory (:func:`bot.app.create_app`) makes one per application and exposes it as
``app[bot.app.METRICS_KEY]``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["Metrics"]

STEP_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
"""Histogram buckets of the engine step latency, in seconds."""


class Metrics:
    """Prometheus metrics of one application, in their own registry.

    A registry per app (not the process-global default) keeps tests that build many apps from
    colliding ("Duplicated timeseries").

    Args:
        registry: where to register; a new :class:`CollectorRegistry` when None.

    Attributes:
        registry: the registry served at ``/metrics``.
        events: ``soudan_events_total{platform, type, outcome}`` — platform events received, by
            type (``message.text``, ``postback``, ``follow``…) and outcome (``handled``,
            ``duplicate``, ``ignored``, ``group``, ``group-crisis`` (a group message with crisis words:
            the crisis card was sent), ``forgotten``, ``error``, ``malformed`` (a LINE event that
            could not be read, skipped while the rest of its body was answered)).
        replies: ``soudan_replies_sent_total{platform, method}`` — successful send calls
            (``reply`` / ``push``).
        messages: ``soudan_messages_sent_total{platform}`` — messages inside those calls.
        api_errors: ``soudan_api_errors_total{platform, operation, status}`` — failed platform
            API calls (``status`` is the HTTP status or ``network``).
        undelivered: ``soudan_undelivered_total{platform}`` — replies that could not be delivered
            at all (reply failed and no push fallback).
        requests: ``soudan_webhook_requests_total{platform, status}`` — webhook HTTP answers.
        step_seconds: ``soudan_step_seconds{platform}`` — engine step latency (seconds).
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.events = Counter("soudan_events", "Platform events received, by type and outcome.",
                              ["platform", "type", "outcome"], registry=r)
        self.replies = Counter("soudan_replies_sent", "Successful send calls (reply or push).",
                               ["platform", "method"], registry=r)
        self.messages = Counter("soudan_messages_sent", "Messages sent inside successful send calls.",
                                ["platform"], registry=r)
        self.api_errors = Counter("soudan_api_errors", "Failed platform API calls.",
                                  ["platform", "operation", "status"], registry=r)
        self.undelivered = Counter("soudan_undelivered", "Replies that could not be delivered at all.",
                                   ["platform"], registry=r)
        self.requests = Counter("soudan_webhook_requests", "Webhook HTTP answers by status.",
                                ["platform", "status"], registry=r)
        self.step_seconds = Histogram("soudan_step_seconds", "Engine step latency in seconds.",
                                      ["platform"], buckets=STEP_BUCKETS, registry=r)
