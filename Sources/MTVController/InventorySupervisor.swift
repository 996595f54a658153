import AWSClient
import Foundation
import Inventory
import KubernetesClient
import Logging
import MTVAPI

/// Runs one inventory collector per Ready EC2 provider, every `interval` seconds, and reports on the Provider:
/// `InventoryCreated` after the first good pass, `InventoryCollectionFailed` (with the error) while passes fail.
public actor InventorySupervisor: InventoryProviderSource {
    let store: InventoryStore
    let client: KubernetesClient
    let interval: Double
    let metrics: ControllerMetrics
    let logger: Logger
    private var running: [String: (uid: String, task: Task<Void, Never>)] = [:]
    private var state: [String: InventoryProvider] = [:]
    private let changesContinuation: AsyncStream<String>.Continuation
    /// The `namespace/name` keys of providers whose inventory changed (first pass, or records added, updated or
    /// removed); plan validation follows it.
    public nonisolated let changes: AsyncStream<String>

    /// Creates the supervisor.
    public init(
        store: InventoryStore, client: KubernetesClient, interval: Double, metrics: ControllerMetrics, logger: Logger
    ) {
        self.store = store
        self.client = client
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
        (changes, changesContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    public func providers() -> [InventoryProvider] { Array(state.values) }

    /// Starts (or restarts, when its configuration changed) the collector of a ready provider.
    public func ensure(_ entry: ProviderRegistry.Entry, restart: Bool) {
        if let current = running[entry.key], !restart, current.uid == entry.uid { return }
        running[entry.key]?.task.cancel()
        let parts = entry.key.split(separator: "/", maxSplits: 1).map(String.init)
        let previous = state[entry.key]
        state[entry.key] = InventoryProvider(
            uid: entry.uid, name: parts[1], namespace: parts[0], passes: previous?.passes ?? 0)
        let collector = Collector(
            provider: entry.uid,
            ec2: entry.config.sourceClient(logger: logger),
            ownerAccount: entry.accounts.source, store: store, logger: logger)
        running[entry.key] = (entry.uid, Task { await self.loop(key: entry.key, collector: collector) })
    }

    /// Stops the collector of a provider that is gone or no longer ready; its records are dropped if it is gone.
    public func stop(key: String, forget: Bool) {
        running.removeValue(forKey: key)?.task.cancel()
        if forget, let uid = state.removeValue(forKey: key)?.uid { try? store.remove(provider: uid) }
    }

    private func loop(key: String, collector: Collector) async {
        while !Task.isCancelled {
            do {
                let started = Date()
                let summary = try await collector.collect()
                await metrics.increment("mtv_inventory_passes_total", labels: ["result": "success"])
                await metrics.set("mtv_inventory_pass_seconds", Date().timeIntervalSince(started), labels: ["provider": key])
                let first = (state[key]?.passes ?? 0) == 0
                state[key]?.passes += 1
                state[key]?.lastError = nil
                if first || summary.added + summary.updated + summary.removed > 0 { changesContinuation.yield(key) }
                if first || summary.added + summary.removed > 0 {
                    logger.info("inventory collected", metadata: [
                        "provider": "\(key)", "added": "\(summary.added)", "updated": "\(summary.updated)",
                        "removed": "\(summary.removed)",
                    ])
                }
                await report(key: key, error: nil)
            } catch is CancellationError {
                return
            } catch {
                await metrics.increment("mtv_inventory_passes_total", labels: ["result": "error"])
                state[key]?.lastError = "\(error)"
                logger.warning("inventory pass failed; keeping the last good data", metadata: ["provider": "\(key)", "error": "\(error)"])
                await report(key: key, error: "\(error)")
            }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    /// Sets the inventory conditions on the Provider when they change.
    private func report(key: String, error: String?) async {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        for _ in 0..<3 {
            do {
                let provider = try await client.get(Provider.self, name: parts[1], namespace: parts[0])
                var conditions = provider.status?.conditions ?? []
                let now = ISO8601DateFormatter().string(from: Date())
                if let error {
                    conditions.set(Condition(type: "InventoryCollectionFailed", category: Condition.Category.warn,
                        reason: "CollectionFailed", message: "The last inventory pass failed (older data is kept): \(error)"), now: now)
                } else {
                    conditions.remove(type: "InventoryCollectionFailed")
                    conditions.set(Condition(type: "InventoryCreated", category: Condition.Category.advisory,
                        reason: "Completed", message: "The inventory has been collected."), now: now)
                }
                guard conditions != provider.status?.conditions else { return }
                _ = try await client.update(provider, subresource: "status") { $0.status?.conditions = conditions }
                return
            } catch let error as KubernetesError where error.isConflict {
                continue
            } catch {
                logger.warning("cannot report inventory state", metadata: ["provider": "\(key)", "error": "\(error)"])
                return
            }
        }
    }
}
