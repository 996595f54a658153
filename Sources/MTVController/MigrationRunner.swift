import AWSClient
import Foundation
import Inventory
import KubernetesClient
import Logging
import MTVAPI
import MigrationCore

/// Runs Migrations: each tick reads what AWS says about every VM in flight (one batched Describe per resource
/// kind per migration), moves each VM through its itinerary, and writes the Migration's status when it changed.
/// Ticks follow Migration events at once and otherwise poll adaptively (fast while things move, slower while
/// AWS works). All state lives in the Migration's status, so a restarted controller resumes where it stopped.
public actor MigrationRunner {
    let client: KubernetesClient
    let registry: ProviderRegistry
    let store: InventoryStore
    let metrics: ControllerMetrics
    let logger: Logger
    /// VMs of one migration past Started and not yet Completed, at most.
    let maxInFlight: Int
    /// Whether conversion pods request `/dev/kvm`.
    let conversionKVM: Bool
    /// The cluster's UID, tagged on every AWS resource a migration creates.
    let clusterUID: String
    /// The process's caches of Plans, maps and Migrations, so a tick reads them without a request.
    let caches: LeaderCaches
    private let wake = WakeSignal()
    /// Phase clocks and transient failure counts.
    let memory = MigrationMemory()
    /// Each ready provider's AWS clients and the registry entry they were made from, by provider key.
    var clientCache: [String: (entry: ProviderRegistry.Entry, clients: (source: EC2Client, target: EC2Client))] = [:]
    /// The status this process last wrote for each migration (by UID). The runner is the only writer of a
    /// Migration's status, so this is never older than the cache, which may lag behind a write.
    private var written: [String: Migration.Status] = [:]
    /// Each migration's end-of-tick status write, still in flight while the runner sleeps; the migration's next
    /// tick waits for it before acting, so what a tick did is on record before the next one builds on it.
    private var writing: [String: Task<Void, any Error>] = [:]

    /// The pause between ticks, in seconds: short right after something moved, growing to `waitingInterval`
    /// while VMs wait on AWS, and to `idleInterval` after a minute without change.
    static let fastInterval = 0.05
    static let waitingInterval = 0.5
    static let idleInterval = 5.0

    /// Creates a runner of the Migrations `caches` hold.
    init(
        client: KubernetesClient, caches: LeaderCaches, registry: ProviderRegistry, store: InventoryStore,
        metrics: ControllerMetrics, logger: Logger, clusterUID: String, maxInFlight: Int = 100,
        conversionKVM: Bool = false
    ) {
        self.clusterUID = clusterUID
        self.client = client
        self.caches = caches
        self.registry = registry
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.maxInFlight = maxInFlight
        self.conversionKVM = conversionKVM
    }

    /// Follows Migrations and runs them until cancelled.
    public func run() async {
        await caches.start()
        let followers: [@Sendable () async -> Void] = caches.migrations.map { informer in
            { @Sendable in
                let events = await informer.events()
                await informer.start()
                // A new Migration, a changed spec (a cancel) or a deletion wakes the loop; the runner's own status
                // writes do not, or every write would start the next tick at once.
                for await event in events {
                    switch event {
                    case .added: await self.wake.signal()
                    case .updated(let old, let new)
                    where old[path: ["metadata", "generation"]] != new[path: ["metadata", "generation"]]
                        || old[path: ["metadata", "deletionTimestamp"]] != new[path: ["metadata", "deletionTimestamp"]]:
                        await self.wake.signal()
                    default: continue
                    }
                }
            }
        }
        await runUntilCancelled(followers + [{ await self.loop() }], shutdown: { await self.shutdown() })
    }

    private func shutdown() async {
        await wake.close()
    }

    private func loop() async {
        var interval = Self.fastInterval
        var lastMove = Date()
        while !Task.isCancelled {
            var moved = false
            for informer in caches.migrations {
                // Running migrations, and ended ones still holding the finalizer (a crash before its release).
                for raw in await informer.list()
                where raw[path: ["status", "completed"]] == nil
                    || raw[path: ["metadata", "finalizers"]]?.arrayValue?.contains(.string(Self.finalizer)) == true
                {
                    let key = ProviderReconciler.key(of: raw)
                    let started = ContinuousClock.now
                    do {
                        moved = try await drive(raw) || moved
                    } catch let error as MigrationContext.NotReady {
                        logger.debug("migration waits", metadata: ["migration": "\(key)", "reason": "\(error)"])
                    } catch {
                        logger.warning(
                            "migration tick failed; retrying", metadata: ["migration": "\(key)", "error": "\(error)"])
                    }
                    let elapsed = (ContinuousClock.now - started).components
                    await metrics.increment("mtv_migration_ticks_total")
                    await metrics.increment(
                        "mtv_migration_tick_seconds_total",
                        by: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
                }
            }
            if moved { lastMove = Date() }
            let ceiling = Date().timeIntervalSince(lastMove) < 60 ? Self.waitingInterval : Self.idleInterval
            interval = moved ? Self.fastInterval : min(interval * 2, ceiling)
            guard await wake.wait(seconds: interval) else { return }
        }
    }

    /// One tick of one migration; returns whether a VM changed phase (or the migration started or ended).
    func drive(_ raw: JSONValue) async throws -> Bool {
        let migration: Migration = try raw.decode()
        guard let uid = migration.metadata.uid else { return false }
        try await writing.removeValue(forKey: uid)?.value
        let namespace = migration.metadata.namespace ?? ""
        let held = migration.metadata.finalizers?.contains(Self.finalizer) == true
        let deleted = migration.metadata.deletionTimestamp != nil
        var status = written[uid] ?? migration.status ?? Migration.Status()
        guard status.completed == nil, !deleted || held else {
            if held { try await release(migration) }
            return false
        }
        let before = status
        let plan: Plan
        do {
            plan = try await cached(
                Plan.self, name: migration.spec.plan.name ?? "",
                namespace: migration.spec.plan.namespace ?? namespace)
        } catch let error as KubernetesError where error.isNotFound {
            finish(
                &status, outcome: ConditionType.failed, message: "plan \(migration.spec.plan.name ?? "") does not exist"
            )
            try await persist(migration, status, before: before)
            try await release(migration)
            return true
        }
        if status.started == nil, deleted {
            try await release(migration)  // deleted before it started: nothing to stop
            return false
        }
        if status.started == nil {
            guard plan.status?.conditions?.isTrue(ConditionType.ready) == true else {
                let blocking = (plan.status?.conditions ?? []).filter { $0.category == Condition.Category.critical }
                finish(
                    &status, outcome: ConditionType.failed,
                    message: "plan \(plan.metadata.name ?? "") is not Ready: "
                        + blocking.map { "\($0.type): \($0.message ?? "")" }.joined(separator: "; "))
                try await persist(migration, status, before: before)
                return true
            }
            let context = try await MigrationContext.load(plan: plan, migrationUID: uid, runner: self)
            try await hold(migration, plan: plan)
            try await admit(&status, context: context)
            try await persist(migration, status, before: before)
            return true
        }
        let context = try await MigrationContext.load(plan: plan, migrationUID: uid, runner: self)
        var vms = status.vms ?? []

        // Cancellations, archiving and deleting the plan or the migration stop VMs that have not completed.
        let canceled = Set((migration.spec.cancel ?? []).flatMap { [$0.id, $0.name].compactMap { $0 } })
        let stopAll: String? =
            deleted
            ? "the migration was deleted"
            : plan.metadata.deletionTimestamp != nil
                ? "the plan was deleted"
                : plan.spec.archived == true ? "the plan was archived" : nil
        let migrator = VMMigrator(context: context)
        for index in vms.indices where vms[index].completed == nil {
            let vm = vms[index]
            if let reason = stopAll
                ?? (canceled.contains(vm.id ?? "") || canceled.contains(vm.name ?? "") ? "canceled" : nil)
            {
                vms[index] = await migrator.cancel(vm, reason: reason)
            }
        }

        var observations = await context.observe(vms)
        let admitted = Admission.select(
            vms.map { vm in
                Admission.Candidate(
                    phase: Phase(rawValue: vm.phase) ?? .started, disks: context.diskCount(of: vm),
                    snapshotsRequested: !context.snapshotIDs(of: vm).isEmpty, completed: vm.completed != nil)
            }, maxInFlight: maxInFlight, pendingSnapshotLimit: MigrationContext.pendingSnapshotLimit)
        // Snapshot requests are recorded before they are sent (one status write for all of this tick's), so a
        // crash after the call leaves a record that makes the next process look the snapshots up by tag.
        let now = Timestamp.now()
        var requested = false
        for index in admitted where CreateSnapshots.recordRequest(&vms[index], context, now: now) {
            observations.freshSnapshotRequests.insert(vms[index].id ?? "")
            requested = true
        }
        if requested {
            var marked = status
            marked.vms = vms
            try await persist(migration, marked, before: status)
        }
        let current = vms
        let seen = observations
        let parallel = maxInFlight
        let results = await withTaskGroup(of: (Int, VMStatus).self) { group in
            var running = 0
            var results: [(Int, VMStatus)] = []
            for index in admitted {
                if running >= parallel, let done = await group.next() {
                    results.append(done)
                    running -= 1
                }
                group.addTask { (index, await migrator.advance(current[index], observations: seen)) }
                running += 1
            }
            for await done in group { results.append(done) }
            return results
        }
        for (index, vm) in results { vms[index] = vm }
        status.vms = vms

        if vms.allSatisfy({ $0.completed != nil }) {
            await context.sweepSnapshots()
            let failed = vms.filter { $0.conditions?.isTrue(ConditionType.failed) == true }.count
            let canceledCount = vms.filter { $0.conditions?.isTrue(ConditionType.canceled) == true }.count
            let outcome =
                failed > 0
                ? ConditionType.failed : canceledCount == vms.count ? ConditionType.canceled : ConditionType.succeeded
            finish(
                &status, outcome: outcome,
                message: "\(vms.count - failed - canceledCount) of \(vms.count) VMs migrated"
                    + (failed > 0 ? ", \(failed) failed" : "")
                    + (canceledCount > 0 ? ", \(canceledCount) canceled" : ""))
        }
        if status.completed != nil {
            try await persist(migration, status, before: before)
            try await release(migration)
        } else {
            let final = status
            writing[uid] = Task { try await self.persist(migration, final, before: before) }
        }
        // Only a VM entering a phase calls for a quick next tick; progress alone waits for the usual interval.
        return (status.vms ?? []).map(\.phase) != (before.vms ?? []).map(\.phase)
    }

    /// The finalizer a running Migration and its Plan carry, so that deleting either first stops the VMs in flight
    /// and removes what they created in AWS and the cluster.
    static let finalizer = "forklift.konveyor.io/ec2-migration"

    /// Puts the finalizer on the migration and its plan before anything is created for them.
    private func hold(_ migration: Migration, plan: Plan) async throws {
        try await setFinalizer(Migration.self, migration.metadata, present: true)
        try await setFinalizer(Plan.self, plan.metadata, present: true)
    }

    /// Takes the finalizer off a migration that has ended and off its plan (either may be gone already).
    private func release(_ migration: Migration) async throws {
        let namespace = migration.metadata.namespace
        try await setFinalizer(
            Plan.self,
            ObjectMeta(
                name: migration.spec.plan.name,
                namespace: migration.spec.plan.namespace ?? namespace), present: false)
        try await setFinalizer(Migration.self, migration.metadata, present: false)
    }

    private func setFinalizer<T: KubernetesObject>(_ type: T.Type, _ metadata: ObjectMeta, present: Bool) async throws {
        do {
            _ = try await client.update(T.self, name: metadata.name ?? "", namespace: metadata.namespace) { object in
                var finalizers = (object.metadata.finalizers ?? []).filter { $0 != Self.finalizer }
                if present { finalizers.append(Self.finalizer) }
                object.metadata.finalizers = finalizers.isEmpty ? nil : finalizers
            }
        } catch let error as KubernetesError where error.isNotFound && !present {}
    }

    /// Starts a migration: target names, each VM's pipeline, and the Running condition.
    private func admit(_ status: inout Migration.Status, context: MigrationContext) async throws {
        let now = Timestamp.now()
        let names = try await context.targetNames()
        status.started = now
        status.vms = context.plan.spec.vms.map { vm in
            var entry = VMStatus(
                id: vm.id, name: vm.name, phase: Phase.started.rawValue,
                pipeline: context.itinerary(instance: vm.id).pipeline(diskMiB: context.diskMiB(ofInstance: vm.id ?? ""))
            )
            entry.started = now
            entry.newName = names[vm.id ?? ""]
            entry.targetName = vm.targetName
            entry.operatingSystem = context.records[vm.id ?? ""].flatMap(TargetBuilder.operatingSystem(of:))
            return entry
        }
        var conditions = status.conditions ?? []
        conditions.set(
            Condition(
                type: ConditionType.ready, category: Condition.Category.required, reason: "Started",
                message: "The migration has started."), now: now)
        conditions.set(
            Condition(
                type: ConditionType.running, category: Condition.Category.advisory, reason: "Started",
                message: "Migrating \(context.plan.spec.vms.count) VM(s)."), now: now)
        status.conditions = conditions
        logger.info(
            "migration started",
            metadata: [
                "plan": "\(context.plan.metadata.namespace ?? "")/\(context.plan.metadata.name ?? "")",
                "vms": "\(context.plan.spec.vms.count)",
            ])
    }

    /// Ends a migration with `outcome` (Succeeded, Failed or Canceled).
    private func finish(_ status: inout Migration.Status, outcome: String, message: String) {
        let now = Timestamp.now()
        var conditions = status.conditions ?? []
        conditions.remove(type: ConditionType.running)
        conditions.set(
            Condition(
                type: outcome,
                category: outcome == ConditionType.failed ? Condition.Category.critical : Condition.Category.advisory,
                reason: outcome, message: message), now: now)
        status.conditions = conditions
        status.completed = now
        logger.info("migration finished", metadata: ["outcome": "\(outcome)", "summary": "\(message)"])
    }

    private func persist(_ migration: Migration, _ status: Migration.Status, before: Migration.Status) async throws {
        guard status != before else { return }
        // The runner is the status's one writer, so a plain merge patch is safe; it must land before the next tick.
        let patch = JSONValue.object(["status": try JSONValue(encoding: status)])
        _ = try await client.retrying(for: 60) { _ in
            try await client.patch(
                .migrations, name: migration.metadata.name ?? "",
                namespace: migration.metadata.namespace, .merge(patch), subresource: "status")
        }
        if let uid = migration.metadata.uid { written[uid] = status }
        for vm in status.vms ?? [] where before.vms?.first(where: { $0.id == vm.id })?.phase != vm.phase {
            CrashHook.shared.reach("phase", key: "\(migration.metadata.uid ?? "")/\(vm.id ?? "")/\(vm.phase)")
        }
    }

    /// An object from the caches when they have it, else from the API server.
    func cached<T: KubernetesObject>(_ type: T.Type, name: String, namespace: String) async throws -> T {
        try await caches.object(T.self, name: name, namespace: namespace, client: client)
    }
}
