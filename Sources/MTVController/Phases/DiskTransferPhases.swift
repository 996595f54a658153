import AWSClient
import KubernetesClient
import MTVAPI
import MigrationCore

/// CreateVolumes: one CreateVolume per disk in the target zone, with the source's type, size, IOPS and throughput,
/// encrypted with the provider's `target-kms-key` when it has one (else as the snapshot is), and a ClientToken that
/// makes a repeated call return the same volume.
struct CreateVolumes: PhaseAction {
    let phase = Phase.createVolumes

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        guard let zone = context.entry.config.targetAZ else {
            throw PermanentFailure(description: "the provider has no target-az setting; set it to a worker zone")
        }
        let existing = context.newVolumeIDs(of: vm)
        var made: [String: String] = existing
        for disk in context.disks(of: vm) where existing[disk.sourceVolumeID] == nil {
            guard let snapshotID = disk.snapshotID else {
                throw PermanentFailure(description: "no snapshot of \(disk.sourceVolumeID) was recorded")
            }
            let source: Volume? = try? await context.store.get(
                provider: context.entry.uid, kind: .volume,
                id: disk.sourceVolumeID)?.object.decode()
            let type = source?.volumeType ?? disk.volumeType
            let tags =
                context.tags(vm) + [
                    Tag(MigrationLabels.volume, disk.sourceVolumeID), Tag(MigrationLabels.snapshot, snapshotID),
                    Tag("Name", "\(vm.newName ?? vm.id ?? "")-disk-\(disk.index)"),
                ]
            let volume = try await context.target.createVolume(
                CreateVolumeInput(
                    availabilityZone: zone, snapshotID: snapshotID, size: disk.sizeGiB, volumeType: type,
                    iops: ["io1", "io2", "gp3"].contains(type) ? source?.iops : nil,
                    throughput: type == "gp3" ? source?.throughput : nil,
                    encrypted: context.entry.config.targetKMSKey != nil ? true : nil,
                    kmsKeyID: context.entry.config.targetKMSKey,
                    clientToken: "\(context.migrationUID)-\(disk.sourceVolumeID)",
                    tagSpecifications: [TagSpecification(resourceType: "volume", tags: tags)]))
            made[disk.sourceVolumeID] = volume.volumeID
            CrashHook.shared.reach("create", key: "\(context.migrationUID)/\(disk.sourceVolumeID)/volume")
        }
        let now = Timestamp.now()
        for disk in context.disks(of: vm) {
            vm.report(
                .diskTransfer, task: disk.sourceVolumeID, totalMiB: Int64(disk.sizeGiB) * 1024, percent: 0,
                now: now, annotations: ["volume": made[disk.sourceVolumeID] ?? ""])
        }
        return .next
    }
}

/// WaitForVolumes: done when every new volume is available (DiskTransfer at 90 %).
struct WaitForVolumes: PhaseAction {
    let phase = Phase.waitForVolumes

    func watched(_ vm: VMStatus, _ context: MigrationContext) -> Watched {
        Watched(volumes: Array(context.newVolumeIDs(of: vm).values))
    }

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        var done = 0
        let volumes = context.newVolumeIDs(of: vm)
        for (source, volumeID) in volumes {
            if seen.missing.contains(volumeID) {
                throw PermanentFailure(
                    description: "volume \(volumeID) (from \(source)) disappeared: AWS deletes a new volume it cannot "
                        + "make, for example when the account may not use the snapshot's KMS key")
            }
            guard let volume = seen.volumes[volumeID] else { continue }
            if volume.state == "error" {
                throw PermanentFailure(description: "volume \(volumeID) (from \(source)) entered the error state")
            }
            if volume.state == "available" {
                done += 1
                vm.report(
                    .diskTransfer, task: source, totalMiB: context.sizeMiB(vm, source), percent: 90,
                    now: Timestamp.now())
            }
        }
        return done == volumes.count ? .next : .wait
    }
}

/// CreatePVsAndPVCs: the target namespace, then a PVC and a pre-bound PV per disk (once: the DiskTransfer task
/// records the claim); done when every PVC is Bound (DiskTransfer at 100 %).
struct CreatePVsAndPVCs: PhaseAction {
    let phase = Phase.createPVsAndPVCs

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        let builder = try context.requireBuilder(for: vm)
        let namespace = context.plan.spec.targetNamespace
        let step = vm.pipeline.firstIndex { $0.name == Step.diskTransfer.rawValue }
        let recorded = step.flatMap { vm.pipeline[$0].tasks }?.filter { $0.annotations?["pvc"] != nil }.count ?? 0
        let disks = context.disks(of: vm)
        if recorded < disks.count {
            try await context.ensureTargetNamespace()
            for disk in disks {
                try await context.createOwned(.persistentVolumeClaims, builder.pvc(disk), namespace: namespace)
                try await context.createOwned(.persistentVolumes, builder.pv(disk), namespace: nil)
                vm.annotate(.diskTransfer, task: disk.sourceVolumeID, ["pvc": builder.pvcName(disk)])
            }
        }
        var bound = 0
        for disk in disks {
            let claim = try await context.client.get(
                .persistentVolumeClaims, name: builder.pvcName(disk),
                namespace: namespace)
            if claim[path: ["status", "phase"]]?.stringValue == "Bound" {
                bound += 1
                vm.report(
                    .diskTransfer, task: disk.sourceVolumeID, totalMiB: Int64(disk.sizeGiB) * 1024, percent: 100,
                    now: Timestamp.now())
            }
        }
        return bound == disks.count ? .next : .wait
    }
}
