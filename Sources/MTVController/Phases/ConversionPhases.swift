import KubernetesClient
import MTVAPI
import MigrationCore

/// CreateGuestConversionPod: the virt-v2v pod that converts the guest in place on the new volumes.
struct CreateGuestConversionPod: PhaseAction {
    let phase = Phase.createGuestConversionPod

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        let builder = try context.requireBuilder(for: vm)
        try await context.createOwned(
            .pods, builder.conversionPod(context.disks(of: vm)),
            namespace: context.plan.spec.targetNamespace)
        return .next
    }
}

/// ConvertGuest: done when the conversion pod succeeds; a failed pod fails the VM with the tail of its log.
struct ConvertGuest: PhaseAction {
    let phase = Phase.convertGuest

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        let builder = try context.requireBuilder(for: vm)
        let namespace = context.plan.spec.targetNamespace
        let pod = try await context.client.get(.pods, name: builder.conversionPodName, namespace: namespace)
        switch pod[path: ["status", "phase"]]?.stringValue {
        case "Succeeded":
            vm.setProgress(.imageConversion, completed: 1, total: 1)
            return .next
        case "Failed":
            let tail = await context.logTail(
                pod: builder.conversionPodName, namespace: namespace, container: "virt-v2v")
            throw PermanentFailure(
                description: "the conversion pod \(builder.conversionPodName) failed"
                    + (tail.isEmpty ? "" : "; log tail: \(tail)"))
        default:
            return .wait
        }
    }
}
