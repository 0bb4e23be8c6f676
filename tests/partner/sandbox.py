"""The partner sandbox (`tools.partner_sandbox`) as a real uvicorn process on a free port."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from tools.partner_sandbox import TOKEN
from tools.pg import free_port


@dataclass(frozen=True)
class Sandbox:
    url: str
    token: str


@contextlib.contextmanager
def running_sandbox(bug: str = "", token: str = TOKEN) -> Iterator[Sandbox]:
    port = free_port()
    env = {**os.environ, "WEFT_SANDBOX_BUG": bug, "WEFT_SANDBOX_TOKEN": token}
    cmd = [sys.executable, "-m", "uvicorn", "tools.partner_sandbox:app", "--port", str(port)]
    cmd += ["--host", "127.0.0.1", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the sandbox exited: {proc.stderr.read() if proc.stderr else ''!r}"
                )
            try:
                httpx.get(f"{url}/items", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield Sandbox(url=url, token=token)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
