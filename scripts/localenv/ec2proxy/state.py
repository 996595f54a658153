"""Everything the proxy remembers: counters, call log, faults, timings,
tracked resources and idempotency tokens. One lock guards it all."""

from __future__ import annotations

import collections
import hashlib
import json
import threading
import time
from typing import Any

from .blockstore import MAX_BLOCKS_PER_VOLUME, BlockStore
from .ebsdirect import EbsLimits
from .faults import Fault
from .resources import TIMING_KEYS, ResourceBook

# Actions for which the proxy honours ClientToken itself (moto ignores it).
IDEMPOTENT_ACTIONS = frozenset({"CreateVolume", "RunInstances"})
MAX_TOKENS = 20000
_FINGERPRINT_SKIP = {"ClientToken", "DryRun"}
# EBS direct APIs settings (command line defaults, POST /__proxy/ebs): allocated blocks of a new volume,
# GetSnapshotBlock MiB/s per snapshot and calls per second per account and action (0 = no limit).
EBS_DEFAULTS = {"blocks_per_volume": 16, "mibps": 0.0, "rps": 0.0}
MAX_READABLE = 10000  # (caller, region, snapshot) moto said the caller may read; snapshots in ebs_by_snapshot


class IdemEntry:
    def __init__(self, fingerprint: str):
        self.fingerprint = fingerprint
        self.lock = threading.Lock()
        self.response: tuple[int, list[tuple[str, str]], bytes] | None = None


