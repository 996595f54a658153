import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv patch plan NAME`: changes settings of a plan that is not running.
struct PatchPlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Change a plan's settings.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The plan's name.")
    var name: String

    @Option(help: "A description of the plan.")
    var description: String?

    @Option(help: "The namespace the VMs are created in.")
    var targetNamespace: String?

    @Option(help: "on, off or auto.")
    var targetPowerState: String?

    @Option(help: "true or false.")
    var skipGuestConversion: Bool?

    @Option(help: "true or false (only with guest conversion skipped).")
    var useCompatibilityMode: Bool?

    @Option(help: "true or false.")
    var skipZoneNodeSelector: Bool?

    @Option(help: "A Go template for PVC names.")
    var pvcNameTemplate: String?

    @Option(name: [.customShort("L"), .long], help: "Labels for the VMs: k=v,…")
    var targetLabels: String?

    @Option(help: "A node selector for the VMs: k=v,…")
    var targetNodeSelector: String?

    func validate() throws {
        if let targetPowerState, !["on", "off", "auto"].contains(targetPowerState) {
            throw PlanMessages.powerState
        }
        let given: [Any?] = [
            description, targetNamespace, targetPowerState, skipGuestConversion, useCompatibilityMode,
            skipZoneNodeSelector, pvcNameTemplate, targetLabels, targetNodeSelector,
        ]
        guard given.contains(where: { $0 != nil }) else {
            throw CommonMessages.nothingToChange
        }
    }

    func run() async throws {
        let labels = try KeyValues.parse(targetLabels, flag: "--target-labels")
        let selector = try KeyValues.parse(targetNodeSelector, flag: "--target-node-selector")
        if let targetNamespace, !Names.isValidObjectName(targetNamespace) || targetNamespace.contains(".") {
            throw PlanMessages.badTargetNamespace(targetNamespace)
        }
        try await global.withClient { client, configuration in
            let plan = try await client.get(Plan.self, name: name, namespace: configuration.namespace)
            if PlanView.status(plan) == "Running" {
                throw PlanMessages.running(name)
            }
            let skip = skipGuestConversion ?? plan.spec.skipGuestConversion ?? false
            if useCompatibilityMode == true, !skip {
                throw PlanMessages.patchedCompatibilityModeNeedsSkip
            }
            _ = try await client.update(Plan.self, name: name, namespace: configuration.namespace) { plan in
                if let description { plan.spec.description = description }
                if let targetNamespace { plan.spec.targetNamespace = targetNamespace }
                if let targetPowerState { plan.spec.targetPowerState = targetPowerState }
                if let skipGuestConversion { plan.spec.skipGuestConversion = skipGuestConversion }
                if let useCompatibilityMode { plan.spec.useCompatibilityMode = useCompatibilityMode }
                if let skipZoneNodeSelector { plan.spec.skipZoneNodeSelector = skipZoneNodeSelector }
                if let pvcNameTemplate { plan.spec.pvcNameTemplate = pvcNameTemplate }
                if let labels { plan.spec.targetLabels = labels }
                if let selector { plan.spec.targetNodeSelector = selector }
            }
            print("plan/\(name) patched")
        }
    }
}
