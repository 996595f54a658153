import AWSClient
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// Failure, cancel and cleanup: what a VM's migration leaves when it stops before completing.
extension VMMigrator {
    /// Fails the VM with `message` (the AWS code and call are in it), then removes what it made and restores
    /// the source's power; after a failed PostHook the new VirtualMachine stays, and the source stays stopped.
    func fail(_ vm: VMStatus, phase: Phase, message: String) async -> VMStatus {
        var vm = vm
        let problems = await cleanup(vm, keepTarget: phase == .postHook)
        let now = Timestamp.now()
        vm.error = VMError(phase: phase.rawValue, reasons: [message] + problems)
        vm.markFailed(phase, message: message)
        var conditions = vm.conditions ?? []
        conditions.set(
            Condition(
                type: ConditionType.failed, category: Condition.Category.critical, reason: "Error", message: message),
            now: now)
        vm.conditions = conditions
        vm.phase = Phase.completed.rawValue
        vm.completed = now
        context.logger.error(
            "VM migration failed",
            metadata: ["vm": "\(vm.id ?? "")", "phase": "\(phase.rawValue)", "error": "\(message)"])
        return vm
    }

    /// Stops the VM's migration, removes what it made and restores the source's power.
    func cancel(_ vm: VMStatus, reason: String) async -> VMStatus {
        var vm = vm
        let problems = await cleanup(vm)
        let now = Timestamp.now()
        var conditions = vm.conditions ?? []
        conditions.set(
            Condition(
                type: ConditionType.canceled, category: Condition.Category.advisory, reason: "UserRequested",
                message: "Migration \(reason)"
                    + (problems.isEmpty ? "." : "; cleanup: " + problems.joined(separator: "; "))), now: now)
        vm.conditions = conditions
        vm.phase = Phase.completed.rawValue
        vm.completed = now
        return vm
    }

    /// Removes the VM's hook Jobs, its objects and volumes (unless the plan or `keepTarget` keeps them), its
    /// snapshots, and restarts the source if it was running (unless the target is kept: the migrated VM is then
    /// the one in service). Best effort: returns what could not be done.
    func cleanup(_ vm: VMStatus, keepTarget: Bool = false) async -> [String] {
        var problems = await context.removeHookObjects(of: vm)
        let id = vm.id ?? ""
        let namespace = context.plan.spec.targetNamespace
        let selector = ListOptions(
            labelSelector: "\(MigrationLabels.migrationUID)=\(context.migrationUID),\(MigrationLabels.vmID)=\(id)")
        let settings = context.plan.spec.vms.first { $0.id == id }
        let deleteTargets =
            !keepTarget && (settings?.deleteVmOnFailMigration ?? context.plan.spec.deleteVmOnFailMigration) != false
        if deleteTargets {
            for (resource, scoped) in [
                (ResourceType.virtualMachines, true), (.pods, true), (.persistentVolumeClaims, true),
                (.persistentVolumes, false),
            ] {
                do {
                    for item in try await context.client.listAll(
                        resource, namespace: scoped ? namespace : nil, options: selector
                    ).items {
                        try await context.client.delete(
                            resource, name: item[path: ["metadata", "name"]]?.stringValue ?? "",
                            namespace: scoped ? namespace : nil, ignoreNotFound: true)
                    }
                } catch let error as KubernetesError where error.isNotFound {
                } catch {
                    problems.append("cannot delete \(resource.kind) objects: \(error)")
                }
            }
            for volumeID in context.newVolumeIDs(of: vm).values where !volumeID.isEmpty {
                do { try await context.target.deleteVolume(id: volumeID) } catch let error as AWSError
                    where error.isNotFound
                {
                } catch { problems.append("volume \(volumeID) not deleted: \(error)") }
            }
        }
        var copies = Array(context.copyIDs(of: vm).values)
        if context.itineraryOptions.copySnapshots {
            // a copy requested before a crash is known only by its tags
            copies +=
                (try? await context.target.describeSnapshots(
                    ids: [], filters: context.snapshotFilters(instance: id), ownerIDs: ["self"]
                ).map(\.snapshotID)) ?? []
        }
        for copyID in Set(copies).sorted() {
            do { try await context.deleteCopy(copyID) } catch {
                problems.append("snapshot copy \(copyID) not deleted: \(error)")
            }
        }
        var snapshots = Array(context.snapshotIDs(of: vm).values)
        let requested = vm.pipeline.first { $0.name == Step.createSnapshots.rawValue }?.annotations?["requested"] != nil
        if snapshots.isEmpty, requested {
            snapshots =
                (try? await context.source.describeSnapshots(filters: context.snapshotFilters(instance: id))
                    .map(\.snapshotID)) ?? []
        }
        for snapshotID in snapshots {
            do { try await context.deleteSnapshot(snapshotID) } catch {
                problems.append("snapshot \(snapshotID) not deleted: \(error)")
            }
        }
        if vm.restorePowerState == "On", !keepTarget {
            do { _ = try await context.source.startInstances(ids: [id]) } catch {
                problems.append("the source instance was not restarted: \(error)")
            }
        }
        return problems
    }
}
