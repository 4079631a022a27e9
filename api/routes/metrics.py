"""``/metrics``: Prometheus text exposition, served only to the allowed networks
(``KEYLEDGER_METRICS_ALLOW``, loopback by default) or to a scraper presenting ``KEYLEDGER_METRICS_TOKEN``
as a bearer token — request counts by route are operational data an outsider should not read."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from api.client_address import in_networks
from api.deps import AppServices, bearer_or_none, client_ip
from api.problems import ApiError, responses
from api.services import WebSettings

router = APIRouter(tags=["operations"])


def may_scrape(request: Request, web: WebSettings, address: str | None) -> bool:
    if address is not None and in_networks(address, web.metrics_networks):
        return True
    given = bearer_or_none(request)
    return (
        web.metrics_token is not None and given is not None and hmac.compare_digest(given, web.metrics_token)
    )


@router.get("/metrics", response_class=Response, responses=responses(403))
def metrics(request: Request, svc: AppServices) -> Response:
    """Prometheus text exposition of this process's metrics (allowed networks or the metrics token)."""
    if not may_scrape(request, svc.web, client_ip(request)):
        raise ApiError(
            403, "metrics_forbidden", "metrics are served to the allowed networks or with the token"
        )
    registry: CollectorRegistry = svc.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
