import AWSClient
import EC2Provider
import Foundation
import Inventory
import KubernetesClient
import Logging
import MTVAPI
import MigrationCore

/// Everything one tick of one migration needs: the plan and its maps, the provider's AWS clients, the
/// instances' inventory records, and the batched AWS observations of the VMs in flight.
struct MigrationContext: Sendable {
    let plan: Plan
    let migrationUID: String
    let entry: ProviderRegistry.Entry
    let source: any MigrationEC2
    let target: any MigrationEC2
    let networkMap: NetworkMap
    let storageMap: StorageMap
    /// Inventory records of the plan's instances, by instance ID.
    let records: [String: JSONValue]
    /// What every VM's itinerary has in common; hooks are per VM (`itinerary(of:)`).
    let itineraryOptions: Itinerary.Options
    let client: any MigrationCluster
    let store: InventoryStore
    let memory: MigrationMemory
    let logger: Logger
    /// Whether conversion pods request `/dev/kvm`.
    let conversionKVM: Bool
    /// The cluster's UID, tagged on every AWS resource a migration creates.
    let clusterUID: String
    let registry: ProviderRegistry

    /// AWS allows 100 pending snapshots per account; admission keeps below it.
    static let pendingSnapshotLimit = 100

    /// A migration cannot proceed until this is fixed (the tick is retried).
    struct NotReady: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the plan's providers, maps and inventory records.
    static func load(plan: Plan, migrationUID: String, runner: MigrationRunner) async throws -> MigrationContext {
        let namespace = plan.metadata.namespace ?? ""
        let sourceKey = "\(plan.spec.provider.source.namespace ?? namespace)/\(plan.spec.provider.source.name ?? "")"
        guard let entry = await runner.registry.entry(key: sourceKey) else {
            throw NotReady(description: "source provider \(sourceKey) is not ready")
        }
        guard try await runner.store.passes(provider: entry.uid) > 0 else {
            throw NotReady(description: "the inventory of \(sourceKey) has not been collected yet")
        }
        let networkMap = try await runner.cached(
            NetworkMap.self, name: plan.spec.map.network.name ?? "",
            namespace: plan.spec.map.network.namespace ?? namespace)
        let storageMap = try await runner.cached(
            StorageMap.self, name: plan.spec.map.storage.name ?? "",
            namespace: plan.spec.map.storage.namespace ?? namespace)
        var records: [String: JSONValue] = [:]
        for vm in plan.spec.vms {
            if let id = vm.id, let record = try await runner.store.get(provider: entry.uid, kind: .vm, id: id) {
                records[id] = record.object
            }
        }
        let clients = await runner.clients(for: entry)
        var options = Itinerary.Options(
            shareSnapshots: entry.accounts.source != entry.accounts.target,
            convertGuest: plan.spec.skipGuestConversion != true)
        options.copySnapshots = entry.config.isCrossRegion
        return MigrationContext(
            plan: plan, migrationUID: migrationUID, entry: entry, source: clients.source, target: clients.target,
            networkMap: networkMap, storageMap: storageMap, records: records, itineraryOptions: options,
            client: runner.client,
            store: runner.store, memory: runner.memory, logger: runner.logger,
            conversionKVM: runner.conversionKVM, clusterUID: runner.clusterUID, registry: runner.registry)
    }

    /// The phases of the VM of instance `id`: the plan's, with the VM's hooks.
    func itinerary(instance id: String?) -> Itinerary {
        var options = itineraryOptions
        options.preHook = hookReference(instance: id, at: .preHook) != nil
        options.postHook = hookReference(instance: id, at: .postHook) != nil
        return Itinerary(options)
    }

    /// The hook the plan gives the VM of instance `id` at `step`, if any.
    func hookReference(instance id: String?, at step: Hook.Step) -> Plan.HookReference? {
        plan.spec.vms.first { $0.id == id }.flatMap { PlanValidator.hook(of: $0, at: step) }
    }

