import AWSClient
import EC2Provider
import Foundation

/// The EC2 providers that passed their connection test, with what the per-provider work needs to reach AWS.
public actor ProviderRegistry {
    /// One ready provider.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var uid: String
        public var config: EC2ProviderConfig
        public var accounts: ConnectionTester.Accounts
        /// The provider's Secret (`namespace/name`) and the resourceVersion `config` was read from.
        public var secret: SecretVersion
    }

    /// A Secret and the version of it a configuration was read from.
    public struct SecretVersion: Sendable, Equatable {
        public var namespace: String
        public var name: String
        public var resourceVersion: String?
    }

    private var entries: [String: Entry] = [:]
    private let metrics: ControllerMetrics?
    private let changesContinuation: AsyncStream<String>.Continuation
    /// The `namespace/name` keys of providers that became ready, changed or stopped being ready; plan validation
    /// follows it.
    public nonisolated let changes: AsyncStream<String>

    /// Creates an empty registry.
    public init(metrics: ControllerMetrics? = nil) {
        self.metrics = metrics
        (changes, changesContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    /// Publishes a ready provider.
    public func set(
        key: String, uid: String, config: EC2ProviderConfig, accounts: ConnectionTester.Accounts, secret: SecretVersion
    ) async {
        let entry = Entry(key: key, uid: uid, config: config, accounts: accounts, secret: secret)
        if entries[key] != entry { changesContinuation.yield(key) }
        entries[key] = entry
        await metrics?.set("mtv_providers_ready", Double(entries.count))
    }

    /// Withdraws a provider that failed or was deleted.
    public func remove(key: String) async {
        if entries[key] != nil { changesContinuation.yield(key) }
        entries[key] = nil
        await metrics?.set("mtv_providers_ready", Double(entries.count))
    }

    /// The ready provider with this `namespace/name` key.
    public func entry(key: String) -> Entry? { entries[key] }

    /// The ready provider with this UID.
    public func entry(uid: String) -> Entry? { entries.values.first { $0.uid == uid } }

    /// Every ready provider.
    public var all: [Entry] { Array(entries.values) }
}
