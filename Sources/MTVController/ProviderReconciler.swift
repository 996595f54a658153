import AWSClient
import AWSSigV4
import Foundation
import KubernetesClient
import Logging
import MTVAPI

/// Keeps EC2 Providers' conditions true: validates each one's Secret, tests the connection with the source and
/// target credentials, records the account IDs, and re-tests when the Provider or its Secret changes (and every
/// `retestInterval`). Ready providers are published in the registry for the per-provider work.
public actor ProviderReconciler {
    let client: KubernetesClient
    let namespaces: [String?]
    let registry: ProviderRegistry
    let metrics: ControllerMetrics
    let logger: Logger
    let retestInterval: Double
    let queue = WorkQueue()
    private var providers: [Informer] = []
    private var secrets: [Informer] = []
    private var lastTest: [String: (fingerprint: String, at: Date)] = [:]

    /// The annotations that record which AWS accounts the credentials belong to.
    public static let sourceAccountAnnotation = "ec2.forklift.konveyor.io/source-account-id"
    public static let targetAccountAnnotation = "ec2.forklift.konveyor.io/target-account-id"

    /// Creates a reconciler for the given namespaces (nil: all namespaces).
    public init(
        client: KubernetesClient, namespaces: [String?], registry: ProviderRegistry, metrics: ControllerMetrics,
        logger: Logger, retestInterval: Double = 300
    ) {
        self.client = client
        self.namespaces = namespaces
        self.registry = registry
        self.metrics = metrics
        self.logger = logger
        self.retestInterval = retestInterval
    }

    /// Watches Providers and Secrets and reconciles with `workers` in parallel until cancelled.
    public func run(workers: Int) async {
        for namespace in namespaces {
            providers.append(Informer(client: client, resource: .providers, namespace: namespace))
            secrets.append(Informer(client: client, resource: .secrets, namespace: namespace))
        }
        let followers: [@Sendable () async -> Void] =
            providers.map { informer in { @Sendable in await self.follow(informer, secrets: false) } }
            + secrets.map { informer in { @Sendable in await self.follow(informer, secrets: true) } }
        await runUntilCancelled(followers + [{
            await self.queue.process(workers: workers, kind: "provider", metrics: self.metrics, logger: self.logger) {
                try await self.reconcile($0)
            }
        }], shutdown: { await self.shutdown() })
    }

    private func shutdown() async {
        await queue.close()
        for informer in providers + secrets { await informer.stop() }
    }

    /// Turns informer events into queued provider keys; a Secret's change queues the providers that use it.
    private func follow(_ informer: Informer, secrets isSecrets: Bool) async {
        let events = await informer.events()
        await informer.start()
        for await event in events {
            let objects: [JSONValue]
            switch event {
            case .added(let object), .deleted(let object): objects = [object]
            case .updated(_, let new): objects = [new]
            case .synced: objects = []
            }
            for object in objects {
                if isSecrets {
                    await enqueueUsers(of: object)
                } else {
                    await queue.add(Self.key(of: object))
                }
            }
        }
    }

    private func enqueueUsers(of secret: JSONValue) async {
        let name = secret[path: ["metadata", "name"]]?.stringValue
        let namespace = secret[path: ["metadata", "namespace"]]?.stringValue
        for informer in providers {
            for provider in await informer.list()
            where provider[path: ["spec", "secret", "name"]]?.stringValue == name
                && (provider[path: ["spec", "secret", "namespace"]]?.stringValue ?? provider[path: ["metadata", "namespace"]]?.stringValue) == namespace
            {
                await queue.add(Self.key(of: provider))
            }
        }
    }

    /// Reconciles one provider; returns when to look again, if it should.
    func reconcile(_ key: String) async throws -> Double? {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        let (namespace, name) = (parts[0], parts[1])
        var cached: JSONValue?
        for informer in providers { if let hit = await informer.get(name: name, namespace: namespace) { cached = hit } }
        guard let raw = cached else {
            await registry.remove(key: key, gone: true)
            lastTest[key] = nil
            return nil
        }
        let provider: Provider = try raw.decode()
        guard provider.metadata.deletionTimestamp == nil else { return nil }

        switch provider.spec.type {
        case "openshift":
            return try await reconcileHost(provider)
        case "ec2":
            return try await reconcileEC2(provider, key: key)
        default:
            try await setStatus(provider, phase: "ValidationFailed", conditions: [
                Condition(type: "ValidationFailed", category: Condition.Category.critical, reason: "TypeNotSupported",
                    message: "provider type '\(provider.spec.type)' is not handled by this controller (ec2, openshift)")
            ])
            return nil
        }
    }

    private func reconcileHost(_ provider: Provider) async throws -> Double? {
        guard provider.status?.conditions?.isTrue("Ready") != true || provider.status?.observedGeneration != provider.metadata.generation
        else { return nil }
        try await setStatus(provider, phase: "Ready", conditions: [
            Condition(type: "ConnectionTestSucceeded", category: Condition.Category.required, reason: "Tested",
                message: "The local cluster is the migration target."),
            Condition(type: "Ready", category: Condition.Category.required, reason: "Ready", message: "The provider is ready."),
        ])
        return nil
    }

    private func reconcileEC2(_ provider: Provider, key: String) async throws -> Double? {
        let secretNamespace = provider.spec.secret.namespace ?? provider.metadata.namespace ?? ""
        guard let secretName = provider.spec.secret.name, !secretName.isEmpty else {
            await registry.remove(key: key)
            try await fail(provider, reason: "SecretNotSet", message: "spec.secret names no Secret; set spec.secret.name")
            return nil
        }
        let secret: Secret
        do {
            secret = try await client.get(Secret.self, name: secretName, namespace: secretNamespace)
        } catch let error as KubernetesError where error.isNotFound {
            await registry.remove(key: key)
            try await fail(provider, reason: "SecretNotFound",
                message: "secret \(secretNamespace)/\(secretName) does not exist; create it or fix spec.secret")
            return nil
        }
        let config: EC2ProviderConfig
        do {
            config = try EC2ProviderConfig.resolve(provider: provider, secret: secret)
        } catch {
            await registry.remove(key: key)
            try await fail(provider, reason: error.reason, message: error.message)
            return nil
        }

        let fingerprint = "\(provider.metadata.generation ?? 0)/\(secret.metadata.resourceVersion ?? "")"
        if let last = lastTest[key], last.fingerprint == fingerprint, Date().timeIntervalSince(last.at) < retestInterval,
            provider.status?.observedGeneration == provider.metadata.generation
        {
            return retestInterval - Date().timeIntervalSince(last.at)
        }
        lastTest[key] = (fingerprint, Date())

        let result = await ConnectionTester(config: config, logger: logger).test()
        switch result {
        case .success(let accounts):
            await registry.set(key: key, uid: provider.metadata.uid ?? "", config: config, accounts: accounts)
            if provider.metadata.annotations?[Self.sourceAccountAnnotation] != accounts.source
                || provider.metadata.annotations?[Self.targetAccountAnnotation] != accounts.target
            {
                _ = try await client.patch(.providers, name: provider.metadata.name ?? "", namespace: provider.metadata.namespace,
                    .merge(["metadata": ["annotations": [
                        Self.sourceAccountAnnotation: .string(accounts.source),
                        Self.targetAccountAnnotation: .string(accounts.target),
                    ]]]))
            }
            let mode = accounts.source == accounts.target ? "same account" : "cross-account: snapshots are shared"
            try await setStatus(provider, phase: "Ready", conditions: [
                Condition(type: "ConnectionTestSucceeded", category: Condition.Category.required, reason: "Tested",
                    message: "Connected to \(config.endpoint.host ?? "EC2") as account \(accounts.source) (target account \(accounts.target), \(mode))."),
                Condition(type: "Ready", category: Condition.Category.required, reason: "Ready", message: "The provider is ready."),
            ], secretResourceVersion: secret.metadata.resourceVersion)
            return retestInterval
        case .failure(let failure):
            await registry.remove(key: key)
            try await setStatus(provider, phase: "ConnectionFailed", conditions: [
                Condition(type: "ConnectionTestFailed", category: Condition.Category.critical, reason: failure.code,
                    message: failure.message, suggestion: failure.suggestion)
            ], secretResourceVersion: secret.metadata.resourceVersion)
            return failure.transient ? 30 : retestInterval
        }
    }

    private func fail(_ provider: Provider, reason: String, message: String) async throws {
        try await setStatus(provider, phase: "ValidationFailed", conditions: [
            Condition(type: "ValidationFailed", category: Condition.Category.critical, reason: reason, message: message)
        ])
    }

    /// Replaces the provider's conditions with `conditions` (keeping transition times of unchanged ones).
    private func setStatus(
        _ provider: Provider, phase: String, conditions: [Condition], secretResourceVersion: String? = nil
    ) async throws {
        let now = Timestamp.now()
        // Conditions of the given types are replaced, others of the reconciler dropped; the inventory's stay.
        var merged = (provider.status?.conditions ?? []).filter { old in
            old.type.hasPrefix("Inventory") || conditions.contains { $0.type == old.type }
        }
        for condition in conditions { merged.set(condition, now: now) }
        var status = provider.status ?? Provider.Status()
        status.phase = phase
        status.conditions = merged
        status.observedGeneration = provider.metadata.generation
        status.secretResourceVersion = secretResourceVersion ?? status.secretResourceVersion
        guard status != provider.status else { return }
        _ = try await client.patch(.providers, name: provider.metadata.name ?? "", namespace: provider.metadata.namespace,
            .merge(["status": try JSONValue(encoding: status)]), subresource: "status")
        logger.info("provider status", metadata: [
            "provider": "\(provider.metadata.namespace ?? "")/\(provider.metadata.name ?? "")", "phase": "\(phase)",
        ])
    }

    static func key(of object: JSONValue) -> String {
        "\(object[path: ["metadata", "namespace"]]?.stringValue ?? "")/\(object[path: ["metadata", "name"]]?.stringValue ?? "")"
    }
}

/// RFC 3339 timestamps as Kubernetes writes them.
enum Timestamp {
    static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}
