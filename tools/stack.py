"""Bring Weft up: PostgreSQL, schemas and roles, migrations, and every process.

Used by `make run` (tools/run.py) and by the test suite (tests/conftest.py), so the tests
exercise the same start-up path a developer uses.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import asyncpg
import httpx

from libs.common.webhooks import generate_secret
from tools.pg import Postgres, free_port
from tools.services import DATABASE_NAME, GATEWAY_PORT, ROOT, SERVICES, ServiceSpec, implemented


@dataclass
class StackConfig:
    state_dir: Path
    pg_port: int
    gateway_port: int
    service_ports: dict[str, int]
    external_database_url: str | None = None  # WEFT_DATABASE_URL: an admin DSN of another server
    environment: str = "development"


@dataclass
class Stack:
    config: StackConfig
    pg: Postgres | None
    secrets: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    # --- addresses ---------------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.config.gateway_port}"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.config.service_ports[name]}"

    def admin_dsn(self, database: str = DATABASE_NAME) -> str:
        if self.config.external_database_url:
            base = self.config.external_database_url.rsplit("/", 1)[0]
            return f"{base}/{database}"
        assert self.pg is not None
        return self.pg.admin_dsn(database)

    def _host_port(self) -> str:
        if self.config.external_database_url:
            return self.config.external_database_url.split("@", 1)[1].rsplit("/", 1)[0]
        return f"127.0.0.1:{self.config.pg_port}"

    def service_dsn(self, name: str, driver: str = "postgresql+asyncpg") -> str:
        pw = quote(self.secrets[f"db_password_{name}"], safe="")
        return f"{driver}://weft_{name}:{pw}@{self._host_port()}/{DATABASE_NAME}"

    # --- environment of each process ---------------------------------------------------
    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        p = spec.env_prefix
        identity = self.service_url("identity")
        env = {
            f"{p}ENVIRONMENT": self.config.environment,
            f"{p}SERVICE_NAME": spec.name,
            f"{p}DATABASE_URL": self.service_dsn(spec.name),
            f"{p}DB_SCHEMA": spec.name,
            f"{p}JWKS_URL": f"{identity}/.well-known/jwks.json",
            f"{p}SERVICE_SECRET": self.secrets[f"service_secret_{spec.name}"],
            # the gateway signs the audit records of what it refuses (libs.common.audit)
            f"{p}AUDIT_INGEST_SECRET": self.secrets["gateway_audit_secret"],
            f"{p}SYNC_INGEST_URL": f"{self.service_url('sync')}/internal/events",
            f"{p}STATE_DIR": str(self.config.state_dir / spec.name),
            f"{p}SERVICE_URLS": json.dumps({s.name: self.service_url(s.name) for s in SERVICES}),
            f"{p}SERVICE_SECRETS": json.dumps(
                {s.name: self.secrets[f"service_secret_{s.name}"] for s in SERVICES}
            ),
        }
        if spec.name in ("production", "catalog", "quality", "partner"):
            env[f"{p}IDENTITY_URL"] = identity
        if spec.name == "quality":
            # GS1 Digital Link URIs (and their QR codes) at the gateway's root
            env[f"{p}PUBLIC_BASE_URL"] = self.gateway_url
        if spec.name == "identity":
            env[f"{p}KEY_ENCRYPTION_KEY"] = self.secrets["identity_key_encryption_key"]
            env[f"{p}MAIL_DIR"] = str(self.config.state_dir / "mail")
            env[f"{p}PRODUCTION_URL"] = self.service_url("production")
            # federation peers of a local demo or test run on this machine
            env[f"{p}FEDERATION_ALLOW_PRIVATE_URLS"] = "true"
            if self.config.environment == "test":
                # every test shares 127.0.0.1: per-address login throttling would let one
                # test's failed logins lock out the rest (tests/identity use other addresses)
                env[f"{p}LOGIN_IP_EXEMPT"] = '["127.0.0.1", "::1"]'
        if spec.name == "partner":
            # golden runs against a sandbox on this machine (the demo's and the tests')
            env[f"{p}ALLOW_PRIVATE_TARGETS"] = "true"
            env[f"{p}OWNER_API_URL"] = self.gateway_url
            env[f"{p}MOCK_BASE_URL"] = f"{self.service_url('partner')}/mocks"
        if spec.name in ("sync",):
            env[f"{p}ALLOW_PRIVATE_URLS"] = "true"
            if self.config.environment == "test":
                # shrunk retry schedule and breaker so retry / dead-letter tests take seconds
                env[f"{p}RETRY_SCHEDULE"] = "[0, 0.3, 0.6, 1, 1, 1.5, 2, 2]"
                env[f"{p}CIRCUIT_COOLDOWN_SECONDS"] = "1"
                env[f"{p}DELIVERY_TIMEOUT_SECONDS"] = "3"
        return env

    def gateway_env(self) -> dict[str, str]:
        env = {
            "WEFT_GATEWAY_ENVIRONMENT": self.config.environment,
            "WEFT_GATEWAY_PORT": str(self.config.gateway_port),
            "WEFT_GATEWAY_JWKS_URL": f"{self.service_url('identity')}/.well-known/jwks.json",
            "WEFT_GATEWAY_SERVICE_URLS": json.dumps(
                {s.name: self.service_url(s.name) for s in implemented()}
            ),
            "WEFT_GATEWAY_AUDIT_SECRET": self.secrets["gateway_audit_secret"],
        }
        if self.config.environment == "test":
            # every test shares 127.0.0.1 and a few tenants; tests of the limits start their
            # own gateway with low ones (tests/gateway)
            for kind in ("TENANT", "CLIENT", "IP"):
                env[f"WEFT_GATEWAY_RATE_LIMIT_{kind}"] = "1000000"
        return env

    # --- lifecycle ---------------------------------------------------------------------
    def start_database(self) -> None:
        if self.pg is not None:
            self.pg.start()
        asyncio.run(bootstrap_database(self))

    def migrate(self) -> None:
        """Every implemented service's schema: its Alembic tree, then the job tables."""
        from tools.migrate import migrate_service

        for spec in implemented():
            migrate_service(spec, self.service_dsn(spec.name))

    def bootstrap_operator(self) -> None:
        """Create the platform operator and its first admin (idempotent), via identity's CLI."""
        if not (ROOT / "services" / "identity" / "bootstrap.py").exists():
            return
        if "operator_admin_password" not in self.secrets:
            self.secrets["operator_admin_password"] = secrets.token_urlsafe(16)
            (self.config.state_dir / "secrets.json").write_text(json.dumps(self.secrets, indent=2))
        spec = next(s for s in SERVICES if s.name == "identity")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("WEFT_")},
            **self.service_env(spec),
            "PYTHONPATH": str(ROOT),
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "services.identity.bootstrap",
                "--name",
                "Pack & Polish",
                "--slug",
                "pack-polish",
                "--admin-email",
                "admin@packpolish.example",
                # one argument: a password starting with "-" must not read as an option
                f"--admin-password={self.secrets['operator_admin_password']}",
            ],
            env=env,
            check=True,
            cwd=ROOT,
        )

    def start_processes(self, *, log_dir: Path | None = None) -> None:
        log_dir = log_dir or self.config.state_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_")}
        base_env["PYTHONPATH"] = str(ROOT)
        for spec in implemented():
            env = {**base_env, **self.service_env(spec)}
            self.procs[spec.name] = _spawn(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    spec.app,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.config.service_ports[spec.name]),
                    "--no-access-log",
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "--timeout-graceful-shutdown",
                    "5",
                ],
                env,
                log_dir / f"{spec.name}.log",
            )
        if (ROOT / "gateway" / "app.py").exists():
            env = {**base_env, **self.gateway_env()}
            self.procs["gateway"] = _spawn(
                [sys.executable, "-m", "gateway"], env, log_dir / "gateway.log"
            )
        self.wait_healthy()

    def restart(self, name: str) -> None:
        """Stop one process (SIGKILL) and start it again: for crash tests."""
        proc = self._started(name)
        proc.kill()
        proc.wait()
        self.procs[name] = _spawn(proc.cmd, proc.env, proc.log_path)
        self.wait_healthy([name])

    def _started(self, name: str) -> Proc:
        proc = self.procs[name]
        assert isinstance(proc, Proc), f"{name} was not started by the stack"
        return proc

    def log_path(self, name: str) -> Path:
        """Where the process `name` (a service or the gateway) writes its output."""
        return self._started(name).log_path

    def wait_healthy(self, names: list[str] | None = None, timeout: float | None = None) -> None:
        # WEFT_STACK_START_TIMEOUT: a loaded machine (many suites sharing two cores) starts
        # the processes slower than the default minute
        timeout = timeout or float(os.environ.get("WEFT_STACK_START_TIMEOUT", "60"))
        deadline = time.monotonic() + timeout
        pending = {n: self._health_url(n) for n in (names or list(self.procs))}
        while pending:
            for name, url in list(pending.items()):
                proc = self.procs[name]
                if proc.poll() is not None:
                    log = self.log_path(name).read_text()[-4000:]
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log}")
                try:
                    if httpx.get(url, timeout=1.0).status_code == 200:
                        pending.pop(name)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not healthy in {timeout}s: {sorted(pending)}")
            if pending:
                time.sleep(0.2)

    def _health_url(self, name: str) -> str:
        if name == "gateway":
            return f"{self.gateway_url}/healthz"
        return f"{self.service_url(name)}/healthz"

    def stop_processes(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def stop(self) -> None:
        self.stop_processes()
        if self.pg is not None:
            self.pg.stop()


class Proc(subprocess.Popen[bytes]):
    """A started process with what `Stack.restart` needs to start it again."""

    def __init__(self, cmd: list[str], env: dict[str, str], log_path: Path) -> None:
        log = open(log_path, "ab")  # noqa: SIM115 - the child owns it for its lifetime
        super().__init__(
            cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.cmd, self.env, self.log_path = cmd, env, log_path


def _spawn(cmd: list[str], env: dict[str, str], log_path: Path) -> Proc:
    return Proc(cmd, env, log_path)


def load_secrets(state_dir: Path) -> dict[str, str]:
    """Development secrets, made once per state folder (git-ignored), never in code."""
    path = state_dir / "secrets.json"
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for spec in SERVICES:
        for key, maker in (
            (f"db_password_{spec.name}", lambda: secrets.token_urlsafe(24)),
            (f"service_secret_{spec.name}", generate_secret),
        ):
            if key not in data:
                data[key] = maker()
                changed = True
    if "gateway_audit_secret" not in data:
        data["gateway_audit_secret"] = generate_secret()
        changed = True
    if "identity_key_encryption_key" not in data:
        from cryptography.fernet import Fernet

        data["identity_key_encryption_key"] = Fernet.generate_key().decode()
        changed = True
    if changed:
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        path.chmod(0o600)
    return data


async def bootstrap_database(stack: Stack) -> None:
    """Database, one schema and one login role per service, each reaching its own only."""
    conn = await asyncpg.connect(stack.admin_dsn("postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE_NAME)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(stack.admin_dsn(DATABASE_NAME))
    try:
        await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        await conn.execute(f'REVOKE ALL ON DATABASE "{DATABASE_NAME}" FROM PUBLIC')
        for spec in SERVICES:
            role = spec.db_role
            pw = stack.secrets[f"db_password_{spec.name}"].replace("'", "''")
            has_role = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if has_role else "CREATE"
            await conn.execute(
                f"{verb} ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                f"NOBYPASSRLS PASSWORD '{pw}'"
            )
            await conn.execute(f'GRANT CONNECT ON DATABASE "{DATABASE_NAME}" TO {role}')
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{spec.name}" AUTHORIZATION {role}')
            await conn.execute(f'ALTER ROLE {role} SET search_path = "{spec.name}"')
        # catalog's exclusion constraints need btree_gist, which only an administrator creates
        await conn.execute('CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA "catalog"')
    finally:
        await conn.close()


def make_stack(
    state_dir: Path,
    *,
    pg_port: int | None = None,
    gateway_port: int | None = None,
    fixed_ports: bool = True,
    environment: str = "development",
) -> Stack:
    external = os.environ.get("WEFT_DATABASE_URL")
    ports = {s.name: (s.port if fixed_ports else free_port()) for s in SERVICES}
    config = StackConfig(
        state_dir=state_dir,
        pg_port=pg_port or (5433 if fixed_ports else free_port()),
        gateway_port=gateway_port or (GATEWAY_PORT if fixed_ports else free_port()),
        service_ports=ports,
        external_database_url=external,
        environment=environment,
    )
    pg = None if external else Postgres(state_dir, config.pg_port)
    return Stack(config=config, pg=pg, secrets=load_secrets(state_dir))