    /// Whether the provider's credentials changed since this context's clients were made: the registry holds a
    /// newer entry, or the Secret changed and is not tested yet. An authentication error is then no reason to
    /// fail a VM: the next ticks use clients made from the new credentials.
    func credentialsChanged() async -> Bool {
        if await registry.entry(key: entry.key) != entry { return true }
        guard let secret = try? await client.get(.secrets, name: entry.secret.name, namespace: entry.secret.namespace)
        else { return false }
        return secret[path: ["metadata", "resourceVersion"]]?.stringValue != entry.secret.resourceVersion
    }

    /// The EBS disks of an instance, from the inventory.
    func disks(ofInstance id: String) -> [TargetBuilder.Disk] {
        records[id].map(TargetBuilder.disks(of:)) ?? []
    }

    func diskCount(of vm: VMStatus) -> Int { disks(ofInstance: vm.id ?? "").count }

    /// The total size of an instance's disks in MiB (DiskTransfer's progress total).
    func diskMiB(ofInstance id: String) -> Int64 {
        disks(ofInstance: id).reduce(Int64(0)) { $0 + Int64($1.sizeGiB) * 1024 }
    }

    /// Snapshot IDs recorded on a VM, by source volume.
    func snapshotIDs(of vm: VMStatus) -> [String: String] {
        tasks(vm, .createSnapshots).reduce(into: [:]) { result, task in
            result[task.name] = task.annotations?["snapshot"]
        }
    }

    /// Snapshot copies in the target region recorded on a VM, by source volume.
    func copyIDs(of vm: VMStatus) -> [String: String] {
        tasks(vm, .copySnapshots).reduce(into: [:]) { result, task in result[task.name] = task.annotations?["copy"] }
    }

    /// New volume IDs recorded on a VM, by source volume.
    func newVolumeIDs(of vm: VMStatus) -> [String: String] {
        tasks(vm, .diskTransfer).reduce(into: [:]) { result, task in result[task.name] = task.annotations?["volume"] }
    }

    private func tasks(_ vm: VMStatus, _ step: Step) -> [PipelineStep.Task] {
        vm.pipeline.first { $0.name == step.rawValue }?.tasks ?? []
    }

    /// A target name for every VM: unique in the target namespace, `targetName` honoured.
    func targetNames() async throws -> [String: String] {
        var taken = Set<String>()
        do {
            for vm in try await client.listAll(.virtualMachines, namespace: plan.spec.targetNamespace).items
            where vm[path: ["metadata", "labels", MigrationLabels.planUID]]?.stringValue != plan.metadata.uid {
                if let name = vm[path: ["metadata", "name"]]?.stringValue { taken.insert(name) }
            }
        } catch let error as KubernetesError where error.isNotFound {}
        return try TargetName.assign(
            plan.spec.vms.map { vm in
                (
                    id: vm.id ?? "", name: records[vm.id ?? ""]?["name"]?.stringValue ?? vm.name,
                    targetName: vm.targetName
                )
            },
            taken: taken)
    }

    /// A builder for one VM's Kubernetes objects.
    func builder(for vm: VMStatus) -> TargetBuilder? {
        guard let id = vm.id, let record = records[id] else { return nil }
        var builder = TargetBuilder(
            plan: plan, migrationUID: migrationUID, record: record, targetName: vm.newName ?? id,
            zone: entry.config.targetAZ,
            networkMap: networkMap, storageMap: storageMap, sourceWasRunning: vm.restorePowerState == "On")
        builder.requestKVM = conversionKVM
        return builder
    }

    /// The disks of a VM with the IDs recorded so far: the snapshot its volume is made from (the copy in the
    /// target region, when there is one) and the new volume.
    func disks(of vm: VMStatus) -> [TargetBuilder.Disk] {
        let snapshots = snapshotIDs(of: vm).merging(copyIDs(of: vm)) { _, copy in copy }
        let volumes = newVolumeIDs(of: vm)
        return disks(ofInstance: vm.id ?? "").map { disk in
            var disk = disk
            disk.snapshotID = snapshots[disk.sourceVolumeID]
            disk.newVolumeID = volumes[disk.sourceVolumeID]
            return disk
        }
    }

