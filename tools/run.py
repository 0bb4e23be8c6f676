"""`make run`: PostgreSQL, migrations, every service and the gateway, demo data; Ctrl-C stops all."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from tools.seed import SeedContext, seed_all
from tools.services import ROOT, implemented
from tools.stack import Stack, make_stack


def prepare_database(stack: Stack) -> None:
    """PostgreSQL up, a schema and a role per service, every schema migrated."""
    stack.start_database()
    stack.migrate()


def bring_up(stack: Stack, *, seed: bool = True) -> SeedContext | None:
    prepare_database(stack)
    return start_services(stack, seed=seed)


def start_services(stack: Stack, *, seed: bool = True) -> SeedContext | None:
    """Every process on a prepared database, then (optionally) the demo network."""
    stack.bootstrap_operator()
    stack.start_processes()
    if not seed:
        return None
    ctx = SeedContext(
        service_urls={s.name: stack.service_url(s.name) for s in implemented()},
        gateway_url=stack.gateway_url,
        operator_admin_password=stack.secrets.get("operator_admin_password", ""),
        mail_dir=str(stack.config.state_dir / "mail"),
    )
    return seed_all(ctx)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", default=str(ROOT / ".weft"))
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()
    stack = make_stack(Path(args.state_dir))
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        ctx = bring_up(stack, seed=not args.no_seed)
        print("\nWeft is running.\n")
        print(f"  gateway        {stack.gateway_url}   (OpenAPI: {stack.gateway_url}/docs)")
        for spec in implemented():
            print(f"  {spec.name:<14} {stack.service_url(spec.name)}")
        if stack.pg is not None:
            print(f"  postgres       127.0.0.1:{stack.config.pg_port} (data in {stack.pg.pgdata})")
        if ctx is not None and ctx.logins:
            from tools.seed import DEMO_PASSWORD

            print(f"\nDemo logins (password {DEMO_PASSWORD!r}, but for the operator admin):")
            for who, email, tenant, space in ctx.logins:
                print(f"  {who:<28} {email:<34} tenant={tenant:<16} space={space}")
            print(
                "  The operator admin's password is generated once and kept in "
                f"{stack.config.state_dir / 'secrets.json'} (operator_admin_password)."
            )
        if ctx is not None and ctx.data.get("quality"):
            print(f"\nDemo passport (GS1 Digital Link): {ctx.data['quality']['digital_link']}")
        print(f"\nLogs in {stack.config.state_dir / 'logs'}. Ctrl-C stops everything.")
        while not stopping:
            for name, proc in stack.procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        print("\nStopping...")
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
