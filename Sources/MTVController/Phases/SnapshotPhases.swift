import AWSClient
import MTVAPI
import MigrationCore

/// CreateSnapshots: one CreateSnapshots call per instance, a crash-consistent set. The runner records the request
/// before this runs (`seen.freshSnapshotRequests`); a request on record from an earlier tick (a restart, or a status
/// write that failed after the call) means its snapshots are looked up by tag instead of being made twice.
struct CreateSnapshots: PhaseAction {
    let phase = Phase.createSnapshots

    /// Records that the VM's snapshots are about to be requested, when it is its turn and it has not been recorded;
    /// returns whether it recorded one (the runner writes the status before the tick sends the request).
    static func recordRequest(_ vm: inout VMStatus, _ context: MigrationContext, now: String) -> Bool {
        guard vm.phase == Phase.createSnapshots.rawValue, context.snapshotIDs(of: vm).isEmpty,
            let step = vm.pipeline.firstIndex(where: { $0.name == Step.createSnapshots.rawValue }),
            vm.pipeline[step].annotations?["requested"] == nil
        else { return false }
        vm.pipeline[step].annotations = (vm.pipeline[step].annotations ?? [:]).merging(["requested": now]) { _, new in
            new
        }
        return true
    }

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        guard context.snapshotIDs(of: vm).isEmpty else { return .next }
        let id = vm.id ?? ""
        guard let step = vm.pipeline.firstIndex(where: { $0.name == Step.createSnapshots.rawValue }),
            vm.pipeline[step].annotations?["requested"] != nil
        else { return .wait }  // the next tick records the request first
        var snapshots: [(volume: String, snapshot: String)] = []
        if !seen.freshSnapshotRequests.contains(id) {
            snapshots = try await context.source.describeSnapshots(filters: context.snapshotFilters(instance: id))
                .map { ($0.volumeID ?? "", $0.snapshotID) }
        }
        if snapshots.isEmpty {
            let made = try await context.source.createSnapshots(
                instanceID: id, description: "Forklift migration snapshot for VM \(vm.name ?? id) (\(id))",
                tagSpecifications: [TagSpecification(resourceType: "snapshot", tags: context.tags(vm))])
            snapshots = made.map { ($0.volumeID ?? "", $0.snapshotID) }
            CrashHook.shared.reach("create", key: "\(context.migrationUID)/\(id)/snapshots")
        }
        guard !snapshots.isEmpty else {
            throw PermanentFailure(description: "CreateSnapshots returned no snapshot for \(id)")
        }
        let wanted = Set(context.disks(ofInstance: id).map(\.sourceVolumeID))
        let now = Timestamp.now()
        for (volume, snapshot) in snapshots where wanted.isEmpty || wanted.contains(volume) {
            vm.report(
                .createSnapshots, task: volume, totalMiB: context.sizeMiB(vm, volume), percent: 0, now: now,
                annotations: ["snapshot": snapshot])
        }
        return .next
    }
}

/// WaitForSnapshots: follows AWS's progress of each snapshot; done when all are completed.
struct WaitForSnapshots: PhaseAction {
    let phase = Phase.waitForSnapshots

    func watched(_ vm: VMStatus, _ context: MigrationContext) -> Watched {
        Watched(snapshots: Array(context.snapshotIDs(of: vm).values))
    }

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        try context.follow(context.snapshotIDs(of: vm), as: seen.snapshots, on: .createSnapshots, &vm, seen) {
            "snapshot \($1) of \($0)"
        } ? .next : .wait
    }
}

/// ShareSnapshots: lets the target account create volumes from the snapshots (only when the accounts differ).
struct ShareSnapshots: PhaseAction {
    let phase = Phase.shareSnapshots

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        for snapshotID in context.snapshotIDs(of: vm).values {
            try await context.source.modifySnapshotCreateVolumePermission(
                snapshotID: snapshotID, operation: .add, accountIDs: [context.entry.accounts.target])
        }
        vm.setProgress(.shareSnapshots, completed: 1, total: 1)
        return .next
    }
}

/// CopySnapshots: copies each snapshot into the target region (with the target credentials, after sharing when the
/// accounts differ), encrypted with the provider's `target-kms-key` when it has one. Each copy carries the
/// migration's tags and its source snapshot's ID, so a copy requested before a crash is found instead of made twice.
struct CopySnapshots: PhaseAction {
    let phase = Phase.copySnapshots

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        let copies = context.copyIDs(of: vm)
        let wanted = context.snapshotIDs(of: vm).filter { copies[$0.key] == nil }.sorted { $0.key < $1.key }
        guard !wanted.isEmpty else { return .next }
        let id = vm.id ?? ""
        let earlier = try await context.target.describeSnapshots(
            ids: [], filters: context.snapshotFilters(instance: id), ownerIDs: ["self"]
        ).reduce(into: [String: String]()) { found, copy in
            if let source = copy.tags.first(where: { $0.key == MigrationLabels.snapshot })?.value {
                found[source] = copy.snapshotID
            }
        }
        let config = context.entry.config
        for (volume, snapshotID) in wanted {
            let copy: String
            if let found = earlier[snapshotID] {
                copy = found
            } else {
                copy = try await context.target.copySnapshot(
                    sourceRegion: config.region.name, sourceSnapshotID: snapshotID,
                    description: "Forklift migration copy of \(snapshotID) for VM \(vm.name ?? id) (\(id))",
                    encrypted: config.targetKMSKey != nil ? true : nil, kmsKeyID: config.targetKMSKey,
                    tags: context.tags(vm) + [Tag(MigrationLabels.snapshot, snapshotID)])
                CrashHook.shared.reach("create", key: "\(context.migrationUID)/\(volume)/copy")
            }
            vm.report(
                .copySnapshots, task: volume, totalMiB: context.sizeMiB(vm, volume), percent: 0, now: Timestamp.now(),
                annotations: ["copy": copy, "snapshot": snapshotID])
        }
        return .next
    }
}

/// WaitForSnapshotCopies: follows the copies' progress in the target region; done when all are completed.
struct WaitForSnapshotCopies: PhaseAction {
    let phase = Phase.waitForSnapshotCopies

    func watched(_ vm: VMStatus, _ context: MigrationContext) -> Watched {
        Watched(copies: Array(context.copyIDs(of: vm).values))
    }

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        let region = context.entry.config.targetRegion.name
        return try context.follow(context.copyIDs(of: vm), as: seen.copies, on: .copySnapshots, &vm, seen) {
            "snapshot copy \($1) of \($0) in \(region)"
        } ? .next : .wait
    }
}
