"""Test-only fault injection, inert outside `environment = "test"`.

`crash_after_commit_path` (env `WEFT_<SERVICE>_CRASH_AFTER_COMMIT_PATH`) names a service
path; a request to it kills the process right after its transaction commits and before
the response is sent, as a power cut would. The exactly-once test uses it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger("weft.testing")


def crash_point(settings: Any, point: str, path: str) -> None:
    if getattr(settings, "environment", None) != "test":
        return
    target = getattr(settings, f"crash_{point}_path", None)
    if target and target == path:
        log.warning("test crash point reached", extra={"point": point, "path": path})
        logging.shutdown()
        os._exit(70)
