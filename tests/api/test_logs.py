"""Logs are JSON lines carrying the id of the request they were written for."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.logs import JsonFormatter
from tests.api.embedded import sqlite_api


def test_an_error_log_names_its_request(tmp_path: Path, now: datetime) -> None:
    """An unexpected error is logged as one JSON object with the request id the client was given."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("keyledger.api")
    logger.addHandler(handler)
    try:
        with sqlite_api(tmp_path, now) as api:
            app = api.client.app
            assert isinstance(app, FastAPI)

            def broken() -> None:
                raise RuntimeError("boom")

            app.add_api_route("/broken-for-test", broken)
            quiet = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
            response = quiet.get("/broken-for-test", headers={"X-Request-ID": "req-abc-123"})
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["request_id"] for e in entries] == ["req-abc-123"]
    assert entries[0]["level"] == "error"
    assert "RuntimeError: boom" in entries[0]["error"]


def test_a_log_written_while_serving_names_its_request(tmp_path: Path, now: datetime) -> None:
    """A line logged by code serving a request (in the threadpool) carries that request's id."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("keyledger.test")
    logger.addHandler(handler)
    try:
        with sqlite_api(tmp_path, now) as api:
            app = api.client.app
            assert isinstance(app, FastAPI)

            def noisy() -> dict[str, str]:
                logger.warning("serving", extra={"detail": "x"})
                return {}

            app.add_api_route("/noisy-for-test", noisy)
            api.client.get("/noisy-for-test", headers={"X-Request-ID": "req-xyz"})
    finally:
        logger.removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["request_id"], e["message"], e["detail"]) for e in entries] == [("req-xyz", "serving", "x")]
