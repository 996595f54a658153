"""State progression the proxy layers over moto, and the per-resource timeline.

moto jumps straight to final states (stopped, running, completed, available).
For every resource the proxy sees a client change (StopInstances,
StartInstances, CreateSnapshot(s), CopySnapshot, CreateVolume) it opens a
*phase*: for ``duration`` seconds the resource is shown in its transient state
(stopping, pending, pending + Progress, creating), then in its final state, or
in ``error`` when an error was armed for it. A copy lasts ``copy`` seconds plus
``copy_per_gib`` seconds per GiB of the snapshot, so big copies take longer.

Each phase records when the final state became visible (``final_at``), when a
Describe response first carried it to a client (``first_seen_final_at``) and
the first mutating call that named the resource afterwards (``next_mutation``)
so a benchmark can read a controller's reaction latency.
"""

from __future__ import annotations

import collections
import time
from typing import Any

INSTANCE_CODES = {
    "pending": 0,
    "running": 16,
    "shutting-down": 32,
    "terminated": 48,
    "stopping": 64,
    "stopped": 80,
}

TIMING_KEYS = ("stop", "start", "snapshot", "volume", "copy", "copy_per_gib")

MAX_TRACKS = 50000
MAX_MUTATIONS = 10


def parse_delays(text: str) -> dict[str, float]:
    """'stop=5,start=3' -> {'stop': 5.0, 'start': 3.0}."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ValueError(f"expected key=seconds, got {part!r}")
        k, v = (s.strip() for s in part.split("=", 1))
        if k not in TIMING_KEYS:
            raise ValueError(f"unknown delay {k!r} (known: {', '.join(TIMING_KEYS)})")
        f = float(v)
        if f < 0:
            raise ValueError(f"delay {k} must be >= 0")
        out[k] = f
    return out


class Phase:
    def __init__(
        self,
        action: str,
        transient: str,
        final: str,
        started_at: float,
        duration: float,
        error: bool = False,
        error_message: str | None = None,
    ):
        self.action = action
        self.transient = transient
        self.final = final  # the state moto reports once the action is done
        self.started_at = started_at
        self.duration = duration
        self.final_at = started_at + duration
        self.error = error
        self.error_message = error_message
        self.first_seen_final_at: float | None = None
        self.mutations_before_final: list[dict[str, Any]] = []
        self.mutations_after_final: list[dict[str, Any]] = []

    @property
    def final_state(self) -> str:
        return "error" if self.error else self.final

    def visible(self, now: float) -> tuple[str, int]:
        """(state, progress percent) a client sees at ``now``."""
        if now < self.final_at:
            frac = (now - self.started_at) / self.duration if self.duration > 0 else 1.0
            return self.transient, max(0, min(99, int(frac * 100)))
        return self.final_state, 100

    def is_final(self, now: float) -> bool:
        return now >= self.final_at

    def note_mutation(self, action: str, now: float) -> None:
        entry = {"action": action, "at": now}
        if self.is_final(now):
            if len(self.mutations_after_final) < MAX_MUTATIONS:
                entry["after_final_s"] = round(now - self.final_at, 6)
                self.mutations_after_final.append(entry)
        elif len(self.mutations_before_final) < MAX_MUTATIONS:
            self.mutations_before_final.append(entry)

    def to_json(self, now: float) -> dict[str, Any]:
        state, progress = self.visible(now)
        nxt = self.mutations_after_final[0] if self.mutations_after_final else None
        return {
            "action": self.action,
            "transient_state": self.transient,
            "final_state": self.final_state,
            "state": state,
            "progress": progress,
            "started_at": self.started_at,
            "duration_s": self.duration,
            "final_at": self.final_at,
            "final": self.is_final(now),
            "error": self.error,
            "error_message": self.error_message,
            "first_seen_final_at": self.first_seen_final_at,
            "next_mutation": nxt,
            "reaction_s": nxt["after_final_s"] if nxt else None,
            "mutations_after_final": list(self.mutations_after_final),
            "mutations_before_final": list(self.mutations_before_final),
        }


class Track:
    def __init__(self, kind: str, rid: str, account: str, region: str | None):
        self.kind = kind
        self.id = rid
        self.account = account
        self.region = region
        self.phases: list[Phase] = []

    @property
    def phase(self) -> Phase:
        return self.phases[-1]

    def to_json(self, now: float) -> dict[str, Any]:
        cur = self.phase.to_json(now)
        return {
            "id": self.id,
            "kind": self.kind,
            "account": self.account,
            "region": self.region,
            "state": cur["state"],
            "progress": cur["progress"] if self.kind == "snapshot" else None,
            "final": cur["final"],
            "final_state": cur["final_state"],
            "final_at": cur["final_at"],
            "first_seen_final_at": cur["first_seen_final_at"],
            "next_mutation": cur["next_mutation"],
            "reaction_s": cur["reaction_s"],
            "phases": [p.to_json(now) for p in self.phases],
        }


class ResourceBook:
    """All tracked resources. Not thread-safe: the caller holds the state lock."""

    def __init__(self, timings: dict[str, float], enforce: bool = False):
        self.default_timings = {k: 0.0 for k in TIMING_KEYS}
        self.default_timings.update(timings)
        self.default_enforce = enforce
        self.reset()

    def reset(self) -> None:
        self.clock = StateClock()
        self.timings = dict(self.default_timings)
        self.enforce = self.default_enforce
        self.clear_resources()
        self.pending_errors: dict[str, collections.deque[str]] = {
            "snapshot": collections.deque(),
            "volume": collections.deque(),
            "copy": collections.deque(),
        }

    def clear_resources(self) -> None:
        self.tracks: collections.OrderedDict[str, Track] = collections.OrderedDict()
        # ids whose Describe output may need a rewrite or an observation
        self.watch: set[str] = set()

    # ---------------------------------------------------------------- phases
    def start_phase(
        self,
        kind: str,
        rid: str,
        account: str,
        region: str | None,
        action: str,
        transient: str,
        final: str,
        timing_key: str,
        now: float,
        duration: float | None = None,
        error_kind: str | None = None,
        upstream_error: str | None = None,
    ) -> Phase:
        """Opens a phase of `duration` seconds (default: the `timing_key` timing). It ends in `error` when moto
        already reports one (`final` "error", `upstream_error` its message), or when an error of `error_kind`
        (default: `kind`) is armed and moto reported nothing wrong (`upstream_error` None)."""
        queue = self.pending_errors.get(error_kind or kind)
        error = final == "error"
        message = upstream_error
        if upstream_error is None and queue:
            error = True
            message = queue.popleft()
        seconds = self.timings.get(timing_key, 0.0) if duration is None else duration
        phase = Phase(action, transient, final, now, seconds, error, message)
        track = self.tracks.get(rid)
        if track is None:
            track = Track(kind, rid, account, region)
            self.tracks[rid] = track
            while len(self.tracks) > MAX_TRACKS:
                old, _ = self.tracks.popitem(last=False)
                self.watch.discard(old)
        else:
            self.tracks.move_to_end(rid)
        track.phases.append(phase)
        self.watch.add(rid)
        return phase

    def copy_seconds(self, size_gib: float) -> float:
        """How long a copy of a `size_gib` GiB snapshot takes: ``copy`` + ``copy_per_gib`` per GiB."""
        return self.timings.get("copy", 0.0) + self.timings.get("copy_per_gib", 0.0) * size_gib

    @property
    def copies_take_time(self) -> bool:
        return self.timings.get("copy", 0.0) > 0 or self.timings.get("copy_per_gib", 0.0) > 0

    def phase_of(self, rid: str) -> Phase | None:
        t = self.tracks.get(rid)
        return t.phase if t else None

    def visible(self, rid: str, upstream_state: str | None, now: float) -> tuple[str, int, Phase] | None:
        """The state to show instead of moto's, or None to leave it alone.

        The rewrite only applies while moto reports the phase's final state
        (so a terminated or deleted resource is never dressed up)."""
        phase = self.phase_of(rid)
        if phase is None:
            return None
        if upstream_state is not None and upstream_state != phase.final:
            self.watch.discard(rid)
            return None
        state, progress = phase.visible(now)
        if phase.is_final(now):
            if phase.first_seen_final_at is None:
                phase.first_seen_final_at = now
            if not phase.error:
                self.watch.discard(rid)
        return state, progress, phase

    def expected_state(self, rid: str, now: float) -> str | None:
        """Visible state assuming moto is at the phase's final state."""
        phase = self.phase_of(rid)
        return phase.visible(now)[0] if phase else None

    def altered_ids(self, kind: str, now: float) -> bool:
        """Whether some resource of ``kind`` is shown in a state moto does not report."""
        for rid in self.watch:
            t = self.tracks.get(rid)
            if t and t.kind == kind:
                p = t.phase
                if p.error or not p.is_final(now):
                    return True
        return False

    def note_mutation(self, ids: set[str], action: str, now: float) -> None:
        for rid in ids:
            phase = self.phase_of(rid)
            if phase is not None:
                phase.note_mutation(action, now)

    def arm_error(self, kind: str, count: int, message: str | None) -> None:
        default = {
            "snapshot": "The snapshot could not be created due to an internal error.",
            "volume": "The volume could not be created due to an internal error.",
            "copy": "The snapshot could not be copied due to an internal error.",
        }[kind]
        for _ in range(count):
            self.pending_errors[kind].append(message or default)

    def errors_json(self) -> dict[str, Any]:
        return {k: len(v) for k, v in self.pending_errors.items()}

    def timeline(self, now: float, kind: str | None = None, rid: str | None = None,
                 account: str | None = None) -> list[dict[str, Any]]:
        out = []
        for t in self.tracks.values():
            if kind and t.kind != kind:
                continue
            if rid and t.id != rid:
                continue
            if account and t.account != account:
                continue
            out.append(t.to_json(now))
        return out


