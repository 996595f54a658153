import KubernetesClient
import MTVAPI
import MigrationCore

/// CreateVM: the KubeVirt VirtualMachine, which then owns the PVCs (deleting the VM deletes its disks).
struct CreateVM: PhaseAction {
    let phase = Phase.createVM

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        let builder = try context.requireBuilder(for: vm)
        let namespace = context.plan.spec.targetNamespace
        let disks = context.disks(of: vm)
        let object: JSONValue
        do { object = try builder.virtualMachine(disks) } catch {
            throw PermanentFailure(description: error.description)
        }
        let made = try await context.createOwned(.virtualMachines, object, namespace: namespace)
        let owner: JSONValue = [
            [
                "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": .string(builder.targetName),
                "uid": made[path: ["metadata", "uid"]] ?? .null, "blockOwnerDeletion": true,
            ]
        ]
        for disk in disks {
            _ = try await context.client.patch(
                .persistentVolumeClaims, name: builder.pvcName(disk),
                namespace: namespace, .merge(["metadata": ["ownerReferences": owner]]))
        }
        vm.setProgress(.createVM, completed: 1, total: 1)
        return .next
    }
}

/// RemoveSnapshots: deletes the migration's snapshots and their copies in the target region (and the conversion pod
/// when the plan asks).
struct RemoveSnapshots: PhaseAction {
    let phase = Phase.removeSnapshots

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        for copyID in context.copyIDs(of: vm).values { try await context.deleteCopy(copyID) }
        for snapshotID in context.snapshotIDs(of: vm).values { try await context.deleteSnapshot(snapshotID) }
        if context.plan.spec.deleteGuestConversionPod == true, let builder = context.builder(for: vm) {
            try await context.client.delete(
                .pods, name: builder.conversionPodName,
                namespace: context.plan.spec.targetNamespace, ignoreNotFound: true)
        }
        vm.setProgress(.cleanup, completed: 1, total: 1)
        return .next
    }
}

/// Completed: the VM's migration succeeded; its hooks' Jobs and ConfigMaps go, and it stays here.
struct Completed: PhaseAction {
    let phase = Phase.completed

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        for problem in await context.removeHookObjects(of: vm) {
            context.logger.warning("hook cleanup", metadata: ["vm": "\(vm.id ?? "")", "problem": "\(problem)"])
        }
        let now = Timestamp.now()
        vm.completed = now
        vm.mark(.cleanup, .completed, now: now)
        var conditions = vm.conditions ?? []
        conditions.set(
            Condition(
                type: ConditionType.succeeded, category: Condition.Category.advisory, reason: "Completed",
                message: "VirtualMachine \(context.plan.spec.targetNamespace)/\(vm.newName ?? "") created."), now: now)
        vm.conditions = conditions
        return .wait
    }
}
