import AWSClient
import Foundation

/// The EC2 providers that passed their connection test, with what the per-provider work needs to reach AWS.
public actor ProviderRegistry {
    /// One ready provider.
    public struct Entry: Sendable {
        public var key: String
        public var uid: String
        public var config: EC2ProviderConfig
        public var accounts: ConnectionTester.Accounts
    }

    private var entries: [String: Entry] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Publishes a ready provider.
    public func set(key: String, uid: String, config: EC2ProviderConfig, accounts: ConnectionTester.Accounts) {
        entries[key] = Entry(key: key, uid: uid, config: config, accounts: accounts)
    }

    /// Withdraws a provider that is gone or failed.
    public func remove(key: String) {
        entries[key] = nil
    }

    /// The ready provider with this `namespace/name` key.
    public func entry(key: String) -> Entry? { entries[key] }

    /// The ready provider with this UID.
    public func entry(uid: String) -> Entry? { entries.values.first { $0.uid == uid } }

    /// Every ready provider.
    public var all: [Entry] { Array(entries.values) }
}