class StateClock:
    """The time resource states follow: the wall clock, or one a test freezes and moves forward
    (``POST /__proxy/clock``), so state changes are checked without sleeping or timing anything."""

    MAX_ADVANCE = 30 * 24 * 3600.0

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.frozen_at: float | None = None
        self.offset = 0.0

    def now(self) -> float:
        return (self.frozen_at if self.frozen_at is not None else time.time()) + self.offset

    def update(self, spec: dict[str, Any]) -> None:
        """``{"freeze": true|false, "advance": seconds}``; unknown keys and bad values raise ValueError."""
        unknown = set(spec) - {"freeze", "advance"}
        if unknown:
            raise ValueError(f"unknown clock keys {sorted(unknown)}; use freeze and advance")
        freeze = spec.get("freeze")
        if freeze is not None and not isinstance(freeze, bool):
            raise ValueError("freeze must be true or false")
        advance = spec.get("advance", 0)
        if isinstance(advance, bool) or not isinstance(advance, (int, float)) or not 0 <= advance <= self.MAX_ADVANCE:
            raise ValueError(f"advance must be a number of seconds between 0 and {self.MAX_ADVANCE:.0f}")
        if freeze is True and self.frozen_at is None:
            self.frozen_at = time.time()
        elif freeze is False and self.frozen_at is not None:
            self.offset += self.frozen_at - time.time()  # the clock goes on from where it stood
            self.frozen_at = None
        self.offset += float(advance)

    def to_json(self) -> dict[str, Any]:
        return {"now": self.now(), "frozen": self.frozen_at is not None, "offset": round(self.offset, 6)}
