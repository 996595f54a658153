"""In-memory object storage with one global resourceVersion and a bounded event history.

Every write gets the next resourceVersion and appends exactly one event, so event N in the history is the write
that produced resourceVersion N. Watches replay the history from any resourceVersion still in it; pagination and
exact-version lists rebuild an older state by undoing newer events. Both answer 410 Expired for versions that
have been compacted away, as etcd does.

Stored objects are never mutated in place: a write stores a fresh dict, so readers may hold references without
copying, and callers copy before they change anything.
"""

import threading
from collections import namedtuple

from . import errors

Event = namedtuple("Event", "rv type key obj old")  # old: the object before the write (None for ADDED)


class Store:
    """Objects by resource key, then (namespace, name); `cond` guards everything and wakes watchers."""

    def __init__(self, history_limit=1000):
        self.cond = threading.Condition(threading.RLock())
        self.history_limit = history_limit
        self._rv = 0
        self._data = {}
        self._uids = {}
        self._history = []
        self.compacted_rv = 0  # events with rv <= compacted_rv are gone
        self.closed = False

    @property
    def rv(self):
        return self._rv

    def get(self, key, namespace, name):
        return self._data.get(key, {}).get((namespace or "", name))

    def by_uid(self, uid):
        """(key, object) for a uid, or None."""
        with self.cond:
            where = self._uids.get(uid)
            if where is None:
                return None
            key, namespace, name = where
            return key, self.get(key, namespace, name)

    def items(self, key, namespace=None):
        """Objects of one resource, optionally in one namespace, ordered by namespace and name like etcd keys."""
        with self.cond:
            objects = self._data.get(key, {})
            keys = sorted(k for k in objects if namespace is None or k[0] == namespace)
            return [objects[k] for k in keys]

    def all_items(self):
        """(key, object) for every stored object."""
        with self.cond:
            return [(key, obj) for key, objects in self._data.items() for obj in objects.values()]

    def write(self, key, obj, event_type):
        """Store `obj` (ADDED or MODIFIED) under the next resourceVersion and return the stored object."""
        with self.cond:
            meta = obj["metadata"]
            ident = (meta.get("namespace") or "", meta["name"])
            old = self._data.get(key, {}).get(ident)
            stored = self._stamp(obj)
            self._data.setdefault(key, {})[ident] = stored
            self._uids[meta["uid"]] = (key,) + ident
            self._record(event_type, key, stored, old)
            return stored

    def remove(self, key, namespace, name):
        """Delete an object; the DELETED event carries the object stamped with the deletion's resourceVersion."""
        with self.cond:
            old = self._data.get(key, {}).pop((namespace or "", name), None)
            if old is None:
                return None
            self._uids.pop(old["metadata"].get("uid"), None)
            final = self._stamp(old)
            self._record("DELETED", key, final, old)
            return final

    def _stamp(self, obj):
        self._rv += 1
        return {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self._rv)}}

    def _record(self, event_type, key, obj, old):
        self._history.append(Event(self._rv, event_type, key, obj, old))
        overflow = len(self._history) - self.history_limit
        if overflow > 0:
            self.compacted_rv = self._history[overflow - 1].rv
            del self._history[:overflow]
        self.cond.notify_all()

    def compact(self):
        """Forget all history: every resourceVersion older than the current one becomes too old."""
        with self.cond:
            self._history.clear()
            self.compacted_rv = self._rv

    def set_history_limit(self, limit):
        with self.cond:
            self.history_limit = max(1, int(limit))
            overflow = len(self._history) - self.history_limit
            if overflow > 0:
                self.compacted_rv = self._history[overflow - 1].rv
                del self._history[:overflow]

    def events_after(self, rv):
        """Events newer than `rv`; 410 Expired when some of them were compacted away."""
        with self.cond:
            if rv < self.compacted_rv:
                raise errors.expired(f"too old resource version: {rv} ({self.compacted_rv + 1})")
            start = len(self._history) - (self._rv - rv)
            return self._history[max(start, 0):]

    def snapshot(self, key, rv, namespace=None):
        """The objects of one resource as they were at resourceVersion `rv`, in key order."""
        with self.cond:
            if rv < self.compacted_rv:
                raise errors.expired(
                    "The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter.")
            state = {k: v for k, v in self._data.get(key, {}).items()}
            for event in reversed(self._history):
                if event.rv <= rv:
                    break
                if event.key != key:
                    continue
                meta = event.obj["metadata"]
                ident = (meta.get("namespace") or "", meta["name"])
                if event.type == "ADDED":
                    state.pop(ident, None)
                else:
                    state[ident] = event.old
            return [state[k] for k in sorted(state) if namespace is None or k[0] == namespace]

    def wait(self, rv, timeout):
        """Block until a write newer than `rv` happens, the store closes, or `timeout` passes."""
        with self.cond:
            if self._rv <= rv and not self.closed:
                self.cond.wait(timeout)

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()
