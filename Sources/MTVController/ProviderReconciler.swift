import AWSClient
import AWSSigV4
import EC2Provider
import Foundation
import KubernetesClient
import Logging
import MTVAPI

/// Keeps Providers' conditions true, as the one writer of their status: validates each EC2 provider's Secret, tests
/// the connection with the source and target credentials, records the account IDs, and re-tests when the Provider
/// or its Secret changes (and every `retestInterval`); the inventory supervisor's conditions are written here too.
/// Reconciling is level-based: every pass (an event, a resync, the inventory's report) republishes a ready provider
/// in the registry, which keeps its collector running, and writes the status when it differs from what it should be.
public actor ProviderReconciler {
    let client: KubernetesClient
    let registry: ProviderRegistry
    let inventory: InventorySupervisor?
    let metrics: ControllerMetrics
    let logger: Logger
    let retestInterval: Double
    let queue = WorkQueue()
    private let providers: [Informer]
    private let secrets: [Informer]
    /// The last connection test of each provider, reused until what it tested changes or `retestInterval` passes.
    private var tests: [String: ConnectionTest] = [:]

    /// What a connection test found for one provider generation and Secret version.
    struct ConnectionTest {
        var fingerprint: String
        var at: Date
        var outcome: Result<ConnectionTester.Accounts, ConnectionTester.Failure>
    }

    /// The annotations that record which AWS accounts the credentials belong to.
    public static let sourceAccountAnnotation = "ec2.forklift.konveyor.io/source-account-id"
    public static let targetAccountAnnotation = "ec2.forklift.konveyor.io/target-account-id"

    /// The condition types this reconciler writes (every other writer's stay as they are).
    static let ownTypes = Set([
        ProviderCondition.ready, ProviderCondition.connectionTestSucceeded, ProviderCondition.connectionTestFailed,
        ProviderCondition.validationFailed, ProviderCondition.validated,
    ]).union(InventorySupervisor.conditionTypes)

    /// Says the provider's spec and Secret passed validation (upstream shows it as an Advisory condition).
    static let validated = Condition(
        type: ProviderCondition.validated, category: Condition.Category.advisory,
        reason: "Completed", message: "The provider's spec and Secret are valid.")

    /// Creates a reconciler over shared Provider and Secret caches (one informer per watched namespace).
    init(
        client: KubernetesClient, providers: [Informer], secrets: [Informer], registry: ProviderRegistry,
        inventory: InventorySupervisor?, metrics: ControllerMetrics, logger: Logger, retestInterval: Double = 300
    ) {
        self.client = client
        self.providers = providers
        self.secrets = secrets
        self.registry = registry
        self.inventory = inventory
        self.metrics = metrics
        self.logger = logger
        self.retestInterval = retestInterval
    }

    /// Follows Providers, Secrets and the inventory's reports, and reconciles with `workers` in parallel until
    /// cancelled.
    public func run(workers: Int) async {
        var tasks: [@Sendable () async -> Void] =
            providers.map { informer in { @Sendable in await self.follow(informer, secrets: false) } }
            + secrets.map { informer in { @Sendable in await self.follow(informer, secrets: true) } }
        if let reports = inventory?.reports {
            tasks.append { for await key in reports { await self.queue.add(key) } }
        }
        tasks.append {
            await self.queue.process(workers: workers, kind: "provider", metrics: self.metrics, logger: self.logger) {
                try await self.reconcile($0)
            }
        }
        await runUntilCancelled(tasks, shutdown: { await self.shutdown() })
    }

    private func shutdown() async {
        await queue.close()
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
            // The caches are shared and may have filled before this subscription: what they already hold (the
            // host provider made a moment ago) is reconciled now, not at the next resync.
            case .synced: objects = isSecrets ? [] : await informer.list()
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
                && (provider[path: ["spec", "secret", "namespace"]]?.stringValue
                    ?? provider[path: ["metadata", "namespace"]]?.stringValue) == namespace
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
            await registry.remove(key: key)
            tests[key] = nil
            return nil
        }
        let provider: Provider = try raw.decode()
        guard provider.metadata.deletionTimestamp == nil else { return nil }

        switch provider.spec.type {
        case "openshift":
            // Its inventory is the cluster's own objects, which every replica's caches serve (ClusterInventory).
            try await setStatus(
                provider, phase: "Ready",
                conditions: [
                    Condition(
                        type: ProviderCondition.connectionTestSucceeded, category: Condition.Category.required,
                        reason: "Tested", message: "The local cluster is the migration target."),
                    Condition(
                        type: ProviderCondition.inventoryCreated, category: Condition.Category.required,
                        reason: "Completed",
                        message: "The inventory is the cluster's own storage classes, networks, "
                            + "namespaces and VMs."),
                    Self.validated,
                    Condition(
                        type: ProviderCondition.ready, category: Condition.Category.required, reason: "Ready",
                        message: "The provider is ready."),
                ])
            return nil
        case "ec2":
            return try await reconcileEC2(provider, key: key)
        default:
            try await fail(
                provider, reason: "TypeNotSupported",
                message: "provider type '\(provider.spec.type)' is not handled by this controller (ec2, openshift)")
            return nil
        }
    }

    private func reconcileEC2(_ provider: Provider, key: String) async throws -> Double? {
        let secretNamespace = provider.spec.secret.namespace ?? provider.metadata.namespace ?? ""
        guard let secretName = provider.spec.secret.name, !secretName.isEmpty else {
            await registry.remove(key: key)
            try await fail(
                provider, reason: "SecretNotSet", message: "spec.secret names no Secret; set spec.secret.name")
            return nil
        }
        guard let secret = try await secret(name: secretName, namespace: secretNamespace) else {
            await registry.remove(key: key)
            try await fail(
                provider, reason: "SecretNotFound",
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
        let test: ConnectionTest
        if let last = tests[key], last.fingerprint == fingerprint, Date().timeIntervalSince(last.at) < retestInterval {
            test = last
        } else {
            test = ConnectionTest(
                fingerprint: fingerprint, at: Date(),
                outcome: await ConnectionTester(config: config, logger: logger).test())
            tests[key] = test
        }
        let retest = max(0.1, retestInterval - Date().timeIntervalSince(test.at))
        switch test.outcome {
        case .success(let accounts):
            await registry.set(
                key: key, uid: provider.metadata.uid ?? "", config: config, accounts: accounts,
                secret: .init(
                    namespace: secretNamespace, name: secretName, resourceVersion: secret.metadata.resourceVersion))
            if provider.metadata.annotations?[Self.sourceAccountAnnotation] != accounts.source
                || provider.metadata.annotations?[Self.targetAccountAnnotation] != accounts.target
            {
                _ = try await client.patch(
                    .providers, name: provider.metadata.name ?? "", namespace: provider.metadata.namespace,
                    .merge([
                        "metadata": [
                            "annotations": [
                                Self.sourceAccountAnnotation: .string(accounts.source),
                                Self.targetAccountAnnotation: .string(accounts.target),
                            ]
                        ]
                    ]))
            }
            let mode = accounts.source == accounts.target ? "same account" : "cross-account: snapshots are shared"
            try await setStatus(
                provider, phase: "Ready",
                conditions: [
                    Condition(
                        type: ProviderCondition.connectionTestSucceeded, category: Condition.Category.required,
                        reason: "Tested",
                        message:
                            "Connected to \(config.endpoint.host ?? "EC2") as account \(accounts.source) (target account \(accounts.target), \(mode))."
                    ),
                    Self.validated,
                    Condition(
                        type: ProviderCondition.ready, category: Condition.Category.required, reason: "Ready",
                        message: "The provider is ready."),
                ], secretResourceVersion: secret.metadata.resourceVersion)
            return retest
        case .failure(let failure):
            await registry.remove(key: key)
            try await setStatus(
                provider, phase: "ConnectionFailed",
                conditions: [
                    Condition(
                        type: ProviderCondition.connectionTestFailed, category: Condition.Category.critical,
                        reason: failure.code, message: failure.message, suggestion: failure.suggestion),
                    Self.validated,
                ], secretResourceVersion: secret.metadata.resourceVersion)
            return failure.transient ? min(30, retest) : retest
        }
    }

    /// The provider's Secret, from the cache when it holds it (a Secret outside the watched namespaces, or one
    /// the cache has not seen yet, is read from the API server); nil when it does not exist.
    private func secret(name: String, namespace: String) async throws -> Secret? {
        for informer in secrets {
            if let hit = await informer.get(name: name, namespace: namespace) { return try hit.decode() }
        }
        do {
            return try await client.get(Secret.self, name: name, namespace: namespace)
        } catch let error as KubernetesError where error.isNotFound {
            return nil
        }
    }

    private func fail(_ provider: Provider, reason: String, message: String) async throws {
        try await setStatus(
            provider, phase: "ValidationFailed",
            conditions: [
                Condition(
                    type: ProviderCondition.validationFailed, category: Condition.Category.critical, reason: reason,
                    message: message)
            ])
    }

    /// Makes the provider's status say `phase` with `conditions` and the inventory's view, replacing only the
    /// condition types this reconciler owns (transition times of unchanged ones are kept). The write starts from
    /// the cached copy and is guarded by its resourceVersion, so it never overwrites what it has not seen.
    private func setStatus(
        _ provider: Provider, phase: String, conditions: [Condition], secretResourceVersion: String? = nil
    ) async throws {
        let key = "\(provider.metadata.namespace ?? "")/\(provider.metadata.name ?? "")"
        let desired = conditions + (await inventory?.conditions(key: key) ?? [])
        let written = try await client.updateStatus(
            Provider.self, name: provider.metadata.name ?? "", namespace: provider.metadata.namespace, current: provider
        ) { current in
            var status = current.status ?? Provider.Status()
            var merged = status.conditions ?? []
            merged.replace(owned: Self.ownTypes, with: desired, now: Timestamp.now())
            status.phase = phase
            status.conditions = merged
            status.observedGeneration = current.metadata.generation
            status.secretResourceVersion = secretResourceVersion ?? status.secretResourceVersion
            current.status = status
        }
        if written.status != provider.status {
            logger.info("provider status", metadata: ["provider": "\(key)", "phase": "\(phase)"])
        }
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
