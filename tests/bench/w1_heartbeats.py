"""W1: heartbeats per second and latency at 64 concurrent clients over real HTTP (BENCHMARKS.md).

The real app (``build_services`` + ``create_app``, the embedded default: SQLite ledger and read models in
a ``mktemp`` directory, in-process presence and projection worker, ``insecure_dev_cookies``) is served by
uvicorn in a child process on a private loopback port. The parent logs in 64 desktop clients, each on its
own account with an activated license (setup goes through httpx), then sends ``POST /client/heartbeat``
from all 64 at once, each on its own kept-alive connection: a fixed request count per round after a
warm-up. The timed requests go through a minimal asyncio HTTP/1.1 exchange (``Connection``) rather than
httpx, whose client side costs more CPU per request on this 2-core machine than the server's bare
endpoint: the load generator, not the server, would have been measured. Its CPU per request is printed.

Latency at saturation (closed loop: every client sends its next request as soon as the last is answered)
is fixed by Little's law — 64 requests always in flight at a throughput T means a mean latency of 64 ÷ T,
82 ms at 782/s — so it measures the machine, not the heartbeat. The latency a client sees is therefore also
measured **paced** (open loop): the same 64 connections send on a fixed schedule whose total rate is
``PACED_SHARE`` of the bare endpoint's median closed-loop throughput in the same run, and each latency is
counted from the moment the request was *due* (a late send counts against us: no coordinated omission).

The baseline, in the same rounds and the same server process: ``POST /bench/bare-heartbeat``, a route
this module mounts on the same app object (it is not part of ``api/``). It parses the same body, does one
in-process presence read and signs the same Ed25519 lease, and answers the same response model, but
checks no token and reads nothing from the ledger. ``heartbeat ÷ bare`` is therefore the cost of
authenticating against the write model on every request (token verify, session and account load, license
state) plus the presence write.

Accounts are registered with ``tests.fakes.FastHasher`` (a SHA-256 stand-in) so that setting up 64
clients takes milliseconds, not 64 Argon2id hashes; no heartbeat hashes a password, so the measured path
is unchanged by it.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from api.routes.client_licensing import (
    HeartbeatRequest,
    HeartbeatResponse,
)
from api.services import Services
from api.tokens import AccessClaims
from bootstrap import keys
from bootstrap.app import build_services, create_app
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger
from domain.context import AuditContext
from domain.heartbeats import GRACE, NEXT_HEARTBEAT, Seen
from domain.roles import Role
from tests.bench import harness, measures, report
from tests.bench.harness import Sample
from tests.bench.served import UNLIMITED_API, UNLIMITED_LOGIN, Served, serving
from tests.fakes import FastHasher

NAME = "w1"
CLIENTS = harness.smoke(64, 4)
ROUNDS = harness.smoke(7, 1)
PER_CLIENT = harness.smoke(30, 2)  # 1,920 requests per variant per round
WARM_UP_PER_CLIENT = harness.smoke(5, 1)
PACED_SHARE = 0.5  # paced rounds offer this share of the bare endpoint's closed-loop throughput
PACED_PER_CLIENT = harness.smoke(20, 2)
PASSWORD = "correct horse battery staple"
BARE_PATH = "/bench/bare-heartbeat"
HEARTBEAT_PATH = "/client/heartbeat"
BODY = {"client_version": "1.0.0"}

LABELS = {
    "bare": f"bare endpoint (presence read + Ed25519 lease), {CLIENTS} clients",
    "heartbeat": f"POST /client/heartbeat, {CLIENTS} clients",
    "bare_paced": f"bare endpoint, {CLIENTS} connections paced at {PACED_SHARE:.0%} of its capacity",
    "heartbeat_paced": f"POST /client/heartbeat, {CLIENTS} connections, the same pace",
}


@dataclass(frozen=True)
class ServerConfig:
    data_dir: str
    clients: int


def add_bare_endpoint(app: FastAPI, svc: Services) -> None:
    """``POST /bench/bare-heartbeat`` on ``app``: the heartbeat's response without its authentication and
    ledger reads: one presence read and the same lease signing."""
    claims = AccessClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    expiry = svc.clock() + timedelta(days=30)
    svc.presence.touch(claims.device_id, Seen(svc.clock(), "127.0.0.1", "1.0.0"))

    def bare_heartbeat(_body: HeartbeatRequest) -> HeartbeatResponse:
        now = svc.clock()
        valid = svc.presence.last_seen(claims.device_id) is not None
        lease_body = {"valid": valid, "code": None, "license_expiry": expiry.isoformat()}
        lease = svc.tokens.issue_lease(claims, lease_body, now, GRACE)
        return HeartbeatResponse(
            valid=valid,
            code=None,
            license_expiry=expiry,
            server_time=now,
            next_heartbeat_s=int(NEXT_HEARTBEAT.total_seconds()),
            grace_s=int(GRACE.total_seconds()),
            lease=lease,
        )

    app.add_api_route(BARE_PATH, bare_heartbeat, methods=["POST"], response_model=HeartbeatResponse)


def build_server(config: ServerConfig) -> tuple[FastAPI, dict[str, list[str]]]:
    """Runs in the server process: the app over a fresh SQLite ledger, ``clients`` accounts and as many
    30-day license keys, and the bare route. Returns the usernames and keys to the parent."""
    settings = Settings(
        data_dir=Path(config.data_dir),
        insecure_dev_cookies=True,
        login_limit=UNLIMITED_LOGIN,
        api_limit=UNLIMITED_API,
    )
    ledger = build_ledger(settings, keys.digests(settings), FastHasher(), create_tables=True)
    svc, background = build_services(settings, ledger=ledger)
    app = create_app(services=(svc, background))
    add_bare_endpoint(app, svc)
    now, ctx = svc.clock(), AuditContext(actor="bench")
    usernames = [f"bench_client_{i:03d}" for i in range(config.clients)]
    for username in usernames:
        ledger.register(username, PASSWORD, Role.USER, now, ctx)
    issued = ledger.issue_licenses(config.clients, 30, Role.USER, 1, "w1 benchmark", now, ctx)
    return app, {"usernames": usernames, "keys": [one.key for one in issued.value]}


def components(index: int) -> dict[str, str]:
    return {name: f"{index:04x}{name}".encode().hex().ljust(64, "0") for name in ("machine", "board", "cpu")}


def log_in_clients(url: str, info: dict[str, list[str]]) -> list[str]:
    """Logs every client in and activates its key; returns their access tokens."""
    tokens = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for index, (username, key) in enumerate(zip(info["usernames"], info["keys"], strict=True)):
            body = {
                "username": username,
                "password": PASSWORD,
                "fingerprint": {"components": components(index)},
                "client_version": "1.0.0",
            }
            login = client.post("/auth/client/login", json=body)
            login.raise_for_status()
            token = login.json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            client.post("/client/licenses/activate", json={"key": key}, headers=bearer).raise_for_status()
            beat = client.post(HEARTBEAT_PATH, json=BODY, headers=bearer)
            beat.raise_for_status()
            if beat.json()["valid"] is not True:
                raise RuntimeError(f"client {username} is not licensed after activation: {beat.text}")
            tokens.append(token)
    return tokens


def request_bytes(path: str, token: str) -> bytes:
    """One keep-alive HTTP/1.1 request, encoded once: the same bytes for the heartbeat and the bare
    route (the bare route ignores the bearer token)."""
    body = json.dumps(BODY).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    """One client's keep-alive connection and a minimal HTTP/1.1 exchange over it: write the request,
    read the head, read exactly Content-Length bytes. (httpx costs 1.3-3.9 ms of CPU per request on this
    machine, more than the server's bare endpoint, so it would measure itself; this costs under 0.1 ms.)"""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str) -> None:
        self.reader, self.writer = reader, writer
        self.requests = {path: request_bytes(path, token) for path in (HEARTBEAT_PATH, BARE_PATH)}

    @classmethod
    async def open(cls, port: int, token: str) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, token)

    async def exchange(self, path: str) -> tuple[int, bytes]:
        self.writer.write(self.requests[path])
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"a response without Content-Length: {head[:200]!r}")
        return int(head[9:12]), await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def burst(connections: list[Connection], path: str, per_client: int) -> Sample:
    """Every client sends ``per_client`` requests back to back on its connection, all clients at once;
    every answer must be 200 with a valid license."""
    latencies: list[float] = []
    failures: list[str] = []

    async def one_client(connection: Connection) -> None:
        for _ in range(per_client):
            began = time.perf_counter()
            status, body = await connection.exchange(path)
            latencies.append(time.perf_counter() - began)
            if status != 200 or b'"valid":true' not in body:
                failures.append(f"{status} {body[:200]!r}")

    began = time.perf_counter()
    await asyncio.gather(*(one_client(connection) for connection in connections))
    seconds = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(latencies)} requests to {path} failed: {failures[0]}")
    return Sample(len(latencies), seconds, latencies)


