import EC2Provider
import Foundation
import KubernetesClient
import Logging
import MTVAPI

/// Keeps an inventory collector running for every EC2 Provider the leader has found Ready, on every replica: each
/// replica collects and serves the inventory itself, so whichever one the Service picks answers correctly. The
/// leader's connection test decides readiness (the Provider's `Ready` condition and account annotations); a
/// replica reads the AWS configuration from the Provider's Secret, so rotated keys reach its collector too.
actor InventoryFollower {
    let client: KubernetesClient
    let providers: [Informer]
    let secrets: [Informer]
    let supervisor: InventorySupervisor
    let health: HealthState
    let logger: Logger
    let queue = WorkQueue()

    /// Follows the given Provider and Secret caches (shared with the provider reconciler).
    init(
        client: KubernetesClient, providers: [Informer], secrets: [Informer], supervisor: InventorySupervisor,
        health: HealthState, logger: Logger
    ) {
        self.client = client
        self.providers = providers
        self.secrets = secrets
        self.supervisor = supervisor
        self.health = health
        self.logger = logger
    }

    /// Runs until cancelled; the replica reports ready once the Provider caches have their first lists.
    func run(metrics: ControllerMetrics) async {
        var tasks: [@Sendable () async -> Void] = providers.map { informer in
            { @Sendable in await self.follow(informer, secrets: false) }
        }
        tasks += secrets.map { informer in { @Sendable in await self.follow(informer, secrets: true) } }
        tasks.append {
            await self.queue.process(workers: 1, kind: "inventory_follower", metrics: metrics, logger: self.logger) {
                try await self.reconcile($0)
            }
        }
        tasks.append {
            for informer in self.providers {
                while await !informer.hasSynced { try? await Task.sleep(nanoseconds: 50_000_000) }
            }
            await self.health.setReady(true)
        }
        await runUntilCancelled(tasks, shutdown: { await self.queue.close() })
    }

    private func follow(_ informer: Informer, secrets isSecrets: Bool) async {
        let events = await informer.events()
        await informer.start()
        for await event in events {
            guard let object = event.object else { continue }
            guard isSecrets else {
                await queue.add(ProviderReconciler.key(of: object))
                continue
            }
            let name = object[path: ["metadata", "name"]]?.stringValue
            let namespace = object[path: ["metadata", "namespace"]]?.stringValue
            for informer in providers {
                for provider in await informer.list()
                where provider[path: ["spec", "secret", "name"]]?.stringValue == name
                    && (provider[path: ["spec", "secret", "namespace"]]?.stringValue
                        ?? provider[path: ["metadata", "namespace"]]?.stringValue) == namespace
                {
                    await queue.add(ProviderReconciler.key(of: provider))
                }
            }
        }
    }

    /// Starts, restarts or stops one provider's collector to match what its Provider and Secret say now.
    func reconcile(_ key: String) async throws -> Double? {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        var cached: JSONValue?
        for informer in providers {
            if let hit = await informer.get(name: parts[1], namespace: parts[0]) { cached = hit }
        }
        guard let raw = cached, let provider: Provider = try? raw.decode(), provider.metadata.deletionTimestamp == nil
        else {
            await supervisor.stop(key: key, forget: true)
            return nil
        }
        guard provider.spec.type == "ec2", provider.status?.conditions?.isTrue(ProviderCondition.ready) == true,
            let source = provider.metadata.annotations?[ProviderReconciler.sourceAccountAnnotation],
            let target = provider.metadata.annotations?[ProviderReconciler.targetAccountAnnotation],
            let secretName = provider.spec.secret.name
        else {
            await supervisor.stop(key: key, forget: false)
            return nil
        }
        let secretNamespace = provider.spec.secret.namespace ?? provider.metadata.namespace ?? ""
        var secret: Secret?
        for informer in secrets {
            if let hit = await informer.get(name: secretName, namespace: secretNamespace) { secret = try hit.decode() }
        }
        if secret == nil { secret = try? await client.get(Secret.self, name: secretName, namespace: secretNamespace) }
        guard let secret, let config = try? EC2ProviderConfig.resolve(provider: provider, secret: secret) else {
            await supervisor.stop(key: key, forget: false)
            return nil
        }
        await supervisor.ensure(
            ProviderRegistry.Entry(
                key: key, uid: provider.metadata.uid ?? "", config: config,
                accounts: ConnectionTester.Accounts(source: source, target: target),
                secret: .init(
                    namespace: secretNamespace, name: secretName, resourceVersion: secret.metadata.resourceVersion)))
        return nil
    }
}
