"""Login attempts limited per account and per address, within a sliding window.

Kept in the server's memory: one `trialmatch serve` process guards its own
door. A successful login clears the account's failures, not the address's.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleLimits:
    per_account: int = 5
    per_address: int = 20
    window_seconds: float = 900.0


class LoginThrottle:
    def __init__(self, limits: ThrottleLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, account: str, address: str) -> float:
        """0 when a login may be tried now, else how long until it may."""
        with self._lock:
            now = self.clock()
            waits = [
                self._wait(("account", account.casefold()), self.limits.per_account, now),
                self._wait(("address", address), self.limits.per_address, now),
            ]
        return max(waits)

    def failed(self, account: str, address: str) -> None:
        with self._lock:
            now = self.clock()
            for key in (("account", account.casefold()), ("address", address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(("account", account.casefold()), None)

    def _wait(self, key: tuple[str, str], limit: int, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.limits.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        if len(times) < limit:
            return 0.0
        return times[0] + self.limits.window_seconds - now
