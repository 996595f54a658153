import Foundation
import KubernetesClient
import Logging
import MTVAPI
import ServiceLifecycle

/// The reconciling side of `mtv-controller`: leader election, the `host` provider, and the reconcilers.
public struct Controller: Service {
    let configuration: ControllerConfiguration
    let client: KubernetesClient
    let registry: ProviderRegistry
    let inventory: InventorySupervisor
    let cluster: ClusterInventory
    let health: HealthState
    let metrics: ControllerMetrics
    let logger: Logger

    /// Creates the controller; every replica fills `cluster`, the OpenShift providers' inventory.
    public init(
        configuration: ControllerConfiguration, client: KubernetesClient, registry: ProviderRegistry,
        inventory: InventorySupervisor, cluster: ClusterInventory, health: HealthState, metrics: ControllerMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.client = client
        self.registry = registry
        self.inventory = inventory
        self.cluster = cluster
        self.health = health
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs until graceful shutdown; throws when leadership is lost, so the process restarts clean.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await runReconcilers()
        }
    }

    /// Every replica follows Providers and collects their inventory; the leader alone also reconciles.
    private func runReconcilers() async throws {
        let namespaces: [String?] = configuration.namespaces.isEmpty ? [nil] : configuration.namespaces
        // One cache per kind and namespace, shared by the inventory follower and the provider reconciler. Provider
        // caches resync, so work a lost event started is taken up again within that interval.
        let providers = namespaces.map {
            Informer(client: client, resource: .providers, namespace: $0, resyncInterval: Self.providerResyncInterval)
        }
        let secrets = namespaces.map { Informer(client: client, resource: .secrets, namespace: $0) }
        let follower = InventoryFollower(
            client: client, providers: providers, secrets: secrets, supervisor: inventory, health: health,
            logger: logger)
        await cluster.start(providers: providers)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await follower.run(metrics: metrics) }
                group.addTask { try await lead(namespaces: namespaces, providers: providers, secrets: secrets) }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await cluster.stop()
            for informer in providers + secrets { await informer.stop() }
            throw error
        }
        await cluster.stop()
        for informer in providers + secrets { await informer.stop() }
    }

    /// Seconds between resyncs of the Provider caches.
    static let providerResyncInterval = 30.0

    /// Waits for leadership (when electing), then reconciles Providers, Plans and Migrations until it is lost.
    private func lead(namespaces: [String?], providers: [Informer], secrets: [Informer]) async throws {
        let elector =
            configuration.leaderElect
            ? LeaderElector(
                client: client, namespace: configuration.controllerNamespace, name: ControllerConfiguration.leaseName,
                identity: configuration.identity, leaseDuration: configuration.leaseDuration,
                retryPeriod: configuration.leaseRetryPeriod, logger: logger) : nil
        if let elector {
            logger.info("waiting to lead", metadata: ["identity": "\(configuration.identity)"])
            try await elector.acquire()
        }
        await health.setLeading(true)
        try await ensureHostProvider()
        let clusterUID = try await client.clusterUID()
        let providerReconciler = ProviderReconciler(
            client: client, providers: providers, secrets: secrets, registry: registry, inventory: inventory,
            metrics: metrics, logger: logger)
        let caches = LeaderCaches(client: client, namespaces: namespaces)
        let plans = PlanReconciler(
            client: client, caches: caches, registry: registry, cluster: cluster, store: inventory.store,
            inventoryChanges: inventory.changes, metrics: metrics, logger: logger)
        let migrations = MigrationRunner(
            client: client, caches: caches, registry: registry, store: inventory.store, metrics: metrics,
            logger: logger, clusterUID: clusterUID, maxInFlight: configuration.maxInFlight,
            conversionKVM: configuration.conversionKVM)
        await caches.start()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await providerReconciler.run(workers: configuration.workers) }
                group.addTask { await plans.run(workers: configuration.workers) }
                group.addTask { await migrations.run() }
                if let elector {
                    group.addTask {
                        try await elector.holdUntilLost()
                        throw LeadershipLost()
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await caches.stop()
            throw error
        }
        await caches.stop()
    }

    /// Creates the `host` provider (the cluster itself, the migration target) when it is missing.
    func ensureHostProvider() async throws {
        let host = Provider(
            metadata: ObjectMeta(name: "host", namespace: configuration.controllerNamespace),
            spec: Provider.Spec(type: "openshift", url: "", secret: ObjectReference(name: nil, namespace: nil)))
        do {
            _ = try await client.create(host)
            logger.info("created the host provider", metadata: ["namespace": "\(configuration.controllerNamespace)"])
        } catch let error as KubernetesError where error.isAlreadyExists {
            return
        } catch let error as KubernetesError where error.isNotFound {
            _ = try await client.create(Namespace(name: configuration.controllerNamespace))
            _ = try await client.create(host)
        }
    }
}

/// Leadership moved to another process; this one stops reconciling.
struct LeadershipLost: Error, CustomStringConvertible {
    var description: String { "lost leadership; exiting so a fresh process can campaign again" }
}

/// What `/readyz` and `/leader` report.
public actor HealthState {
    private var leading = false
    private var ready = false

    /// Creates the state.
    public init() {}

    /// Records whether this process leads.
    public func setLeading(_ value: Bool) {
        leading = value
    }

    /// Whether this process leads.
    public var isLeading: Bool { leading }

    /// Records whether this process can answer inventory requests (its Provider caches are filled).
    public func setReady(_ value: Bool) {
        ready = value
    }

    /// Whether this process can answer inventory requests.
    public var isReady: Bool { ready }
}
