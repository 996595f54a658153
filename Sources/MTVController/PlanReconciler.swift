import AWSClient
import EC2Provider
import Foundation
import Inventory
import KubernetesClient
import Logging
import MTVAPI
import MigrationCore

/// Keeps each Plan's preflight conditions true: its providers, its maps and, for every VM, the checks of
/// `PlanValidator` against the inventory and the cluster. Plans are looked at again when they or their maps
/// change, when the source inventory changes, and every `recheckInterval` while not Ready.
public actor PlanReconciler {
    let client: KubernetesClient
    /// The process's caches of Plans, maps and Migrations.
    let caches: LeaderCaches
    let registry: ProviderRegistry
    /// The cluster's watch caches (storage classes, network attachment definitions), read instead of lists.
    let cluster: ClusterInventory
    let store: InventoryStore
    let inventoryChanges: AsyncStream<String>?
    let metrics: ControllerMetrics
    let logger: Logger
    let recheckInterval: Double
    let queue = WorkQueue()
    private var plans: [Informer] { caches.plans }
    var maps: [Informer] { caches.maps }
    private var migrations: [Informer] { caches.migrations }
    /// The last validation of each plan, reused while nothing it depends on changed (a migration's progress
    /// alone re-mirrors the status without validating again).
    private var validations: [String: (generation: Int64?, at: Date, conditions: [Condition])] = [:]
    /// Plans whose maps or inventory changed since their last validation.
    private var stale: Set<String> = []

    /// Condition types the reconciler owns besides the validator's (the executor owns the rest).
    static let ownTypes: Set<String> = [
        "SourceProviderNotValid", "SourceProviderNotReady", "DestinationProviderNotValid", "NetworkMapNotValid",
        "StorageMapNotValid", "SourceInventoryNotReady", ConditionType.ready, ConditionType.archived,
        ConditionType.executing, ConditionType.succeeded, ConditionType.failed, ConditionType.canceled,
    ]

    /// Creates a reconciler of the Plans `caches` hold.
    init(
        client: KubernetesClient, caches: LeaderCaches, registry: ProviderRegistry, cluster: ClusterInventory,
        store: InventoryStore, inventoryChanges: AsyncStream<String>?, metrics: ControllerMetrics, logger: Logger,
        recheckInterval: Double = 15
    ) {
        self.client = client
        self.caches = caches
        self.registry = registry
        self.cluster = cluster
        self.store = store
        self.inventoryChanges = inventoryChanges
        self.metrics = metrics
        self.logger = logger
        self.recheckInterval = recheckInterval
    }

    /// Watches Plans and maps, follows inventory changes, and validates with `workers` in parallel until cancelled.
    public func run(workers: Int) async {
        var tasks: [@Sendable () async -> Void] =
            plans.map { informer in { @Sendable in await self.follow(informer) { [ProviderReconciler.key(of: $0)] } } }
        tasks += maps.map { informer in
            { @Sendable in
                await self.follow(informer) { map in
                    let keys = await self.users(ofMap: map).map(ProviderReconciler.key(of:))
                    await self.markStale(keys)
                    return keys + [Self.mapKey(of: map)]
                }
            }
        }
        tasks += migrations.map { informer in { @Sendable in await self.follow(informer) { [Self.planKey(of: $0)] } } }
        if let inventoryChanges {
            tasks.append { for await providerKey in inventoryChanges { await self.enqueuePlans(source: providerKey) } }
        }
        // A provider that becomes ready, changes (a new target zone, rotated keys) or fails changes its plans' checks.
        let providerChanges = registry.changes
        tasks.append { for await providerKey in providerChanges { await self.enqueuePlans(source: providerKey) } }
        tasks.append {
            await self.queue.process(workers: workers, kind: "plan", metrics: self.metrics, logger: self.logger) {
                try await self.reconcile($0)
            }
        }
        await runUntilCancelled(tasks, shutdown: { await self.shutdown() })
    }

    private func shutdown() async {
        await queue.close()
    }

    /// Queues the plan keys `affected` names for each object the informer reports.
    private func follow(_ informer: Informer, affected: @escaping @Sendable (JSONValue) async -> [String]) async {
        let events = await informer.events()
        await informer.start()
        for await event in events {
            guard let object = event.object else { continue }
            for key in await affected(object) { await queue.add(key) }
        }
    }

    private func markStale(_ keys: [String]) {
        stale.formUnion(keys)
    }

    /// The `namespace/name` of a migration's plan.
    static func planKey(of migration: JSONValue) -> String {
        let namespace = migration[path: ["metadata", "namespace"]]?.stringValue ?? ""
        let plan = migration[path: ["spec", "plan"]]
        return "\(plan?["namespace"]?.stringValue ?? namespace)/\(plan?["name"]?.stringValue ?? "")"
    }

    /// The plan's most recent Migration, from the cache.
    private func latestMigration(of plan: Plan) async -> Migration? {
        let key = "\(plan.metadata.namespace ?? "")/\(plan.metadata.name ?? "")"
        var found: [Migration] = []
        for informer in migrations {
            for raw in await informer.list() where Self.planKey(of: raw) == key {
                if let migration: Migration = try? raw.decode() { found.append(migration) }
            }
        }
        return found.max {
            ($0.metadata.creationTimestamp ?? "", $0.metadata.name ?? "") < (
                $1.metadata.creationTimestamp ?? "", $1.metadata.name ?? ""
            )
        }
    }

    /// The plans that reference a network or storage map.
    private func users(ofMap map: JSONValue) async -> [JSONValue] {
        let kind = map["kind"]?.stringValue == "NetworkMap" ? "network" : "storage"
        let name = map[path: ["metadata", "name"]]?.stringValue
        let namespace = map[path: ["metadata", "namespace"]]?.stringValue
        var found: [JSONValue] = []
        for informer in plans {
            for plan in await informer.list() {
                let reference = plan[path: ["spec", "map", kind]]
                let planNamespace = plan[path: ["metadata", "namespace"]]?.stringValue
                if reference?["name"]?.stringValue == name,
                    (reference?["namespace"]?.stringValue ?? planNamespace) == namespace
                {
                    found.append(plan)
                }
            }
        }
        return found
    }

    private func enqueuePlans(source providerKey: String) async {
        for informer in maps {
            for map in await informer.list() where Self.sourceKey(of: map) == providerKey {
                await queue.add(Self.mapKey(of: map))
            }
        }
        for informer in plans {
            for plan in await informer.list() {
                let planNamespace = plan[path: ["metadata", "namespace"]]?.stringValue ?? ""
                let source = plan[path: ["spec", "provider", "source"]]
                let key = "\(source?["namespace"]?.stringValue ?? planNamespace)/\(source?["name"]?.stringValue ?? "")"
                if key == providerKey {
                    markStale([ProviderReconciler.key(of: plan)])
                    await queue.add(ProviderReconciler.key(of: plan))
                }
            }
        }
    }

    /// Validates one plan (or map); returns when to look again, if it should.
    func reconcile(_ key: String) async throws -> Double? {
        if let colon = key.firstIndex(of: ":") {
            return try await reconcileMap(kind: String(key[..<colon]), key: String(key[key.index(after: colon)...]))
        }
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        var cached: JSONValue?
        for informer in plans { if let hit = await informer.get(name: parts[1], namespace: parts[0]) { cached = hit } }
        guard let raw = cached else {
            validations[key] = nil
            return nil
        }
        let plan: Plan = try raw.decode()
        guard plan.metadata.deletionTimestamp == nil else { return nil }

        var conditions: [Condition]
        if let last = validations[key], last.generation == plan.metadata.generation, !stale.contains(key),
            Date().timeIntervalSince(last.at) < recheckInterval
        {
            conditions = last.conditions
        } else {
            stale.remove(key)
            conditions = try await evaluate(plan, rawSpec: raw["spec"])
            validations[key] = (plan.metadata.generation, Date(), conditions)
        }
        let latest = await latestMigration(of: plan)
        var migrationStatus: Plan.MigrationStatus?
        if let latest, let status = latest.status, status.started != nil {
            migrationStatus = Plan.MigrationStatus(
                started: status.started, completed: status.completed, vms: status.vms)
            if status.completed == nil {
                conditions.append(
                    Condition(
                        type: ConditionType.executing, category: Condition.Category.advisory, reason: "Running",
                        message: "Migration \(latest.metadata.name ?? "") is running."))
            } else if let outcome = ConditionType.outcomes.compactMap({ status.conditions?[type: $0] }).first {
                conditions.append(outcome)
            }
        } else if let latest, let failed = latest.status?.conditions?[type: ConditionType.failed] {
            conditions.append(failed)
        }
        try await setConditions(plan, conditions, migration: migrationStatus)
        let ready = conditions.contains { $0.type == ConditionType.ready }
        return ready ? nil : recheckInterval
    }

    /// The hooks the plan's VMs name, by `namespace/name`; one that does not exist is absent.
    func hooks(of plan: Plan) async throws -> [String: Hook] {
        let namespace = plan.metadata.namespace ?? ""
        var found: [String: Hook] = [:]
        for reference in plan.spec.vms.flatMap({ $0.hooks ?? [] }) {
            let key = PlanValidator.hookKey(reference, planNamespace: namespace)
            guard found[key] == nil, let name = reference.hook?.name, !name.isEmpty else { continue }
            do {
                found[key] = try await client.get(
                    Hook.self, name: name, namespace: reference.hook?.namespace ?? namespace)
            } catch let error as KubernetesError where error.isNotFound {}
        }
        return found
    }

    /// What the target account may do with each KMS key: AWS-managed keys (asked with the source credentials) can
    /// never be shared; any other must be one the target account may describe. A transient failure is thrown, so
    /// the plan is evaluated again.
    func keyAccess(_ keys: [String], config: EC2ProviderConfig) async throws -> [String: PlanValidator.KeyAccess] {
        var found: [String: PlanValidator.KeyAccess] = [:]
        guard !keys.isEmpty else { return found }
        let source = config.kmsClient(target: false, region: config.region, logger: logger)
        let target = config.kmsClient(target: true, region: config.region, logger: logger)
        for key in keys {
            do {
                if try await source.describeKey(key).isAWSManaged {
                    found[key] = .awsManaged
                    continue
                }
            } catch let error as AWSError where error.isRetryable { throw error } catch {
                logger.debug("source cannot describe its KMS key", metadata: ["key": "\(key)", "error": "\(error)"])
            }
            do {
                _ = try await target.describeKey(key)
                found[key] = .usable
            } catch let error as AWSError where !error.isRetryable {
                found[key] = .notUsable("\(error.code): \(error.message)")
            }
        }
        return found
    }

    /// Every condition the plan should carry now: the blocking ones, the warnings, and Ready when none blocks.
    func evaluate(_ plan: Plan, rawSpec: JSONValue? = nil) async throws -> [Condition] {
        let namespace = plan.metadata.namespace ?? ""
        var conditions: [Condition] = []
        if plan.spec.archived == true {
            conditions.append(
                Condition(
                    type: ConditionType.archived, category: Condition.Category.advisory, reason: "Archived",
                    message: "The plan is archived."))
        }
        func critical(_ type: String, _ reason: String, _ message: String) -> [Condition] {
            conditions + [
                Condition(type: type, category: Condition.Category.critical, reason: reason, message: message)
            ]
        }

        let sourceRef = plan.spec.provider.source
        let sourceKey = "\(sourceRef.namespace ?? namespace)/\(sourceRef.name ?? "")"
        let source: Provider
        do {
            source = try await client.get(
                Provider.self, name: sourceRef.name ?? "", namespace: sourceRef.namespace ?? namespace)
        } catch let error as KubernetesError where error.isNotFound {
            return critical("SourceProviderNotValid", "NotFound", "source provider \(sourceKey) does not exist")
        }
        guard source.spec.type == "ec2" else {
            return critical(
                "SourceProviderNotValid", "TypeNotValid",
                "source provider \(sourceKey) is of type \(source.spec.type); plans here migrate from ec2 providers")
        }
        guard source.status?.conditions?.isTrue(ConditionType.ready) == true,
            let entry = await registry.entry(key: sourceKey)
        else {
            return critical(
                "SourceProviderNotReady", "NotReady",
                "source provider \(sourceKey) is not ready (see kubectl mtv describe provider \(sourceRef.name ?? ""))")
        }

        let destinationRef = plan.spec.provider.destination
        let destinationKey = "\(destinationRef.namespace ?? namespace)/\(destinationRef.name ?? "")"
        do {
            let destination = try await client.get(
                Provider.self, name: destinationRef.name ?? "", namespace: destinationRef.namespace ?? namespace)
            guard destination.spec.type == "openshift" else {
                return critical(
                    "DestinationProviderNotValid", "TypeNotValid",
                    "destination provider \(destinationKey) is of type \(destination.spec.type); it must be an openshift provider (such as host)"
                )
            }
        } catch let error as KubernetesError where error.isNotFound {
            return critical(
                "DestinationProviderNotValid", "NotFound", "destination provider \(destinationKey) does not exist")
        }

        let networkMap: NetworkMap
        let storageMap: StorageMap
        do {
            networkMap = try await map(NetworkMap.self, plan.spec.map.network, namespace: namespace)
            storageMap = try await map(StorageMap.self, plan.spec.map.storage, namespace: namespace)
        } catch let missing as MissingMap {
            return critical(missing.condition, "NotFound", missing.message)
        }

        guard try await store.passes(provider: entry.uid) > 0 else {
            return critical(
                "SourceInventoryNotReady", "NotReady",
                "the inventory of \(sourceKey) has not been collected yet; the plan is checked again when it is")
        }
        let inventory = try await store.list(provider: entry.uid, kind: .vm).map(\.object)
        let classes = try await storageClasses().map {
            AutomaticMapping.StorageClassInfo(name: $0.metadata.name ?? "", provisioner: $0.provisioner)
        }
        let workers = try await client.list(Node.self).items.filter(Self.isWorker).map {
            PlanValidator.WorkerNode(zone: $0.zone, architecture: $0.architecture ?? "amd64")
        }
        var validator = PlanValidator(
            plan: plan, inventory: inventory, networkMap: networkMap, storageMap: storageMap, storageClasses: classes,
            workers: workers, targetZone: entry.config.targetAZ,
            crossAccount: entry.accounts.source != entry.accounts.target,
            takenNames: try await takenNames(plan))
        validator.rawSpec = rawSpec
        validator.hooks = try await hooks(of: plan)
        if validator.crossAccount {
            let names = Set(plan.spec.vms.compactMap(\.name)), ids = Set(plan.spec.vms.compactMap(\.id))
            validator.keys = try await keyAccess(
                PlanValidator.keysToCheck(
                    inventory.filter { record in
                        ids.contains(record["id"]?.stringValue ?? "")
                            || names.contains(record["name"]?.stringValue ?? "")
                    }), config: entry.config)
        }
        conditions += validator.conditions()
        if !conditions.contains(where: { $0.category == Condition.Category.critical }) {
            conditions.append(
                Condition(
                    type: ConditionType.ready, category: Condition.Category.required, reason: "Ready",
                    message: "The migration plan is ready."))
        }
        return conditions
    }

    /// A plan's map, from the caches; a missing one is a `MissingMap`.
    private func map<T: KubernetesObject>(
        _ type: T.Type, _ reference: ObjectReference, namespace: String
    ) async throws -> T {
        let name = reference.name ?? "", mapNamespace = reference.namespace ?? namespace
        do {
            return try await caches.object(T.self, name: name, namespace: mapNamespace, client: client)
        } catch let error as KubernetesError where error.isNotFound {
            let network = T.resourceType.plural == ResourceType.networkMaps.plural
            throw MissingMap(
                condition: network ? "NetworkMapNotValid" : "StorageMapNotValid",
                message: "\(network ? "network" : "storage") map \(mapNamespace)/\(name) does not exist")
        }
    }

    /// A plan names a map that does not exist.
    struct MissingMap: Error {
        var condition: String
        var message: String
    }

    /// VirtualMachine names in the target namespace that this plan did not create.
    private func takenNames(_ plan: Plan) async throws -> Set<String> {
        do {
            let vms = try await client.listAll(.virtualMachines, namespace: plan.spec.targetNamespace).items
            return Set(
                vms.compactMap { vm in
                    vm[path: ["metadata", "labels", MigrationLabels.planUID]]?.stringValue == plan.metadata.uid
                        ? nil : vm[path: ["metadata", "name"]]?.stringValue
                })
        } catch let error as KubernetesError where error.isNotFound {
            return []
        }
    }

    /// Whether a node runs workloads: a worker, or any node that is not only a control-plane node.
    static func isWorker(_ node: Node) -> Bool {
        let labels = node.metadata.labels ?? [:]
        if labels["node-role.kubernetes.io/worker"] != nil { return true }
        return labels["node-role.kubernetes.io/control-plane"] == nil && labels["node-role.kubernetes.io/master"] == nil
    }

    /// Replaces the conditions this reconciler owns, keeping other writers' and unchanged transition times; the
    /// write starts from the cached plan and is guarded by its resourceVersion, so a stale copy never wins.
    private func setConditions(_ plan: Plan, _ conditions: [Condition], migration: Plan.MigrationStatus?) async throws {
        let owned = Self.ownTypes.union(PlanValidator.conditionTypes)
        let written = try await client.updateStatus(
            Plan.self, name: plan.metadata.name ?? "", namespace: plan.metadata.namespace, current: plan
        ) { current in
            var status = current.status ?? Plan.Status()
            var merged = status.conditions ?? []
            merged.replace(owned: owned, with: conditions, now: Timestamp.now())
            status.conditions = merged
            status.observedGeneration = current.metadata.generation
            if let migration { status.migration = migration }
            current.status = status
        }
        guard written.status != plan.status else { return }
        let merged = written.status?.conditions ?? []
        logger.info(
            "plan validated",
            metadata: [
                "plan": "\(plan.metadata.namespace ?? "")/\(plan.metadata.name ?? "")",
                "ready": "\(merged.isTrue(ConditionType.ready))",
                "blocking": "\(merged.filter { $0.category == Condition.Category.critical }.map(\.type))",
            ])
    }
}