    /// Deletes any snapshot or copy still tagged with this migration (one an interrupted call made twice, say): one
    /// Describe per region per migration, when it ends.
    func sweepSnapshots() async {
        let filters = [EC2Filter("tag:\(MigrationLabels.migrationUID)", [migrationUID])]
        do {
            for snapshot in try await source.describeSnapshots(filters: filters) {
                try await deleteSnapshot(snapshot.snapshotID)
            }
            if itineraryOptions.copySnapshots {
                for copy in try await target.describeSnapshots(ids: [], filters: filters, ownerIDs: ["self"]) {
                    try await deleteCopy(copy.snapshotID)
                }
            }
        } catch {
            logger.warning(
                "cannot sweep the migration's snapshots; kubectl mtv cleanup finds them by tag",
                metadata: ["migration": "\(migrationUID)", "error": "\(error)"])
        }
    }

    /// One Describe call per resource kind for all VMs in flight (per ID only when the batch names a missing one).
    func observe(_ vms: [VMStatus]) async -> Observations {
        var watched = Watched()
        for vm in vms where vm.completed == nil {
            guard let phase = Phase(rawValue: vm.phase), let action = try? PhaseActions.action(for: phase) else {
                continue
            }
            let ids = action.watched(vm, self)
            watched.instances += ids.instances
            watched.snapshots += ids.snapshots
            watched.volumes += ids.volumes
            watched.copies += ids.copies
        }
        var observations = Observations()
        async let instances = describe(watched.instances) { try await source.describeInstances(ids: $0) }
        async let snapshots = describe(watched.snapshots) { try await source.describeSnapshots(ids: $0) }
        async let volumes = describe(watched.volumes) { try await target.describeVolumes(ids: $0) }
        async let copies = describe(watched.copies) { try await target.describeSnapshots(ids: $0) }
        let (foundInstances, missingInstances) = await instances
        let (foundSnapshots, missingSnapshots) = await snapshots
        let (foundVolumes, missingVolumes) = await volumes
        let (foundCopies, missingCopies) = await copies
        for instance in foundInstances { observations.instances[instance.instanceID] = instance }
        for snapshot in foundSnapshots { observations.snapshots[snapshot.snapshotID] = snapshot }
        for volume in foundVolumes { observations.volumes[volume.volumeID] = volume }
        for copy in foundCopies { observations.copies[copy.snapshotID] = copy }
        observations.missing = missingInstances.union(missingSnapshots).union(missingVolumes).union(missingCopies)
        return observations
    }

    /// Describes `ids` in one call; when AWS says one of them does not exist, describes them one by one to find it.
    /// Other errors leave the batch unobserved this tick (the VMs wait and the next tick asks again).
    private func describe<T: Sendable>(
        _ ids: [String], _ call: @Sendable ([String]) async throws -> [T]
    ) async
        -> ([T], Set<String>)
    {
        guard !ids.isEmpty else { return ([], []) }
        do {
            return (try await call(ids), [])
        } catch let error as AWSError where error.isNotFound {
            var found: [T] = []
            var missing = Set<String>()
            for id in ids {
                do { found += try await call([id]) } catch let error as AWSError where error.isNotFound {
                    missing.insert(id)
                } catch {}
            }
            return (found, missing)
        } catch {
            logger.warning("batched describe failed; trying again next tick", metadata: ["error": "\(error)"])
            return ([], [])
        }
    }
}

extension MigrationRunner {
    /// The provider's AWS clients, made again whenever anything in its resolved configuration changed (a rotated
    /// key, a new endpoint), so a migration never keeps using credentials the Secret no longer holds.
    func clients(for entry: ProviderRegistry.Entry) -> (source: EC2Client, target: EC2Client) {
        if let cached = clientCache[entry.key], cached.entry == entry { return cached.clients }
        let made = (
            source: entry.config.sourceClient(logger: logger), target: entry.config.targetClient(logger: logger)
        )
        clientCache[entry.key] = (entry, made)
        return made
    }
}