async def paced(connections: list[Connection], path: str, per_client: int, rate: float) -> Sample:
    """Every client sends ``per_client`` requests on a fixed schedule (all together ``rate`` per second,
    staggered); each latency runs from when the request was due, so falling behind is measured."""
    interval = len(connections) / rate
    latencies: list[float] = []
    failures: list[str] = []

    async def one_client(index: int, connection: Connection) -> None:
        due = time.perf_counter() + interval * index / len(connections)
        for _ in range(per_client):
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status, body = await connection.exchange(path)
            latencies.append(time.perf_counter() - due)
            if status != 200 or b'"valid":true' not in body:
                failures.append(f"{status} {body[:200]!r}")
            due += interval

    began = time.perf_counter()
    await asyncio.gather(*(one_client(i, c) for i, c in enumerate(connections)))
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(latencies)} requests to {path} failed: {failures[0]}")
    return Sample(len(latencies), time.perf_counter() - began, latencies)


@dataclass
class Load:
    """The parent's side: one event loop and one keep-alive connection per client for every round."""

    served: Served
    loop: asyncio.AbstractEventLoop
    connections: list[Connection]
    server_cpu: dict[str, list[float]]
    client_cpu: dict[str, list[float]]

    def variant(self, name: str, path: str, per_client: int) -> Callable[[], Sample]:
        def run() -> Sample:
            return self.loop.run_until_complete(burst(self.connections, path, per_client))

        on_client = measures.with_cpu(run, time.process_time, self.client_cpu.setdefault(name, []))
        return measures.with_cpu(on_client, self.served.cpu_seconds, self.server_cpu.setdefault(name, []))

    def paced_variant(self, name: str, path: str, rate: float) -> Callable[[], Sample]:
        def run() -> Sample:
            return self.loop.run_until_complete(paced(self.connections, path, PACED_PER_CLIENT, rate))

        on_client = measures.with_cpu(run, time.process_time, self.client_cpu.setdefault(name, []))
        return measures.with_cpu(on_client, self.served.cpu_seconds, self.server_cpu.setdefault(name, []))

    def paced_variants(self, rate: float) -> dict[str, Callable[[], Sample]]:
        return {
            "bare_paced": self.paced_variant("bare_paced", BARE_PATH, rate),
            "heartbeat_paced": self.paced_variant("heartbeat_paced", HEARTBEAT_PATH, rate),
        }

    def variants(self, per_client: int) -> dict[str, Callable[[], Sample]]:
        return {
            "bare": self.variant("bare", BARE_PATH, per_client),
            "heartbeat": self.variant("heartbeat", HEARTBEAT_PATH, per_client),
        }


