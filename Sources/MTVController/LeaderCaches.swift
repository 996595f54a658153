import KubernetesClient
import MTVAPI

/// The caches of Plans, maps and Migrations the leader's reconcilers share: one informer per kind and namespace for
/// the whole process, each with as many subscribers as need its events.
struct LeaderCaches: Sendable {
    let plans: [Informer]
    let networkMaps: [Informer]
    let storageMaps: [Informer]
    let migrations: [Informer]

    /// Caches for `namespaces` (nil: all); `start` begins watching.
    init(client: KubernetesClient, namespaces: [String?]) {
        plans = namespaces.map { Informer(client: client, resource: .plans, namespace: $0) }
        networkMaps = namespaces.map { Informer(client: client, resource: .networkMaps, namespace: $0) }
        storageMaps = namespaces.map { Informer(client: client, resource: .storageMaps, namespace: $0) }
        migrations = namespaces.map { Informer(client: client, resource: .migrations, namespace: $0) }
    }

    /// Both kinds of map.
    var maps: [Informer] { networkMaps + storageMaps }

    private var all: [Informer] { plans + maps + migrations }

    /// Starts every cache (each starts once, however often this is called).
    func start() async {
        for informer in all { await informer.start() }
    }

    /// Stops every cache and ends its subscriptions.
    func stop() async {
        for informer in all { await informer.stop() }
    }

    /// The informers of a kind these caches hold.
    func informers(of resource: ResourceType) -> [Informer] {
        switch resource.plural {
        case ResourceType.plans.plural: plans
        case ResourceType.networkMaps.plural: networkMaps
        case ResourceType.storageMaps.plural: storageMaps
        case ResourceType.migrations.plural: migrations
        default: []
        }
    }

    /// An object from the caches when they have it, else from the API server.
    func object<T: KubernetesObject>(
        _ type: T.Type, name: String, namespace: String, client: KubernetesClient
    )
        async throws -> T
    {
        for informer in informers(of: T.resourceType) {
            if let hit = await informer.get(name: name, namespace: namespace) { return try hit.decode() }
        }
        return try await client.get(T.self, name: name, namespace: namespace)
    }
}
