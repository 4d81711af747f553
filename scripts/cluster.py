"""A local pilot cluster on 127.0.0.1: PostgreSQL (database + procrastinate queue), a Chroma
server, two API processes and two workers, each process with its own data directory (nothing is
shared but the database and Chroma).

    python scripts/cluster.py up [--apis 2] [--workers 2] [--keep]   # runs until Ctrl-C
    make cluster                                                     # the same

PostgreSQL must be running (`.ci/run` starts it); the admin URL defaults to
postgresql+psycopg://postgres@127.0.0.1:5432/postgres (PILOT_CLUSTER_PG). A fresh database
`pilot_cluster_<hex>` is created and dropped at the end (unless --keep). The cluster's endpoints,
token and environment are written to <root>/cluster.json and printed.

`Cluster` is also the harness of tests/cluster (make cluster-test) and benchmarks/scale_bench.py.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
PILOT = str(BIN / "pilot")
ADMIN_URL = os.environ.get("PILOT_CLUSTER_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SAMPLE = "payments-migration"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Cluster:
    apis: int = 2
    workers: int = 2
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pilot-cluster-")))
    database: str = field(default_factory=lambda: f"pilot_cluster_{uuid.uuid4().hex[:8]}")
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)
    token: str = ""
    chroma_url: str = ""

    @property
    def database_url(self) -> str:
        return ADMIN_URL.rsplit("/", 1)[0] + f"/{self.database}"

    def env(self, name: str) -> dict[str, str]:
        data_dir = self.root / name
        data_dir.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "PILOT_DATA_DIR": str(data_dir),
            "PILOT_DATABASE_URL": self.database_url,
            "PILOT_CHROMA_URL": self.chroma_url,
            "PILOT_QUEUE": "procrastinate",
            "PILOT_JOB_HEARTBEAT_S": "1",
            "PILOT_JOB_STALL_S": "5",
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            **self.extra_env,
        }

    def cli(self, *args: str, name: str = "cli", timeout: float = 600) -> str:
        done = subprocess.run(
            [PILOT, *args], env=self.env(name), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"pilot {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def _spawn(
        self, name: str, args: list[str], port: int | None = None, env: dict[str, str] | None = None
    ) -> Proc:
        log = (self.root / f"{name}.log").open("wb")
        popen = subprocess.Popen(args, env=env or self.env(name), stdout=log, stderr=subprocess.STDOUT)
        proc = Proc(name, popen, port)
        self.procs.append(proc)
        return proc

    def start(self) -> Cluster:
        from sqlalchemy import create_engine, text

        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        admin.dispose()
        port = free_port()
        self.chroma_url = f"http://127.0.0.1:{port}"
        chroma_env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self._spawn(
            "chroma",
            [
                str(BIN / "chroma"),
                "run",
                "--path",
                str(self.root / "chroma"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            port,
            chroma_env,
        )
        wait_http(f"{self.chroma_url}/api/v2/heartbeat")
        self.cli("db", "upgrade")  # the deploy step: schema and queue tables, once
        self.cli("program", "import", str(sample_program()))
        created = json.loads(
            self.cli(
                "token", "create", "--user", "cluster-admin", "--role", "admin", "--program", "*", "--json"
            )
        )
        self.token = created["token"]
        for i in range(self.workers):
            self.start_worker(i)
        for i in range(self.apis):
            api_port = free_port()
            self._spawn(f"api-{i}", [PILOT, "serve", "--port", str(api_port)], api_port)
        for url in self.api_urls:
            wait_http(f"{url}/health")
        self.write_state()
        return self

    def start_worker(self, index: int) -> Proc:
        return self._spawn(f"worker-{index}", [PILOT, "worker"])

    @property
    def api_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p.port}" for p in self.procs if p.name.startswith("api-")]

    def worker_procs(self) -> list[Proc]:
        return [p for p in self.procs if p.name.startswith("worker-") and p.alive()]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def write_state(self) -> None:
        state = {
            "root": str(self.root),
            "database_url": self.database_url,
            "chroma_url": self.chroma_url,
            "apis": self.api_urls,
            "token": self.token,
            "program": SAMPLE,
            "processes": {p.name: p.pid for p in self.procs},
        }
        (self.root / "cluster.json").write_text(json.dumps(state, indent=2))

    def stop(self, *, keep: bool = False) -> None:
        for proc in reversed(self.procs):
            if proc.alive():
                proc.popen.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.popen.wait(20)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(10)
        if keep:
            return
        from sqlalchemy import create_engine, text

        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        admin.dispose()


def sample_program() -> Path:
    from pilot.sample import sample_program_path

    return Path(sample_program_path())


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up"])
    parser.add_argument("--apis", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the database and data directories")
    args = parser.parse_args()
    cluster = Cluster(apis=args.apis, workers=args.workers)
    try:
        cluster.start()
        print(f"pilot cluster up ({cluster.root / 'cluster.json'}):")
        print(f"  database  {cluster.database_url}\n  chroma    {cluster.chroma_url}")
        for url in cluster.api_urls:
            print(f"  api       {url}")
        print(f"  workers   {len(cluster.worker_procs())}\n  token     {cluster.token}\nCtrl-C stops it.")
        signal.signal(signal.SIGTERM, _interrupt)
        while all(p.alive() for p in cluster.procs):
            time.sleep(1)
        print("a process stopped; see the logs under", cluster.root)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop(keep=args.keep)


if __name__ == "__main__":
    main()
