"""W9: access-token issue + verify per second, EdDSA against HS256 (BENCHMARKS.md).

EdDSA is ``api.tokens.TokenService`` as the API uses it: ``issue_access`` then ``access_claims`` (header
check, signature, ``iss``/``aud``/required claims, time window, ``typ``). The baseline, in the same rounds,
is the same service with only the algorithm swapped for HS256 (pyjwt, a 32-byte secret): the same claims,
the same checks. Both run in this process on one thread; each round times a fixed count of each variant
(and of issue and verify alone), in alternating order. Reported: best-of-rounds and median rate, CPU time
per operation, and the EdDSA ÷ HS256 ratio within each round.

With valgrind installed, ``valgrind --tool=callgrind`` counts the instructions of each variant in a child
interpreter: two runs of different operation counts, the difference divided by the difference in count,
so interpreter start-up and warm-up cancel out. Counts repeat closely on a busy machine, where rates do
not.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.tokens import ACCESS_AUDIENCE, REQUIRED, AccessClaims, SigningKey, TokenRejected, TokenService
from tests.bench import harness, measures, report
from tests.bench.harness import Sample

NAME = "w9"
ROUNDS = harness.smoke(9, 1)
OPERATIONS = harness.smoke(1_500, 20)
WARM_UP = harness.smoke(200, 5)
CALLGRIND_COUNTS = harness.smoke((200, 1_200), (5, 10))
CALLGRIND_REPEATS = harness.smoke(2, 1)
CALLGRIND_TIMEOUT_S = 600
ISSUER = "keyledger"

LABELS = {
    "eddsa": "EdDSA issue + verify (api.tokens.TokenService)",
    "hs256": "HS256 issue + verify (same service, HS256)",
    "eddsa_issue": "EdDSA issue only",
    "hs256_issue": "HS256 issue only",
    "eddsa_verify": "EdDSA verify only",
    "hs256_verify": "HS256 verify only",
}
RATIOS = {
    "issue_verify": ("eddsa", "hs256", "issue + verify: EdDSA ÷ HS256"),
    "issue": ("eddsa_issue", "hs256_issue", "issue: EdDSA ÷ HS256"),
    "verify": ("eddsa_verify", "hs256_verify", "verify: EdDSA ÷ HS256"),
}


class Hs256TokenService(TokenService):
    """``TokenService`` with HS256 in place of EdDSA: the claims it signs and every check it makes on
    verify are the base class's."""

    def __init__(self, secret: bytes, kid: str, issuer: str) -> None:
        self.secret = secret
        self.kid = kid
        self.issuer = issuer
        self._verified = {}

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.secret, algorithm="HS256", headers={"kid": self.kid})

    def verify(
        self, token: str, now: datetime, *, typ: str = "access", audience: str = ACCESS_AUDIENCE
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "HS256" or header.get("kid") != self.kid:
                raise TokenRejected("unknown key or algorithm")
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                audience=audience,
                issuer=self.issuer,
                options={"require": REQUIRED, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(str(error)) from None
        self._check_time(claims, now)
        if claims.get("typ") != typ:
            raise TokenRejected("wrong token type")
        return claims


def services() -> dict[str, TokenService]:
    key = SigningKey.from_private(Ed25519PrivateKey.generate())
    return {
        "eddsa": TokenService(key, ISSUER),
        "hs256": Hs256TokenService(os.urandom(32), key.kid, ISSUER),
    }


CLAIMS = AccessClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())


def issue_and_verify(service: TokenService, now: datetime) -> None:
    token = service.issue_access(CLAIMS, now)
    if service.access_claims(token, now) != CLAIMS:
        raise AssertionError("a token did not verify to its own claims")


def operations(service: TokenService) -> dict[str, Callable[[datetime], object]]:
    """The three timed operations of one service: issue + verify, issue alone, verify alone."""
    token = service.issue_access(CLAIMS, datetime.now(UTC))
    return {
        "": lambda now: issue_and_verify(service, now),
        "_issue": lambda now: service.issue_access(CLAIMS, now),
        # A token's first check (the signature; ``access_claims`` then remembers it for the process).
        "_verify": lambda now: service.verify(token, now),
    }


def loop(operation: Callable[[datetime], object], count: int) -> Sample:
    """``count`` operations back to back; the sample's latencies are left empty (one timer per op would
    weigh on the microsecond operations measured)."""
    now = datetime.now(UTC)
    began = time.perf_counter()
    for _ in range(count):
        operation(now)
    return Sample(count, time.perf_counter() - began)


def variants(count: int, cpu: dict[str, list[float]]) -> dict[str, Callable[[], Sample]]:
    """Each ratio's two variants next to each other; rounds alternate direction."""
    built = {name: operations(service) for name, service in services().items()}
    found: dict[str, Callable[[], Sample]] = {}
    for suffix in ("", "_issue", "_verify"):
        for algorithm in ("eddsa", "hs256"):
            name = algorithm + suffix
            operation = built[algorithm][suffix]

            def run(operation: Callable[[datetime], object] = operation) -> Sample:
                return loop(operation, count)

            found[name] = measures.with_cpu(run, time.thread_time, cpu.setdefault(name, []))
    return found


def summarise(name: str, samples: list[Sample], cpu: list[float]) -> dict[str, Any]:
    rates = [s.rate for s in samples]
    return {
        "label": LABELS[name],
        "operations_per_round": samples[0].operations,
        "rates": [round(r, 1) for r in rates],
        "best_rate": round(max(rates), 1),
        "median_rate": round(statistics.median(rates), 1),
        "cpu_us_per_op_median": round(statistics.median(cpu) * 1e6, 2),
        "cpu_us_per_op_best": round(min(cpu) * 1e6, 2),
    }


def callgrind_child(algorithm: str, count: int) -> None:
    """Runs under callgrind: a fixed warm-up, then ``count`` issue + verify operations."""
    service = services()[algorithm]
    now = datetime.now(UTC)
    for _ in range(20):
        issue_and_verify(service, now)
    for _ in range(count):
        issue_and_verify(service, now)


def instructions(valgrind: str, algorithm: str, count: int, directory: Path) -> int:
    out = directory / f"callgrind.{algorithm}.{count}.out"
    command = [
        valgrind,
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "tests.bench.w9_tokens",
        "--callgrind-child",
        algorithm,
        str(count),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(command, check=True, capture_output=True, timeout=CALLGRIND_TIMEOUT_S, env=env)  # noqa: S603
    for line in out.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {out}")


def callgrind() -> dict[str, Any] | None:
    """Instructions per issue + verify for each algorithm, or None (with a note) without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("  valgrind is not installed: skipping the instruction counts", flush=True)
        return None
    low, high = CALLGRIND_COUNTS
    counts: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="keyledger-bench-w9-") as tmp:
        for algorithm in ("eddsa", "hs256"):
            print(f"  callgrind: {algorithm} at {low} and {high} operations", flush=True)
            per_op = []
            for _ in range(CALLGRIND_REPEATS):
                totals = {n: instructions(valgrind, algorithm, n, Path(tmp)) for n in (low, high)}
                per_op.append((totals[high] - totals[low]) / (high - low))
            counts[algorithm] = {
                "per_repeat": [round(x) for x in per_op],
                "instructions_per_op": round(statistics.median(per_op)),
                "repeat_spread": round(max(per_op) / min(per_op) - 1, 6),
            }
    counts["ratio_eddsa_to_hs256"] = round(
        counts["eddsa"]["instructions_per_op"] / counts["hs256"]["instructions_per_op"], 4
    )
    counts["method"] = (
        f"(Ir at {high} ops - Ir at {low} ops) / {high - low}, PYTHONHASHSEED=0, {CALLGRIND_REPEATS} repeats"
    )
    return counts


def rates_table(results: dict[str, Any]) -> str:
    headers = ("variant (absolute numbers: context only)", "best ops/s", "median ops/s", "CPU µs/op")
    rows = [
        (
            v["label"],
            f"{v['best_rate']:,.0f}",
            f"{v['median_rate']:,.0f}",
            f"{v['cpu_us_per_op_median']:,.1f}",
        )
        for v in results["variants"].values()
    ]
    return harness.table(headers, rows)


def callgrind_table(counts: dict[str, Any] | None) -> str:
    if counts is None:
        return "instructions per op: skipped (valgrind is not installed)"
    rows = [
        (LABELS[a], f"{counts[a]['instructions_per_op']:,}", f"{counts[a]['repeat_spread']:.4%}")
        for a in ("eddsa", "hs256")
    ] + [("ratio EdDSA ÷ HS256", f"{counts['ratio_eddsa_to_hs256']:.3f}", "")]
    return harness.table((f"callgrind: {counts['method']}", "instructions/op", "repeat spread"), rows)


def context(results: dict[str, Any]) -> list[str]:
    before, after = results["machine_before"], results["machine_after"]
    return [
        f"W9 token issue + verify: {OPERATIONS:,} operations per variant per round, {ROUNDS} interleaved "
        f"rounds after a warm-up of {WARM_UP}; one thread; pyjwt {jwt.__version__}",
        f"machine: {before['cores']} cores, load average {before['load_average']} before and "
        f"{after['load_average']} after; Python {before['python']}",
        f"1-minute load before each round: {results['load_1min_before_each_round']}",
    ]


def main() -> None:
    print(f"W9 tokens: EdDSA vs HS256, {ROUNDS} interleaved rounds", flush=True)
    before = harness.machine()
    cpu: dict[str, list[float]] = {}
    for run in variants(WARM_UP, cpu).values():
        run()
    cpu.clear()
    rounds, loads = harness.interleave(variants(OPERATIONS, cpu), ROUNDS)
    counts = callgrind()
    results: dict[str, Any] = {
        "workload": "W9 token issue + verify",
        "rounds": ROUNDS,
        "machine_before": before,
        "machine_after": harness.machine(),
        "load_1min_before_each_round": loads,
        "variants": {name: summarise(name, [r[name] for r in rounds], cpu[name]) for name in LABELS},
        "ratios": {
            key: {"label": f"rate, {label}", **harness.summarise_ratio(rounds, top, bottom)}
            for key, (top, bottom, label) in RATIOS.items()
        }
        | {
            f"{key}_cpu": {"label": f"CPU per op, {label}", **measures.cpu_ratio(cpu, top, bottom)}
            for key, (top, bottom, label) in RATIOS.items()
        },
        "callgrind": counts,
    }
    print("\n".join(["", *context(results), "", rates_table(results)]))
    print()
    print(report.ratios_table(results["ratios"], harness.previous(NAME)))
    print()
    print(callgrind_table(counts))
    print(f"\nwritten to {harness.write(NAME, results)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--callgrind-child"]:
        callgrind_child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
