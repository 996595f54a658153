"""What EBS volumes and snapshots hold: sparse, deterministic content, nothing large kept in memory.

A volume of S GiB has S x 2048 blocks of 512 KiB. Only a few are allocated (``blocks_per_volume``, block 0 and
others spread over the volume by a generator seeded from the proxy's seed and the volume ID); the rest read as zeros
and are never listed, as EBS lists only blocks that were written. An allocated block is a *stamp*, (source volume,
generation): its bytes are SHAKE-256 of (seed, source volume, block index, generation), so they are made again
whenever asked for and never stored. A write stamps a block (source = the volume written, generation + 1), which is
all a running guest changes.

A snapshot keeps its volume's block map as it was (copy on write: the volume copies the map before its next write),
and its lineage: the volume it descends from, or the lineage of the snapshot that volume was restored from. A copy
shares its source's map and lineage. A volume made from a snapshot starts from that snapshot's map.

A *dirty writer* plays a guest writing ``blocks_per_second`` random blocks. It follows the proxy's clock: the writes
due are applied whenever the volume is looked at (a snapshot taken, a control call), so a frozen clock writes
nothing and ``advance`` writes exactly what that much time would have.

Not thread-safe: callers hold the proxy state lock, except for ``block_data`` and ``image_sha256``, which take no
state and run outside it (hashing a GiB takes about a second).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import random
import threading
from typing import Any

BLOCK_SIZE = 524288  # bytes, as EBS direct APIs answer BlockSize
BLOCKS_PER_GIB = (1 << 30) // BLOCK_SIZE
MAX_VOLUMES = 50000  # oldest forgotten first
MAX_SNAPSHOTS = 50000
MAX_ALLOCATED = 262144  # allocated blocks per volume (128 GiB of content)
MAX_CATCH_UP = 100000  # dirty writes applied in one step; more due than that are dropped
MAX_DIRTY_RATE = 10000.0  # blocks per second
MAX_HASH_GIB = 64  # sha256 of a bigger image is refused
MAX_BLOCKS_PER_VOLUME = 65536
_ZERO_RUN = bytes(16 * BLOCK_SIZE)
_CACHED_BLOCKS = 64

Stamp = tuple[str, int]  # (source volume, generation)
BlockMap = dict[int, Stamp]


class StoreError(ValueError):
    """A request the store cannot satisfy; `status` is the HTTP status the control API answers."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class DirtyWriter:
    """`rate` random writes per second since `started_at` (proxy clock); `applied` of them are done."""

    def __init__(self, rate: float, started_at: float, rng: random.Random):
        self.rate = rate
        self.started_at = started_at
        self.applied = 0
        self.dropped = 0
        self.rng = rng

    def due(self, now: float) -> int:
        return max(0, int((now - self.started_at) * self.rate) - self.applied)


class Volume:
    def __init__(self, vid: str, account: str, region: str | None):
        self.id = vid
        self.account = account
        self.region = region
        self.size_gib: int | None = None
        self.lineage = vid
        self.blocks: BlockMap | None = None  # None: the default layout, not made yet
        self.shared = False  # `blocks` is also a snapshot's: copy before writing
        self.version = 0
        self.writes = 0
        self.writer: DirtyWriter | None = None
        self.origin: Any = None  # the request that named it, to ask moto its size with
        self.hashed: tuple[int, str] | None = None  # (version, sha256)

    @property
    def block_count(self) -> int:
        return (self.size_gib or 0) * BLOCKS_PER_GIB


class Snapshot:
    def __init__(self, sid: str, volume_id: str, lineage: str, size_gib: int, blocks: BlockMap, account: str,
                 region: str | None, taken_at: float):
        self.id = sid
        self.volume_id = volume_id
        self.lineage = lineage
        self.size_gib = size_gib
        self.blocks = blocks  # never changed once taken
        self.account = account
        self.region = region
        self.taken_at = taken_at
        self.sha256: str | None = None
        self._indexes: list[int] | None = None

    @property
    def indexes(self) -> list[int]:
        """The allocated block indexes, ascending."""
        if self._indexes is None:
            self._indexes = sorted(self.blocks)
        return self._indexes

    @property
    def block_count(self) -> int:
        return self.size_gib * BLOCKS_PER_GIB


