"""Something held in the database for a while (an episode's lease, a provider's slot),
renewed from a thread while the work that needs it runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("wwabench.worker")


class Heartbeat:
    """Renews a hold every third of its length until the context ends."""

    def __init__(self, renew: Callable[[], bool], seconds: float, what: str) -> None:
        self._renew = renew
        self._every = max(seconds / 3, 0.2)
        self._what = what
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if not self._renew():
                    log.warning("%s lost", self._what)
                    return
            except Exception:  # a database hiccup must not kill the work
                log.exception("%s: renewal failed", self._what)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
