"""`outsource-bot sweep` that dies (SIGKILL, no cleanup) the first time it writes `sent` marks,
after a pause that lets the other calls in flight land: Slack has those posts, their marks are
in this process's memory only, and the table still says `sending`.

    python -m tests.scale.sent_marks_worker      (environment as for `outsource-bot sweep`)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from bot.app.cli import main
from bot.delivery.outbox import Outbox


def _die(self: Outbox, conn: Any, marks: Any) -> Any:
    time.sleep(float(os.environ.get("DIE_AFTER_SECONDS", "0.6")))
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    Outbox._write_sent = _die  # type: ignore[method-assign]
    sys.exit(main(["sweep"]))