def measure() -> tuple[list[dict[str, Sample]], list[float], dict[str, list[float]], dict[str, list[float]]]:
    with tempfile.TemporaryDirectory(prefix="keyledger-bench-w1-") as tmp:
        config = ServerConfig(str(Path(tmp) / "data"), CLIENTS)
        with serving(build_server, config) as served:
            print(f"  server pid {served.pid} at {served.url}; logging in {CLIENTS} clients", flush=True)
            tokens = log_in_clients(served.url, served.info)
            port = int(served.url.rsplit(":", 1)[1])
            loop = asyncio.new_event_loop()
            connections = [loop.run_until_complete(Connection.open(port, token)) for token in tokens]
            try:
                load = Load(served, loop, connections, {}, {})
                print("  warm-up", flush=True)
                for run in load.variants(WARM_UP_PER_CLIENT).values():
                    run()
                load.server_cpu.clear()
                load.client_cpu.clear()
                rounds, loads = harness.interleave(load.variants(PER_CLIENT), ROUNDS)
                rate = PACED_SHARE * statistics.median(r["bare"].rate for r in rounds)
                print(f"  paced rounds at {rate:,.0f} requests/s", flush=True)
                paced_rounds, paced_loads = harness.interleave(load.paced_variants(rate), ROUNDS)
                for closed, open_loop in zip(rounds, paced_rounds, strict=True):
                    closed.update(open_loop)
                return rounds, loads + paced_loads, load.server_cpu, load.client_cpu
            finally:
                for connection in connections:
                    loop.run_until_complete(connection.close())
                loop.close()


