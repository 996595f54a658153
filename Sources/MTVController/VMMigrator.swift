import AWSClient
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// Moves one VM through its itinerary, one phase action at a time, and cleans up after failure or cancel.
/// Every action can be repeated after a crash without creating anything twice: snapshots are requested after
/// the request is persisted (and looked up by tag after a restart), volumes carry a ClientToken derived from
/// the migration and the source volume, and Kubernetes objects have deterministic names.
struct VMMigrator: Sendable {
    let context: MigrationContext

    /// What a phase action concluded.
    enum Outcome {
        /// Done; go to the next phase now.
        case next
        /// Waiting for AWS or the cluster; look again next tick.
        case wait
    }

    /// A failure that no retry can fix, with the message the VM's error shows.
    struct PermanentFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Consecutive transient failures of one phase before the VM fails.
    static let transientLimit = 8

    /// Runs phase actions until one has to wait, the VM completes, or it fails.
    func advance(_ vm: VMStatus, observations: MigrationContext.Observations) async -> VMStatus {
        var vm = vm
        for _ in 0..<Phase.allCases.count {
            guard vm.completed == nil, let phase = Phase(rawValue: vm.phase) else { break }
            let key = "\(context.migrationUID)/\(vm.id ?? "")/\(phase.rawValue)"
            do {
                switch try await run(phase, &vm, observations) {
                case .next:
                    await context.memory.clearFailures(key)
                    CrashHook.shared.reach("phase", key: "\(key) done")
                    enter(&vm, context.itinerary.next(after: phase))
                case .wait:
                    let since = await context.memory.firstSeen(key)
                    let stepStarted = vm.pipeline.first { $0.name == Itinerary.step(of: phase).rawValue }?.started
                        .flatMap { ISO8601DateFormatter().date(from: $0) }
                    if let overdue = Itinerary.overdue(phase, phaseElapsed: Date().timeIntervalSince(since),
                        stepElapsed: stepStarted.map { Date().timeIntervalSince($0) })
                    {
                        return await fail(vm, phase: phase, message: overdue)
                    }
                    return vm
                }
            } catch {
                if let error = error as? AWSError, error.isAuthentication, await context.credentialsChanged() {
                    context.logger.warning(
                        "AWS refused credentials the provider's Secret no longer holds; retrying with the new ones",
                        metadata: ["vm": "\(vm.id ?? "")", "phase": "\(phase.rawValue)", "code": "\(error.code)"])
                    return vm
                }
                if Self.isTransient(error), await context.memory.countFailure(key) < Self.transientLimit {
                    context.logger.warning("transient failure; retrying next tick", metadata: [
                        "vm": "\(vm.id ?? "")", "phase": "\(phase.rawValue)", "error": "\(error)",
                    ])
                    return vm
                }
                return await fail(vm, phase: phase, message: "\(error)")
            }
        }
        return vm
    }

    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as AWSError:
            return error.isRetryable || [AWSError.retryBudgetExhaustedCode, AWSError.deadlineExceededCode].contains(error.code)
        case let error as KubernetesError: return error.code == 0 || error.code == 409 || error.code == 429 || error.code >= 500
        case is MigrationContext.NotReady: return true
        default: return false
        }
    }

    // MARK: Phases

    private func run(_ phase: Phase, _ vm: inout VMStatus, _ seen: MigrationContext.Observations) async throws -> Outcome {
        let id = vm.id ?? ""
        switch phase {
        case .started:
            guard context.records[id] != nil else {
                throw PermanentFailure(description: "instance \(id) is not in the provider's inventory (terminated?)")
            }
            return .next

        case .storePowerState:
            guard let instance = try instance(id, seen) else { return .wait }
            vm.restorePowerState = ["running", "pending"].contains(instance.state.name) ? "On" : "Off"
            return .next

        case .powerOffSource:
            guard let instance = try instance(id, seen) else { return .wait }
            if !["stopped", "stopping"].contains(instance.state.name) {
                _ = try await context.source.stopInstances(ids: [id])
            }
            vm.setProgress(.prepareSource, completed: 1, total: 2)
            return .next

        case .waitForPowerOff:
            guard let instance = try instance(id, seen), instance.state.name == "stopped" else { return .wait }
            vm.setProgress(.prepareSource, completed: 2, total: 2)
            return .next

        case .createSnapshots:
            return try await createSnapshots(&vm, fresh: seen.freshSnapshotRequests.contains(id))

        case .waitForSnapshots:
            let snapshots = context.snapshotIDs(of: vm)
            let now = Timestamp.now()
            var done = 0
            for (volume, snapshotID) in snapshots {
                guard let snapshot = seen.snapshots[snapshotID] else {
                    if seen.missing.contains(snapshotID) { throw PermanentFailure(description: "snapshot \(snapshotID) of \(volume) disappeared") }
                    continue
                }
                if snapshot.state == "error" {
                    throw PermanentFailure(description: "snapshot \(snapshotID) of \(volume) failed: \(snapshot.stateMessage ?? "state error")")
                }
                vm.report(.createSnapshots, task: volume, totalMiB: sizeMiB(vm, volume),
                    percent: VMStatus.snapshotPercent(state: snapshot.state, progress: snapshot.progress), now: now)
                if snapshot.state == "completed" { done += 1 }
            }
            return done == snapshots.count ? .next : .wait

        case .shareSnapshots:
            for snapshotID in context.snapshotIDs(of: vm).values {
                try await context.source.modifySnapshotCreateVolumePermission(
                    snapshotID: snapshotID, operation: .add, accountIDs: [context.entry.accounts.target])
            }
            vm.setProgress(.shareSnapshots, completed: 1, total: 1)
            return .next

        case .createVolumes:
            return try await createVolumes(&vm)

        case .waitForVolumes:
            var done = 0
            let volumes = context.newVolumeIDs(of: vm)
            for (source, volumeID) in volumes {
                guard let volume = seen.volumes[volumeID] else {
                    if seen.missing.contains(volumeID) { throw PermanentFailure(description: "volume \(volumeID) (from \(source)) disappeared") }
                    continue
                }
                if volume.state == "error" { throw PermanentFailure(description: "volume \(volumeID) (from \(source)) entered the error state") }
                if volume.state == "available" {
                    done += 1
                    vm.report(.diskTransfer, task: source, totalMiB: sizeMiB(vm, source), percent: 90, now: Timestamp.now())
                }
            }
            return done == volumes.count ? .next : .wait

        case .createPVsAndPVCs:
            return try await createPVsAndPVCs(&vm)

        case .createGuestConversionPod:
            guard let builder = context.builder(for: vm) else { throw PermanentFailure(description: "no inventory record") }
            try await createOwned(.pods, builder.conversionPod(context.disks(of: vm)), namespace: context.plan.spec.targetNamespace)
            return .next

        case .convertGuest:
            guard let builder = context.builder(for: vm) else { throw PermanentFailure(description: "no inventory record") }
            let pod = try await context.client.get(.pods, name: builder.conversionPodName, namespace: context.plan.spec.targetNamespace)
            switch pod[path: ["status", "phase"]]?.stringValue {
            case "Succeeded":
                vm.setProgress(.imageConversion, completed: 1, total: 1)
                return .next
            case "Failed":
                let log = (try? await context.client.logs(pod: builder.conversionPodName,
                    namespace: context.plan.spec.targetNamespace, container: "virt-v2v", tailLines: 10)) ?? ""
                let tail = log.split(separator: "\n").suffix(5).joined(separator: " | ")
                throw PermanentFailure(description: "the conversion pod \(builder.conversionPodName) failed"
                    + (tail.isEmpty ? "" : "; log tail: \(tail)"))
            default:
                return .wait
            }

        case .createVM:
            guard let builder = context.builder(for: vm) else { throw PermanentFailure(description: "no inventory record") }
            let disks = context.disks(of: vm)
            let object: JSONValue
            do { object = try builder.virtualMachine(disks) } catch { throw PermanentFailure(description: error.description) }
            let made = try await createOwned(.virtualMachines, object, namespace: context.plan.spec.targetNamespace)
            let owner: JSONValue = [[
                "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": .string(builder.targetName),
                "uid": made[path: ["metadata", "uid"]] ?? .null, "blockOwnerDeletion": true,
            ]]
            for disk in disks {
                _ = try await context.client.patch(.persistentVolumeClaims, name: builder.pvcName(disk),
                    namespace: context.plan.spec.targetNamespace, .merge(["metadata": ["ownerReferences": owner]]))
            }
            vm.setProgress(.createVM, completed: 1, total: 1)
            return .next

        case .removeSnapshots:
            for snapshotID in context.snapshotIDs(of: vm).values { try await deleteSnapshot(snapshotID) }
            if context.plan.spec.deleteGuestConversionPod == true, let builder = context.builder(for: vm) {
                try await context.client.delete(.pods, name: builder.conversionPodName,
                    namespace: context.plan.spec.targetNamespace, ignoreNotFound: true)
            }
            vm.setProgress(.cleanup, completed: 1, total: 1)
            return .next

        case .completed:
            let now = Timestamp.now()
            vm.completed = now
            vm.mark(.cleanup, .completed, now: now)
            var conditions = vm.conditions ?? []
            conditions.set(Condition(type: "Succeeded", category: Condition.Category.advisory, reason: "Completed",
                message: "VirtualMachine \(context.plan.spec.targetNamespace)/\(vm.newName ?? "") created."), now: now)
            vm.conditions = conditions
            return .wait
        }
    }

    private func instance(_ id: String, _ seen: MigrationContext.Observations) throws -> Instance? {
        if seen.missing.contains(id) { throw PermanentFailure(description: "instance \(id) no longer exists in AWS") }
        guard let instance = seen.instances[id] else { return nil }
        if ["terminated", "shutting-down"].contains(instance.state.name) {
            throw PermanentFailure(description: "instance \(id) is \(instance.state.name)")
        }
        return instance
    }

    /// Tags that tie an AWS resource to this migration and its source VM (slide 16's keys plus the scope).
    private func tags(_ vm: VMStatus) -> [Tag] {
        [
            Tag(MigrationLabels.vmID, vm.id ?? ""), Tag(MigrationLabels.vmName, vm.name ?? vm.id ?? ""),
            Tag(MigrationLabels.migrationUID, context.migrationUID), Tag(MigrationLabels.planUID, context.plan.metadata.uid ?? ""),
            Tag(MigrationLabels.clusterUID, context.clusterUID),
        ]
    }

    /// One CreateSnapshots per instance (crash-consistent). The runner records the request before this runs
    /// (`fresh`); a request on record from an earlier tick (a restart, or a status write that failed after the
    /// call) means its snapshots are looked up by tag instead of being made twice.
    private func createSnapshots(_ vm: inout VMStatus, fresh: Bool) async throws -> Outcome {
        guard context.snapshotIDs(of: vm).isEmpty else { return .next }
        let id = vm.id ?? ""
        let key = "\(context.migrationUID)/\(id)/snapshots"
        guard let step = vm.pipeline.firstIndex(where: { $0.name == Step.createSnapshots.rawValue }),
            vm.pipeline[step].annotations?["requested"] != nil
        else { return .wait }  // the next tick records the request first
        var snapshots: [(volume: String, snapshot: String)] = []
        if !fresh {
            snapshots = try await context.source.describeSnapshots(filters: [
                EC2Filter("tag:\(MigrationLabels.migrationUID)", [context.migrationUID]), EC2Filter("tag:\(MigrationLabels.vmID)", [id]),
            ]).map { ($0.volumeID ?? "", $0.snapshotID) }
        }
        if snapshots.isEmpty {
            let made = try await context.source.createSnapshots(
                instanceID: id, description: "Forklift migration snapshot for VM \(vm.name ?? id) (\(id))",
                tagSpecifications: [TagSpecification(resourceType: "snapshot", tags: tags(vm))])
            snapshots = made.map { ($0.volumeID ?? "", $0.snapshotID) }
            CrashHook.shared.reach("create", key: key)
        }
        let wanted = Set(context.disks(ofInstance: id).map(\.sourceVolumeID))
        guard !snapshots.isEmpty else { throw PermanentFailure(description: "CreateSnapshots returned no snapshot for \(id)") }
        let now = Timestamp.now()
        for (volume, snapshot) in snapshots where wanted.isEmpty || wanted.contains(volume) {
            vm.report(.createSnapshots, task: volume, totalMiB: sizeMiB(vm, volume), percent: 0, now: now,
                annotations: ["snapshot": snapshot])
        }
        return .next
    }

    /// One CreateVolume per disk in the target zone, with the source's type, size, IOPS and throughput, and a
    /// ClientToken that makes a repeated call return the same volume.
    private func createVolumes(_ vm: inout VMStatus) async throws -> Outcome {
        guard let zone = context.entry.config.targetAZ else {
            throw PermanentFailure(description: "the provider has no target-az setting; set it to a worker zone")
        }
        let existing = context.newVolumeIDs(of: vm)
        var made: [String: String] = existing
        for disk in context.disks(of: vm) where existing[disk.sourceVolumeID] == nil {
            guard let snapshotID = disk.snapshotID else {
                throw PermanentFailure(description: "no snapshot of \(disk.sourceVolumeID) was recorded")
            }
            let source: Volume? = try? context.store.get(provider: context.entry.uid, kind: .volume, id: disk.sourceVolumeID)?.object.decode()
            let type = source?.volumeType ?? disk.volumeType
            var tags = tags(vm)
            tags += [
                Tag(MigrationLabels.volume, disk.sourceVolumeID), Tag(MigrationLabels.snapshot, snapshotID),
                Tag("Name", "\(vm.newName ?? vm.id ?? "")-disk-\(disk.index)"),
            ]
            let volume = try await context.target.createVolume(CreateVolumeInput(
                availabilityZone: zone, snapshotID: snapshotID, size: disk.sizeGiB, volumeType: type,
                iops: ["io1", "io2", "gp3"].contains(type) ? source?.iops : nil,
                throughput: type == "gp3" ? source?.throughput : nil,
                clientToken: "\(context.migrationUID)-\(disk.sourceVolumeID)",
                tagSpecifications: [TagSpecification(resourceType: "volume", tags: tags)]))
            made[disk.sourceVolumeID] = volume.volumeID
            CrashHook.shared.reach("create", key: "\(context.migrationUID)/\(disk.sourceVolumeID)/volume")
        }
        let now = Timestamp.now()
        for disk in context.disks(of: vm) {
            vm.report(.diskTransfer, task: disk.sourceVolumeID, totalMiB: Int64(disk.sizeGiB) * 1024, percent: 0, now: now,
                annotations: ["volume": made[disk.sourceVolumeID] ?? ""])
        }
        return .next
    }

    /// The target namespace, then a PVC and a pre-bound PV per disk (once: the DiskTransfer task records the
    /// claim); done when every PVC is Bound.
    private func createPVsAndPVCs(_ vm: inout VMStatus) async throws -> Outcome {
        guard let builder = context.builder(for: vm) else { throw PermanentFailure(description: "no inventory record") }
        let namespace = context.plan.spec.targetNamespace
        let step = vm.pipeline.firstIndex { $0.name == Step.diskTransfer.rawValue }
        let recorded = step.flatMap { vm.pipeline[$0].tasks }?.filter { $0.annotations?["pvc"] != nil }.count ?? 0
        let disks = context.disks(of: vm)
        if recorded < disks.count {
            do {
                _ = try await context.client.create(Namespace(name: namespace))
            } catch let error as KubernetesError where error.isAlreadyExists {
            } catch let error as KubernetesError where error.code == 403 || error.code == 422 {
                throw PermanentFailure(description: "cannot create the target namespace \(namespace): \(error.message)")
            }
            for disk in disks {
                try await createOwned(.persistentVolumeClaims, builder.pvc(disk), namespace: namespace)
                try await createOwned(.persistentVolumes, builder.pv(disk), namespace: nil)
                vm.annotate(.diskTransfer, task: disk.sourceVolumeID, ["pvc": builder.pvcName(disk)])
            }
        }
        var bound = 0
        for disk in disks {
            let claim = try await context.client.get(.persistentVolumeClaims, name: builder.pvcName(disk), namespace: namespace)
            if claim[path: ["status", "phase"]]?.stringValue == "Bound" {
                bound += 1
                vm.report(.diskTransfer, task: disk.sourceVolumeID, totalMiB: Int64(disk.sizeGiB) * 1024, percent: 100,
                    now: Timestamp.now())
            }
        }
        return bound == disks.count ? .next : .wait
    }

    /// Creates an object this migration owns; returns the existing one when an earlier attempt made it, and
    /// fails when the name belongs to something else.
    @discardableResult
    private func createOwned(_ resource: ResourceType, _ object: JSONValue, namespace: String?) async throws -> JSONValue {
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        do {
            return try await context.client.create(resource, object, namespace: namespace)
        } catch let error as KubernetesError where error.isAlreadyExists {
            let existing = try await context.client.get(resource, name: name, namespace: namespace)
            guard existing[path: ["metadata", "labels", MigrationLabels.migrationUID]]?.stringValue == context.migrationUID else {
                throw PermanentFailure(description: "\(resource.kind) \(namespace.map { "\($0)/" } ?? "")\(name) already exists "
                    + "and was not made by this migration; delete or rename it and start the plan again")
            }
            return existing
        } catch let error as KubernetesError where [400, 403, 422].contains(error.code) {
            throw PermanentFailure(description: "cannot create \(resource.kind) \(name): \(error.message)")
        }
    }

    func deleteSnapshot(_ id: String) async throws {
        do { try await context.source.deleteSnapshot(id: id) } catch let error as AWSError where error.isNotFound {}
    }

    // MARK: Status bookkeeping

    /// Moves the VM to `phase`, completing the previous step and starting the phase's step.
    private func enter(_ vm: inout VMStatus, _ phase: Phase) {
        let now = Timestamp.now()
        let old = Itinerary.step(of: Phase(rawValue: vm.phase) ?? .started)
        let new = Itinerary.step(of: phase)
        if old != new {
            vm.mark(old, .completed, now: now)
            if phase != .completed { vm.mark(new, .running, now: now) }
        } else if vm.pipeline.first(where: { $0.name == new.rawValue })?.started == nil {
            vm.mark(new, .running, now: now)
        }
        vm.phase = phase.rawValue
    }

    /// A source volume's size in MiB, from the plan's disks.
    private func sizeMiB(_ vm: VMStatus, _ volume: String) -> Int64 {
        Int64(context.disks(ofInstance: vm.id ?? "").first { $0.sourceVolumeID == volume }?.sizeGiB ?? 0) * 1024
    }
}
