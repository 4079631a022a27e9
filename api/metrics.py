"""Prometheus metrics: requests by route template, method and status, their latency, and the requests a
rate limit or an IP block refused (by route). One registry per app, so tests and processes never share."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "keyledger_http_requests", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "keyledger_http_request_seconds",
            "HTTP request latency",
            ["route", "method"],
            registry=self.registry,
        )
        self.limited = Counter(
            "keyledger_rate_limited", "requests refused by a rate limit", ["route"], registry=self.registry
        )
        self.blocked = Counter(
            "keyledger_ip_blocked", "requests refused by an IP block", ["route"], registry=self.registry
        )


def route_of(scope: Scope) -> str:
    """The route template a request matched (never the raw path: ids would explode the label set)."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, status = time.perf_counter(), 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route, method = route_of(scope), scope["method"]
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - began)
