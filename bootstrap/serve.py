"""How ``keyledger serve`` runs uvicorn, every default that matters chosen here on purpose:

- ``proxy_headers=False``: uvicorn would otherwise believe ``X-Forwarded-For``/``-Proto`` from 127.0.0.1
  and ::1 and rewrite the client address before our code sees it. Client addresses come from
  ``api.client_address`` alone, which believes only ``KEYLEDGER_TRUSTED_PROXIES``.
- ``server_header=False``: no product banner; ``date_header`` stays (HTTP caches need it).
- bounded keep-alive and a cap on concurrent connections, so idle or slow clients cannot hold every
  worker thread; ``h11_max_incomplete_event_size`` caps request heads.
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

KEEP_ALIVE_S = 5
MAX_CONNECTIONS = 1000
MAX_HEAD_BYTES = 16 * 1024


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=False,
        forwarded_allow_ips="",
        server_header=False,
        date_header=True,
        timeout_keep_alive=KEEP_ALIVE_S,
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        log_level="warning",
        access_log=False,
        log_config=None,
        lifespan="on",
    )
