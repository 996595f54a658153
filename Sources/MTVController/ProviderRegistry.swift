import AWSClient
import Foundation

/// The EC2 providers that passed their connection test, with what the per-provider work needs to reach AWS.
public actor ProviderRegistry {
    /// One ready provider.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var uid: String
        public var config: EC2ProviderConfig
        public var accounts: ConnectionTester.Accounts
    }

    private var entries: [String: Entry] = [:]
    private let inventory: InventorySupervisor?
    private let metrics: ControllerMetrics?

    /// Creates an empty registry; ready providers get an inventory collector from `inventory`.
    public init(inventory: InventorySupervisor? = nil, metrics: ControllerMetrics? = nil) {
        self.inventory = inventory
        self.metrics = metrics
    }

    /// Publishes a ready provider and makes sure its collector runs (a changed configuration restarts it).
    public func set(key: String, uid: String, config: EC2ProviderConfig, accounts: ConnectionTester.Accounts) async {
        let entry = Entry(key: key, uid: uid, config: config, accounts: accounts)
        entries[key] = entry
        await metrics?.set("mtv_providers_ready", Double(entries.count))
        await inventory?.ensure(entry)
    }

    /// Withdraws a provider that failed (`gone: false`) or was deleted (`gone: true`, its inventory is dropped).
    public func remove(key: String, gone: Bool = false) async {
        entries[key] = nil
        await metrics?.set("mtv_providers_ready", Double(entries.count))
        await inventory?.stop(key: key, forget: gone)
    }

    /// The ready provider with this `namespace/name` key.
    public func entry(key: String) -> Entry? { entries[key] }

    /// The ready provider with this UID.
    public func entry(uid: String) -> Entry? { entries.values.first { $0.uid == uid } }

    /// Every ready provider.
    public var all: [Entry] { Array(entries.values) }
}
