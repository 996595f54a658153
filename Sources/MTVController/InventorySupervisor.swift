import AWSClient
import EC2Provider
import Foundation
import Inventory
import KubernetesClient
import Logging
import MTVAPI

/// Runs one inventory collector per Ready EC2 provider (on every replica, see `InventoryFollower`), every
/// `interval` seconds. It does not write the Provider:
/// its view (`conditions(key:)`: `InventoryCreated` after the first good pass, `InventoryCollectionFailed` while
/// passes fail) is written by the provider reconciler, the Provider status's one writer, which `reports` wakes.
public actor InventorySupervisor: InventoryProviderSource {
    let store: InventoryStore
    let interval: Double
    let metrics: ControllerMetrics
    let logger: Logger
    private var running: [String: (entry: ProviderRegistry.Entry, task: Task<Void, Never>)] = [:]
    private var state: [String: InventoryProvider] = [:]
    private let changesContinuation: AsyncStream<String>.Continuation
    private let reportsContinuation: AsyncStream<String>.Continuation
    /// The `namespace/name` keys of providers whose inventory changed (first pass, or records added, updated or
    /// removed); plan validation follows it.
    public nonisolated let changes: AsyncStream<String>
    /// The `namespace/name` keys of providers whose inventory conditions changed; the provider reconciler follows it.
    public nonisolated let reports: AsyncStream<String>

    /// The condition types this supervisor's view decides.
    public static let conditionTypes: Set<String> = [
        ProviderCondition.inventoryCreated, ProviderCondition.inventoryCollectionFailed,
    ]

    /// Creates the supervisor.
    public init(store: InventoryStore, interval: Double, metrics: ControllerMetrics, logger: Logger) {
        self.store = store
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
        (changes, changesContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
        (reports, reportsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    public func providers() -> [InventoryProvider] { Array(state.values) }

    /// Starts the collector of a ready provider unless it runs for this very entry (a changed configuration, such
    /// as rotated keys, restarts it).
    public func ensure(_ entry: ProviderRegistry.Entry) {
        if let current = running[entry.key]?.entry, current.uid == entry.uid, current.config == entry.config,
            current.accounts == entry.accounts
        {
            return
        }
        running[entry.key]?.task.cancel()
        let parts = entry.key.split(separator: "/", maxSplits: 1).map(String.init)
        let previous = state[entry.key]
        state[entry.key] = InventoryProvider(
            uid: entry.uid, name: parts[1], namespace: parts[0],
            passes: previous?.uid == entry.uid ? previous?.passes ?? 0 : 0,
            lastError: previous?.uid == entry.uid ? previous?.lastError : nil)
        let collector = Collector(
            provider: entry.uid,
            ec2: entry.config.sourceClient(logger: logger),
            ownerAccount: entry.accounts.source, store: store, logger: logger)
        running[entry.key] = (entry, Task { await self.loop(key: entry.key, collector: collector) })
    }

    /// Stops the collector of a provider that is gone or no longer ready; its records are dropped if it is gone.
    public func stop(key: String, forget: Bool) async {
        running.removeValue(forKey: key)?.task.cancel()
        if forget, let uid = state.removeValue(forKey: key)?.uid { try? await store.remove(provider: uid) }
    }

    /// The inventory conditions the provider with this `namespace/name` key should carry now.
    public func conditions(key: String) -> [Condition] {
        guard let provider = state[key] else { return [] }
        var conditions: [Condition] = []
        if provider.passes > 0 {
            conditions.append(
                Condition(
                    type: ProviderCondition.inventoryCreated, category: Condition.Category.required,
                    reason: "Completed", message: "The inventory has been collected."))
        }
        if let error = provider.lastError {
            conditions.append(
                Condition(
                    type: ProviderCondition.inventoryCollectionFailed,
                    category: Condition.Category.warn, reason: "CollectionFailed",
                    message: "The last inventory pass failed (older data is kept): \(error)"))
        }
        return conditions
    }

    private func loop(key: String, collector: Collector) async {
        while !Task.isCancelled {
            let before = conditions(key: key)
            do {
                let started = Date()
                let summary = try await collector.collect()
                guard !Task.isCancelled else { return }
                await metrics.increment("mtv_inventory_passes_total", labels: ["result": "success"])
                await metrics.set(
                    "mtv_inventory_pass_seconds", Date().timeIntervalSince(started), labels: ["provider": key])
                let first = (state[key]?.passes ?? 0) == 0
                state[key]?.passes += 1
                state[key]?.lastError = nil
                if first || summary.added + summary.updated + summary.removed > 0 { changesContinuation.yield(key) }
                if first || summary.added + summary.removed > 0 {
                    logger.info(
                        "inventory collected",
                        metadata: [
                            "provider": "\(key)", "added": "\(summary.added)", "updated": "\(summary.updated)",
                            "removed": "\(summary.removed)",
                        ])
                }
            } catch is CancellationError {
                return
            } catch {
                guard !Task.isCancelled else { return }
                await metrics.increment("mtv_inventory_passes_total", labels: ["result": "error"])
                state[key]?.lastError = "\(error)"
                logger.warning(
                    "inventory pass failed; keeping the last good data",
                    metadata: ["provider": "\(key)", "error": "\(error)"])
            }
            if conditions(key: key) != before { reportsContinuation.yield(key) }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
