import Foundation
import KubernetesClient
import Logging
import Retries

/// A queue of object keys for reconcilers: a key waits at most once, a key being worked on is not handed out
/// twice, and a key added while in work is handed out again when that work is done.
public actor WorkQueue {
    private var pending: [String] = []
    private var queued: Set<String> = []
    private var active: Set<String> = []
    private var dirty: Set<String> = []
    private var waiters: [CheckedContinuation<String?, Never>] = []
    private var closed = false
    /// Consecutive failed reconciles per key, for the retry backoff.
    private var failures: [String: Int] = [:]

    /// Creates an empty queue.
    public init() {}

    /// Adds a key (ignored if it already waits).
    public func add(_ key: String) {
        guard !closed else { return }
        if active.contains(key) {
            dirty.insert(key)
            return
        }
        guard queued.insert(key).inserted else { return }
        if let waiter = waiters.first {
            waiters.removeFirst()
            queued.remove(key)
            active.insert(key)
            waiter.resume(returning: key)
        } else {
            pending.append(key)
        }
    }

    /// Adds a key after a delay.
    public nonisolated func add(_ key: String, after seconds: Double) {
        Task {
            try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
            await self.add(key)
        }
    }

    /// The next key to work on; nil once the queue is closed.
    public func next() async -> String? {
        if closed { return nil }
        if !pending.isEmpty {
            let key = pending.removeFirst()
            queued.remove(key)
            active.insert(key)
            return key
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Marks work on a key finished; a key added meanwhile is queued again.
    public func done(_ key: String) {
        active.remove(key)
        if dirty.remove(key) != nil { add(key) }
    }

    /// Counts one more failed reconcile of `key`; returns how long to wait before retrying it.
    func failed(_ key: String, backoff: Backoff) -> Double {
        failures[key, default: 0] += 1
        return backoff.delay(retry: failures[key]!)
    }

    /// Forgets the failures of a key that reconciled.
    func succeeded(_ key: String) {
        failures[key] = nil
    }

    /// Stops handing out keys and releases every waiting worker.
    public func close() {
        closed = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
    }
}

extension WorkQueue {
    /// Hands keys to `workers` tasks running `reconcile` until the queue closes; a reconcile returns when to look
    /// at the key again (nil: only on the next event), and one that throws is retried with `retryBackoff`, waiting
    /// longer after each consecutive failure of that key.
    func process(
        workers: Int, kind: String, metrics: ControllerMetrics, logger: Logger,
        retryBackoff: Backoff = Backoff(base: 0.5, cap: 30),
        reconcile: @escaping @Sendable (String) async throws -> Double?
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let key = await self.next() {
                        do {
                            if let again = try await reconcile(key) { self.add(key, after: again) }
                            await self.succeeded(key)
                            await metrics.increment("mtv_\(kind)_reconciles_total", labels: ["result": "success"])
                        } catch {
                            await metrics.increment("mtv_\(kind)_reconciles_total", labels: ["result": "error"])
                            let delay = await self.failed(key, backoff: retryBackoff)
                            logger.warning(
                                "\(kind) reconcile failed; retrying",
                                metadata: [
                                    "key": "\(key)", "error": "\(error)",
                                    "retryIn": "\(String(format: "%.1f", delay))s",
                                ])
                            self.add(key, after: delay)
                        }
                        await self.done(key)
                    }
                }
            }
        }
    }
}

/// Runs `tasks` side by side until every one returns; cancelling the caller runs `shutdown`, which must make them
/// return (close queues, stop informers).
func runUntilCancelled(_ tasks: [@Sendable () async -> Void], shutdown: @escaping @Sendable () async -> Void) async {
    await withTaskGroup(of: Void.self) { group in
        for task in tasks { group.addTask(operation: task) }
        await withTaskCancellationHandler {
            await group.waitForAll()
        } onCancel: {
            Task { await shutdown() }
        }
    }
}
