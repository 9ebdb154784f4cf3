"""Access-token verification: how many ES256 tokens one core checks per second, and what one
check costs (p50/p99), through `TokenVerifier.verify` exactly as the gateway and every service
call it (key set cached, claims validated into `AccessClaims`): for a token it sees for the
first time (signature checked) and for one it verified before (remembered, see the verifier).

Runs without servers: `python -m bench.token_verification [--quick]`, or through
`python -m bench token_verification`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from shared.auth.claims import AUDIENCE, SIGNING_ALGORITHM
from shared.auth.verifier import StaticKeySource, TokenVerifier

ISSUER = "https://portal.example"


def _token(key: ECKey) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
        "org": str(uuid.uuid4()),
        "role": "customer_user",
        "modules": ["personal_data", "tickets"],
    }
    return jwt.encode({"alg": SIGNING_ALGORITHM, "kid": key.kid}, claims, key)


async def measure(verifier: TokenVerifier, tokens: list[str], duration: float) -> dict[str, float]:
    """Verifications back to back over `tokens`, in turn, for `duration` seconds."""
    samples: list[float] = []
    started = time.perf_counter()
    index = 0
    while time.perf_counter() - started < duration:
        before = time.perf_counter()
        await verifier.verify(tokens[index % len(tokens)])
        samples.append(time.perf_counter() - before)
        index += 1
    elapsed = time.perf_counter() - started
    samples.sort()
    return {
        "verifications_per_second": len(samples) / elapsed,
        "p50_us": statistics.median(samples) * 1e6,
        "p99_us": samples[int(len(samples) * 0.99)] * 1e6,
    }


async def run(
    database_url: str | None = None, kafka_bootstrap: str | None = None, *, quick: bool = False
) -> dict[str, dict[str, float]]:
    """Print (and return) the figures; needs no server."""
    del database_url, kafka_bootstrap
    key = ECKey.generate_key("P-256", parameters={"kid": "bench", "alg": SIGNING_ALGORITHM})
    tokens = [_token(key) for _ in range(200)]
    duration = 1.0 if quick else 5.0
    verifiers = {
        # remembering nothing: every verification checks the signature, as for a new token
        "first sight of a token (signature checked)": TokenVerifier(
            StaticKeySource(KeySet([key])), ISSUER, remembered=0
        ),
        "a token verified before (remembered)": TokenVerifier(
            StaticKeySource(KeySet([key])), ISSUER
        ),
    }
    figures = {}
    print("token verification (ES256, one core)")
    for name, verifier in verifiers.items():
        for token in tokens:  # warm up
            await verifier.verify(token)
        figures[name] = measured = await measure(verifier, tokens, duration)
        print(
            f"  {name}: {measured['verifications_per_second']:,.0f} verifications/s,"
            f" p50 {measured['p50_us']:.1f} µs, p99 {measured['p99_us']:.1f} µs"
        )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    asyncio.run(run(quick=parser.parse_args().quick))
