import MTVAPI
import MigrationCore

/// Started: the instance must be in the provider's inventory.
struct Started: PhaseAction {
    let phase = Phase.started

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        let id = vm.id ?? ""
        guard context.records[id] != nil else {
            throw PermanentFailure(description: "instance \(id) is not in the provider's inventory (terminated?)")
        }
        return .next
    }
}

/// StorePowerState: remembers whether the source ran, so cleanup and the new VM can restore it.
struct StorePowerState: PhaseAction {
    let phase = Phase.storePowerState

    func watched(_ vm: VMStatus, _ context: MigrationContext) -> Watched { Watched(instances: [vm.id ?? ""]) }

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        guard let instance = try context.instance(vm.id ?? "", seen) else { return .wait }
        vm.restorePowerState = ["running", "pending"].contains(instance.state.name) ? "On" : "Off"
        return .next
    }
}

/// PowerOffSource: asks EC2 to stop the instance unless it is stopped or stopping already.
struct PowerOffSource: PhaseAction {
    let phase = Phase.powerOffSource

    func watched(_ vm: VMStatus, _ context: MigrationContext) -> Watched { Watched(instances: [vm.id ?? ""]) }

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        let id = vm.id ?? ""
        guard let instance = try context.instance(id, seen) else { return .wait }
        if !["stopped", "stopping"].contains(instance.state.name) {
            _ = try await context.source.stopInstances(ids: [id])
        }
        vm.setProgress(.prepareSource, completed: 1, total: 2)
        return .next
    }
}

/// WaitForPowerOff: done when EC2 reports the instance stopped.
struct WaitForPowerOff: PhaseAction {
    let phase = Phase.waitForPowerOff

    func watched(_ vm: VMStatus, _ context: MigrationContext) -> Watched { Watched(instances: [vm.id ?? ""]) }

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        guard let instance = try context.instance(vm.id ?? "", seen), instance.state.name == "stopped" else {
            return .wait
        }
        vm.setProgress(.prepareSource, completed: 2, total: 2)
        return .next
    }
}