def us(seconds: float) -> float:
    return round(seconds * 1e6, 1)


def cpu_table(results: dict[str, Any]) -> str:
    rows = [
        (
            v["label"],
            f"{v['server_cpu_us_per_request']:,.0f}",
            f"{v['client_cpu_us_per_request']:,.0f}",
        )
        for v in results["variants"].values()
    ]
    return harness.table(("CPU time per request (median of rounds)", "server µs", "load generator µs"), rows)


def context(results: dict[str, Any]) -> list[str]:
    before, after = results["machine_before"], results["machine_after"]
    bare_rate = float(results["variants"]["bare"]["median_rate"])
    return [
        f"W1 heartbeats over HTTP: {CLIENTS} concurrent clients, {CLIENTS * PER_CLIENT:,} requests per "
        f"variant per round, {ROUNDS} interleaved rounds after a warm-up of {CLIENTS * WARM_UP_PER_CLIENT}; "
        f"then {ROUNDS} paced rounds of {CLIENTS * PACED_PER_CLIENT:,} requests per variant at "
        f"{PACED_SHARE:.0%} of the bare endpoint's median throughput (latency counted from when each "
        "request was due)",
        "closed-loop latency is bound by Little's law: clients ÷ throughput is the mean time in flight "
        f"({CLIENTS} ÷ {bare_rate:,.0f}/s = {CLIENTS / bare_rate * 1000:,.0f} ms here), so the p99 goal is "
        "judged on the paced rounds",
        "server: uvicorn (1 process, h11) in a child process on 127.0.0.1, SQLite embedded default; "
        "load: one keep-alive connection per client from asyncio in this process (sharing the cores)",
        f"setup: {results['hasher']}",
        f"machine: {before['cores']} cores, load average {before['load_average']} before and "
        f"{after['load_average']} after; Python {before['python']}",
        f"1-minute load before each round: {results['load_1min_before_each_round']}",
    ]


def main() -> None:
    print(f"W1 heartbeats: {CLIENTS} clients, {ROUNDS} interleaved rounds", flush=True)
    before = harness.machine()
    rounds, loads, server_cpu, client_cpu = measure()
    results: dict[str, Any] = {
        "workload": "W1 heartbeats per second over HTTP",
        "clients": CLIENTS,
        "requests_per_round": CLIENTS * PER_CLIENT,
        "rounds": ROUNDS,
        "hasher": "accounts registered with tests.fakes.FastHasher (setup speed; heartbeats hash nothing)",
        "machine_before": before,
        "machine_after": harness.machine(),
        "load_1min_before_each_round": loads,
        "variants": {
            name: {
                "label": label,
                **harness.summarise_variant([r[name] for r in rounds]),
                "server_cpu_us_per_request": us(statistics.median(server_cpu[name])),
                "client_cpu_us_per_request": us(statistics.median(client_cpu[name])),
            }
            for name, label in LABELS.items()
        },
        "ratios": {
            "throughput": {
                "label": "throughput: heartbeat ÷ bare",
                **harness.summarise_ratio(rounds, "heartbeat", "bare"),
            },
            "p99": {
                "label": "p99 latency: heartbeat ÷ bare",
                **measures.latency_ratio(rounds, "heartbeat", "bare", 0.99),
            },
            "p99_paced": {
                "label": f"p99 latency, paced at {PACED_SHARE:.0%} of the bare capacity: heartbeat ÷ bare",
                **measures.latency_ratio(rounds, "heartbeat_paced", "bare_paced", 0.99),
            },
            "server_cpu": {
                "label": "server CPU per request: heartbeat ÷ bare",
                **measures.cpu_ratio(server_cpu, "heartbeat", "bare"),
            },
        },
    }
    print(report.render(results, harness.previous(NAME), context(results)))
    print()
    print(cpu_table(results))
    print(f"\nwritten to {harness.write(NAME, results)}")


if __name__ == "__main__":
    main()