class ProxyState:
    def __init__(self, timings: dict[str, float], seed: int | None, log_size: int = 10000,
                 log_path: str | None = None, enforce: bool = False, idempotency: bool = True,
                 ebs: dict[str, float] | None = None):
        self.lock = threading.RLock()
        self.seed = seed
        self.log_size = log_size
        self.log_path = log_path
        self._log_file = open(log_path, "a", encoding="utf-8") if log_path else None
        self.idempotency_enabled = idempotency
        self.book = ResourceBook(timings, enforce)
        self.ebs_defaults = {**EBS_DEFAULTS, **(ebs or {})}
        self.blocks = BlockStore(seed, int(self.ebs_defaults["blocks_per_volume"]))
        self.started_at = time.time()
        self._reset_runtime()
        self._reset_ebs()

    def _reset_runtime(self) -> None:
        self.total = 0
        self.by_action: collections.Counter[str] = collections.Counter()
        self.by_service: collections.Counter[str] = collections.Counter()
        self.by_account: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.by_status: collections.Counter[str] = collections.Counter()
        self.injected: collections.Counter[str] = collections.Counter()
        self.log: collections.deque[dict[str, Any]] = collections.deque(maxlen=self.log_size)
        self.seq = 0
        self.faults: list[Fault] = []
        self.next_fault_id = 1
        self.idem: collections.OrderedDict[tuple, IdemEntry] = collections.OrderedDict()
        self._reset_ebs_counters()

    def _reset_ebs_counters(self) -> None:
        self.ebs_bytes: collections.Counter[str] = collections.Counter()  # by account
        self.ebs_blocks: collections.Counter[str] = collections.Counter()
        self.ebs_by_snapshot: dict[str, dict[str, int]] = {}

    def _reset_ebs(self) -> None:
        self.ebs = dict(self.ebs_defaults)
        self.blocks.blocks_per_volume = int(self.ebs["blocks_per_volume"])
        self.blocks.clear()
        self.ebs_limits = EbsLimits()
        self.readable: collections.OrderedDict[tuple, bool] = collections.OrderedDict()

    # ---------------------------------------------------------------- resets
    def reset_all(self) -> None:
        with self.lock:
            self._reset_runtime()
            self.book.reset()
            self._reset_ebs()

    def reset_calls(self) -> None:
        with self.lock:
            self.total = 0
            self.by_action.clear()
            self.by_service.clear()
            self.by_account.clear()
            self.by_status.clear()
            self.injected.clear()
            self.log.clear()
            self._reset_ebs_counters()

    def upstream_was_reset(self) -> None:
        """moto forgot everything: tracked ids and tokens are meaningless now."""
        with self.lock:
            self.book.clear_resources()
            self.idem.clear()
            self.blocks.clear()
            self.readable.clear()

    # -------------------------------------------------------------- counting
    def count(self, req) -> None:
        with self.lock:
            self.total += 1
            self.by_action[req.key] += 1
            self.by_service[req.service or "unknown"] += 1
            self.by_account[req.account_key][req.key] += 1

    def calls_json(self, account: str | None = None, action: str | None = None) -> dict[str, Any]:
        with self.lock:
            if account is not None:
                acts = dict(self.by_account.get(account, {}))
                out: dict[str, Any] = {"account": account, "total": sum(acts.values()), "by_action": acts,
                                       "ebs_bytes": self.ebs_bytes.get(account, 0),
                                       "ebs_blocks": self.ebs_blocks.get(account, 0)}
            else:
                out = {
                    "total": self.total,
                    "by_action": dict(self.by_action),
                    "by_service": dict(self.by_service),
                    "by_account": {k: dict(v) for k, v in self.by_account.items()},
                    "by_status": dict(self.by_status),
                    "injected": dict(self.injected),
                    "ebs_bytes": sum(self.ebs_bytes.values()),
                    "ebs_blocks": sum(self.ebs_blocks.values()),
                    "ebs_by_snapshot": {k: dict(v) for k, v in self.ebs_by_snapshot.items()},
                }
            if action is not None:
                out["count"] = out["by_action"].get(action, 0)
            return out

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.by_status[str(entry.get("status"))] += 1
            if entry.get("fault"):
                self.injected[entry["action"]] += 1
            self.log.append(entry)
            if self._log_file is not None:
                try:
                    self._log_file.write(json.dumps(entry, sort_keys=True) + "\n")
                    self._log_file.flush()
                except (OSError, ValueError):
                    pass

    def count_block(self, account: str, snapshot: str, size: int) -> None:
        """A block GetSnapshotBlock sent (corrupted or not)."""
        with self.lock:
            self.ebs_bytes[account] += size
            self.ebs_blocks[account] += 1
            per = self.ebs_by_snapshot.setdefault(snapshot, {"blocks": 0, "bytes": 0})
            if len(self.ebs_by_snapshot) > MAX_READABLE:  # the oldest snapshot's counts go first
                del self.ebs_by_snapshot[next(iter(self.ebs_by_snapshot))]
            per["blocks"] += 1
            per["bytes"] += size

    def log_json(self, limit: int | None, action: str | None, since: int | None) -> list[dict[str, Any]]:
        with self.lock:
            items = [e for e in self.log
                     if (action is None or e["action"] == action) and (since is None or e["seq"] > since)]
        if limit is not None:
            items = items[-limit:] if limit > 0 else []
        return items

    # ---------------------------------------------------------------- faults
    def arm(self, spec: dict[str, Any]) -> Fault:
        with self.lock:
            f = Fault(self.next_fault_id, spec, self.seed)
            self.next_fault_id += 1
            self.faults.append(f)
            return f

    def disarm(self, fid: int | None = None) -> int:
        with self.lock:
            before = len(self.faults)
            self.faults = [f for f in self.faults if fid is not None and f.id != fid]
            return before - len(self.faults)

    def faults_json(self) -> list[dict[str, Any]]:
        with self.lock:
            return [f.describe() for f in self.faults]

    def pick_faults(self, req) -> tuple[Fault | None, Fault | None]:
        """(latency fault, other fault) that fire for this request."""
        latency = other = None
        with self.lock:
            for f in self.faults:
                if f.when != "request" or f.kind == "corrupt" or not f.matches(req):
                    continue
                if f.kind == "latency":
                    if latency is None and f.try_fire():
                        latency = f
                elif other is None and f.try_fire():
                    other = f
            delay = latency.latency_seconds() if latency else 0.0
        return (latency, other) if latency is None else (_Latency(latency, delay), other)

    def pick_corrupt(self, req) -> Fault | None:
        """A ``corrupt`` fault that fires for this block (asked only when a block is about to be sent)."""
        with self.lock:
            for f in self.faults:
                if f.kind == "corrupt" and f.matches(req) and f.try_fire():
                    return f
        return None

    def pick_connect_fault(self) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.when == "connect" and f.try_fire():
                    return f
        return None

    def record_connect_reset(self, fault: Fault) -> None:
        self.record({"ts": time.time(), "action": "(connect)", "service": None, "account": None,
                     "region": None, "method": None, "path": None, "params": {}, "status": 0, "ms": 0,
                     "fault": {"id": fault.id, "kind": fault.kind, "after": False, "when": "connect"}})

    # --------------------------------------------------------------- timings
    def set_timings(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            new = dict(self.book.timings)
            enforce = self.book.enforce
            for k, v in body.items():
                if k == "enforce":
                    if not isinstance(v, bool):
                        raise ValueError("enforce must be true or false")
                    enforce = v
                    continue
                if k not in TIMING_KEYS:
                    raise ValueError(f"unknown timing {k!r} (known: {', '.join(TIMING_KEYS)}, enforce)")
                if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                    raise ValueError(f"timing {k} must be a number of seconds >= 0")
                new[k] = float(v)
            self.book.timings = new
            self.book.enforce = enforce
            return self.timings_json()

    def timings_json(self) -> dict[str, Any]:
        with self.lock:
            return {**self.book.timings, "enforce": self.book.enforce}

    # ------------------------------------------------------------------ ebs
    def set_ebs(self, body: dict[str, Any]) -> dict[str, Any]:
        """Partial update of the EBS direct APIs settings; limits start afresh."""
        with self.lock:
            new = dict(self.ebs)
            for k, v in body.items():
                if k not in EBS_DEFAULTS:
                    raise ValueError(f"unknown EBS setting {k!r} (known: {', '.join(EBS_DEFAULTS)})")
                if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                    raise ValueError(f"{k} must be a number >= 0")
                if k == "blocks_per_volume" and (v != int(v) or not 1 <= v <= MAX_BLOCKS_PER_VOLUME):
                    raise ValueError(f"blocks_per_volume must be an integer from 1 to {MAX_BLOCKS_PER_VOLUME}")
                new[k] = int(v) if k == "blocks_per_volume" else float(v)
            self.ebs = new
            self.blocks.blocks_per_volume = int(new["blocks_per_volume"])
            self.ebs_limits = EbsLimits()
            return self.ebs_json()

    def ebs_json(self) -> dict[str, Any]:
        with self.lock:
            return {**self.ebs, "volumes": len(self.blocks.volumes), "snapshots": len(self.blocks.snapshots)}

    def readable_get(self, key: tuple) -> bool:
        with self.lock:
            return key in self.readable

    def readable_put(self, key: tuple) -> None:
        with self.lock:
            self.readable[key] = True
            while len(self.readable) > MAX_READABLE:
                self.readable.popitem(last=False)

    def readable_clear(self) -> None:
        """Sharing changed (or a snapshot went): what moto said may no longer hold."""
        with self.lock:
            self.readable.clear()

    # ----------------------------------------------------------- idempotency
    def idem_entry(self, req) -> tuple[IdemEntry, str] | None:
        """(entry, request fingerprint) for an idempotent call with a ClientToken."""
        if not self.idempotency_enabled or req.action not in IDEMPOTENT_ACTIONS:
            return None
        token = req.param("ClientToken")
        if not token:
            return None
        fp = hashlib.sha256(
            json.dumps(sorted((k, v) for k, v in req.params if k not in _FINGERPRINT_SKIP)).encode()
        ).hexdigest()
        key = (req.account_key, req.region, req.action, token)
        with self.lock:
            entry = self.idem.get(key)
            if entry is None:
                entry = IdemEntry(fp)
                self.idem[key] = entry
                while len(self.idem) > MAX_TOKENS:
                    self.idem.popitem(last=False)
            return entry, fp


class _Latency:
    def __init__(self, fault: Fault, seconds: float):
        self.fault = fault
        self.seconds = seconds
