"""Watch streams: which events a watch request receives, and the registry of open watches.

A watch starts either from the current state (resourceVersion "" or "0", or sendInitialEvents=true: synthetic
ADDED events first) or right after a given resourceVersion (history replay; 410 Expired in an ERROR event when that
version was compacted away). Selectors are applied per event, and an object that starts or stops matching is
reported as ADDED or DELETED, as the apiserver's watch cache does. Bookmarks carry the newest resourceVersion the
watch has seen; the first one is sent right after the initial events so clients learn a resume point quickly.
"""

import itertools
import re
import threading
import time

from . import errors
from .clock import now_rfc3339

IDLE_TICK = 0.5  # how often an idle watch wakes up, so the handler can notice a closed client


class Watch:
    """One open watch: yields (type, object) pairs, or None when idle."""

    _ids = itertools.count(1)

    def __init__(self, store, rt, namespace, label_selector, field_selector, resource_version="",
                 bookmarks=False, send_initial_events=False, timeout=1800.0, bookmark_interval=lambda: 1.0,
                 path="", user=""):
        self.id = next(self._ids)
        self.store, self.rt, self.namespace = store, rt, namespace
        self.label_selector, self.field_selector = label_selector, field_selector
        self.resource_version = resource_version
        self.bookmarks, self.send_initial_events = bookmarks, send_initial_events
        self.deadline = time.monotonic() + timeout
        self.bookmark_interval = bookmark_interval
        self.path, self.user, self.started = path, user, now_rfc3339()
        self.dropped = threading.Event()
        self.start_rv = self._parse_rv(resource_version)

    @staticmethod
    def _parse_rv(text):
        if text in ("", "0"):
            return None
        try:
            return int(text)
        except ValueError:
            raise errors.bad_request(f"invalid resource version: {text!r}") from None

    def describe(self):
        return {"id": self.id, "path": self.path, "user": self.user, "resource": self.rt.qualified,
                "namespace": self.namespace or "", "started": self.started}

    def _matches(self, obj):
        if obj is None:
            return False
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.label_selector.matches(obj["metadata"].get("labels")) and self.field_selector.matches(obj)

    def _translate(self, event):
        if event.key != self.rt.key:
            return None
        now, before = self._matches(event.obj), self._matches(event.old)
        if event.type == "ADDED":
            return ("ADDED", event.obj) if now else None
        if event.type == "DELETED":
            return ("DELETED", event.obj) if before else None
        if now:
            return ("MODIFIED" if before else "ADDED", event.obj)
        return ("DELETED", event.obj) if before else None

    def _bookmark(self, rv, initial_end=False):
        meta = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return ("BOOKMARK", {"kind": self.rt.kind, "apiVersion": self.rt.api_version, "metadata": meta})

    def _done(self):
        return self.dropped.is_set() or self.store.closed or time.monotonic() >= self.deadline

    def events(self):
        with self.store.cond:  # never yield while holding the lock: the consumer writes to a socket
            current = self.store.rv
            if self.start_rv is None or self.send_initial_events:
                position = current
                initial = [o for o in self.store.items(self.rt.key, self.namespace or None) if self._matches(o)]
            else:
                position, initial = self.start_rv, []
        if position > current:
            yield ("ERROR", errors.timeout(f"Too large resource version: {position}, current: {current}").status())
            return
        for obj in initial:
            yield ("ADDED", obj)
        next_bookmark = time.monotonic()
        if self.bookmarks and self.send_initial_events:
            yield self._bookmark(position, initial_end=True)
            next_bookmark += self.bookmark_interval()
        while not self._done():
            if self.bookmarks and time.monotonic() >= next_bookmark:
                yield self._bookmark(position)
                next_bookmark = time.monotonic() + self.bookmark_interval()
            wait = min(IDLE_TICK, self.deadline - time.monotonic())
            if self.bookmarks:
                wait = min(wait, next_bookmark - time.monotonic())
            self.store.wait(position, max(wait, 0))
            try:
                pending = self.store.events_after(position)
            except errors.ApiError as e:
                yield ("ERROR", e.status())
                return
            delivered = False
            for event in pending:
                position = event.rv
                translated = self._translate(event)
                if translated:
                    delivered = True
                    yield translated
            if not delivered:
                yield None  # lets the handler check whether the client is still there


class WatchRegistry:
    """The open watches, so the control API can list them and drop them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._open = {}

    def add(self, watch):
        with self._lock:
            self._open[watch.id] = watch

    def remove(self, watch):
        with self._lock:
            self._open.pop(watch.id, None)

    def describe(self):
        with self._lock:
            return [w.describe() for w in self._open.values()]

    def drop(self, path_pattern=None):
        """End every open watch (or those whose path matches the regex); returns how many."""
        with self._lock:
            chosen = [w for w in self._open.values() if not path_pattern or re.search(path_pattern, w.path)]
        for watch in chosen:
            watch.dropped.set()
            with watch.store.cond:
                watch.store.cond.notify_all()
        return len(chosen)
