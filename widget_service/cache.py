"""A small per-process cache with expiry, for values that may be a few seconds stale."""
import threading
import time


class TTLCache:
    def __init__(self):
        self._items = {}
        self._lock = threading.Lock()

    def get(self, key):
        """The cached value, or None when absent or expired."""
        with self._lock:
            hit = self._items.get(key)
        if hit is None or hit[1] <= time.monotonic():
            return None
        return hit[0]

    def set(self, key, value, ttl):
        with self._lock:
            self._items[key] = (value, time.monotonic() + ttl)

    def add(self, key, ttl):
        """Store ``key`` unless it is there and fresh; True when it was stored."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[1] > now:
                return False
            if len(self._items) > 100_000:  # keep a flood of one-off keys from growing memory
                self._items = {k: v for k, v in self._items.items() if v[1] > now}
            self._items[key] = (True, now + ttl)
            return True

    def pop(self, key):
        with self._lock:
            self._items.pop(key, None)

    def clear(self):
        with self._lock:
            self._items.clear()