class BlockStore:
    def __init__(self, seed: int | None, blocks_per_volume: int):
        self.seed = seed or 0
        self.blocks_per_volume = blocks_per_volume
        self._cache: collections.OrderedDict[tuple[str, int, int], tuple[bytes, str]] = collections.OrderedDict()
        self._cache_lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.volumes: collections.OrderedDict[str, Volume] = collections.OrderedDict()
        self.snapshots: collections.OrderedDict[str, Snapshot] = collections.OrderedDict()

    # ------------------------------------------------------------- learning
    def learn_volume(self, vid: str, account: str, region: str | None, size_gib: int | None = None,
                     origin: Any = None) -> Volume:
        """The volume `vid`, recorded when first seen; a size learnt later is kept, an origin only while the size
        is unknown (it is what the size is asked with)."""
        vol = self.volumes.get(vid)
        if vol is None:
            vol = Volume(vid, account, region)
            self.volumes[vid] = vol
            while len(self.volumes) > MAX_VOLUMES:
                self.volumes.popitem(last=False)
        else:
            self.volumes.move_to_end(vid)
        if size_gib is not None and size_gib > 0 and vol.size_gib is None:
            vol.size_gib = size_gib
        if vol.size_gib is None and origin is not None:
            vol.origin = origin
        elif vol.size_gib is not None:
            vol.origin = None
        return vol

    def restore_volume(self, vid: str, snapshot_id: str, size_gib: int, account: str, region: str | None) -> Volume:
        """A volume made from a snapshot: the snapshot's content, in the snapshot's lineage."""
        vol = self.learn_volume(vid, account, region, size_gib)
        snap = self.snapshots.get(snapshot_id)
        if snap is not None and vol.blocks is None:
            vol.blocks = snap.blocks
            vol.shared = True
            vol.lineage = snap.lineage
            if snap.sha256 is not None and vol.size_gib == snap.size_gib:
                vol.hashed = (vol.version, snap.sha256)  # the same image: no need to hash it again
        return vol

    def forget_volume(self, vid: str) -> None:
        self.volumes.pop(vid, None)

    def capture(self, sid: str, vid: str, size_gib: int | None, account: str, region: str | None,
                now: float) -> Snapshot | None:
        """Snapshot `sid` of volume `vid` as it is at `now` (dirty writes due applied first)."""
        vol = self.learn_volume(vid, account, region, size_gib)
        if vol.size_gib is None:
            return None
        blocks = self._share(vol, now)
        snap = Snapshot(sid, vid, vol.lineage, vol.size_gib, blocks, account, region, now)
        if vol.hashed is not None and vol.hashed[0] == vol.version:
            snap.sha256 = vol.hashed[1]
        self._add_snapshot(snap)
        return snap

    def copy(self, sid: str, source_id: str, account: str, region: str | None, now: float) -> Snapshot | None:
        source = self.snapshots.get(source_id)
        if source is None:
            return None
        snap = Snapshot(sid, source.volume_id, source.lineage, source.size_gib, source.blocks, account, region, now)
        snap.sha256 = source.sha256
        self._add_snapshot(snap)
        return snap

    def forget_snapshot(self, sid: str) -> None:
        self.snapshots.pop(sid, None)

    def _add_snapshot(self, snap: Snapshot) -> None:
        self.snapshots[snap.id] = snap
        self.snapshots.move_to_end(snap.id)
        while len(self.snapshots) > MAX_SNAPSHOTS:
            self.snapshots.popitem(last=False)

    # --------------------------------------------------------------- blocks
    def _layout(self, vol: Volume) -> BlockMap:
        """The blocks a volume starts with: block 0 and others drawn from (seed, volume ID)."""
        total = vol.block_count
        count = min(self.blocks_per_volume, total)
        if count <= 0:
            return {}
        rng = random.Random(_digest_int(f"layout|{self.seed}|{vol.id}"))
        picked = [0, *rng.sample(range(1, total), count - 1)] if total > 1 else [0]
        return {i: (vol.id, 1) for i in sorted(picked)}

    def _materialize(self, vol: Volume) -> BlockMap:
        if vol.blocks is None:
            vol.blocks = self._layout(vol)
        return vol.blocks

    def _share(self, vol: Volume, now: float) -> BlockMap:
        """The volume's map, now frozen for a reader: the next write copies it."""
        self.catch_up(vol, now)
        blocks = self._materialize(vol)
        vol.shared = True
        return blocks

    def volume(self, vid: str) -> Volume:
        vol = self.volumes.get(vid)
        if vol is None:
            raise StoreError(f"the proxy has not seen volume {vid} (create or describe it through the proxy)", 404)
        return vol

    def view(self, vol: Volume, now: float) -> BlockMap:
        """The volume's map at `now`, for reading only."""
        if vol.size_gib is None:
            raise StoreError(f"the size of volume {vol.id} is unknown", 409)
        return self._share(vol, now)

    def write(self, vol: Volume, indexes: list[int], now: float) -> None:
        """Stamps `indexes` (a guest writing them); all are checked before any is written."""
        if vol.size_gib is None:
            raise StoreError(f"the size of volume {vol.id} is unknown", 409)
        for i in indexes:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < vol.block_count:
                raise StoreError(f"block indexes of {vol.id} are integers from 0 to {vol.block_count - 1}, not {i!r}")
        self.catch_up(vol, now)
        blocks = self._writable(vol)
        fresh = len({i for i in indexes if i not in blocks})
        if len(blocks) + fresh > MAX_ALLOCATED:
            raise StoreError(f"volume {vol.id} would have more than {MAX_ALLOCATED} allocated blocks")
        for i in indexes:
            self._stamp(vol, blocks, i)

    def _writable(self, vol: Volume) -> BlockMap:
        blocks = self._materialize(vol)
        if vol.shared:
            blocks = dict(blocks)
            vol.blocks = blocks
            vol.shared = False
        return blocks

    def _stamp(self, vol: Volume, blocks: BlockMap, index: int) -> None:
        old = blocks.get(index)
        blocks[index] = (vol.id, old[1] + 1 if old else 1)
        vol.version += 1
        vol.writes += 1

    def set_dirty(self, vol: Volume, rate: float, now: float) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= MAX_DIRTY_RATE:
            raise StoreError(f"blocks_per_second must be a number from 0 to {MAX_DIRTY_RATE:.0f}")
        if vol.size_gib is None:
            raise StoreError(f"the size of volume {vol.id} is unknown", 409)
        self.catch_up(vol, now)
        if rate == 0:
            vol.writer = None
            return
        rng = vol.writer.rng if vol.writer else random.Random(_digest_int(f"dirty|{self.seed}|{vol.id}"))
        vol.writer = DirtyWriter(float(rate), now, rng)

    def catch_up(self, vol: Volume, now: float) -> None:
        """Applies the dirty writes due by `now` (at most MAX_CATCH_UP; a full volume only rewrites its blocks)."""
        writer = vol.writer
        if writer is None or vol.size_gib is None:
            return
        due = writer.due(now)
        if due <= 0:
            return
        writer.applied += due
        apply = min(due, MAX_CATCH_UP)
        writer.dropped += due - apply
        blocks = self._writable(vol)
        total = vol.block_count
        for _ in range(apply):
            index = writer.rng.randrange(total)
            if index in blocks or len(blocks) < MAX_ALLOCATED:
                self._stamp(vol, blocks, index)

    # -------------------------------------------------------------- content
    def block_data(self, stamp: Stamp, index: int) -> tuple[bytes, str]:
        """(the 512 KiB of a block, base64 SHA-256 of them)."""
        key = (stamp[0], index, stamp[1])
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        data = hashlib.shake_256(f"block|{self.seed}|{stamp[0]}|{index}|{stamp[1]}".encode()).digest(BLOCK_SIZE)
        entry = (data, base64.b64encode(hashlib.sha256(data).digest()).decode())
        with self._cache_lock:
            self._cache[key] = entry
            while len(self._cache) > _CACHED_BLOCKS:
                self._cache.popitem(last=False)
        return entry

    def image_sha256(self, size_gib: int, blocks: BlockMap) -> str:
        """SHA-256 of the whole image, zeros included (zero runs fed from one zero buffer)."""
        if size_gib > MAX_HASH_GIB:
            raise StoreError(f"images above {MAX_HASH_GIB} GiB are not hashed")
        digest = hashlib.sha256()
        position = 0
        total = size_gib * BLOCKS_PER_GIB
        for index in sorted(blocks):
            if index >= total:
                break
            _feed_zeros(digest, index - position)
            digest.update(self.block_data(blocks[index], index)[0])
            position = index + 1
        _feed_zeros(digest, total - position)
        return digest.hexdigest()

    def token(self, snapshot_id: str, index: int, stamp: Stamp) -> str:
        """A block token: of this snapshot, index and content only (base64, as EBS shapes it)."""
        raw = hashlib.sha256(f"token|{self.seed}|{snapshot_id}|{index}|{stamp[0]}|{stamp[1]}".encode()).digest()
        return base64.b64encode(raw[:24]).decode()

    def mac(self, text: str) -> str:
        return hashlib.sha256(f"page|{self.seed}|{text}".encode()).hexdigest()[:16]

    # ----------------------------------------------------------------- json
    def blocks_json(self, blocks: BlockMap, owner: str) -> list[dict[str, Any]]:
        out = []
        for index in sorted(blocks):
            source, generation = blocks[index]
            entry: dict[str, Any] = {"index": index, "generation": generation}
            if source != owner:
                entry["source"] = source
            out.append(entry)
        return out


def _feed_zeros(digest: Any, blocks: int) -> None:
    per_run = len(_ZERO_RUN) // BLOCK_SIZE
    while blocks >= per_run:
        digest.update(_ZERO_RUN)
        blocks -= per_run
    if blocks > 0:
        digest.update(memoryview(_ZERO_RUN)[: blocks * BLOCK_SIZE])


def _digest_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
