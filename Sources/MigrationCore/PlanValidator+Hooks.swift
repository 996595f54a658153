import MTVAPI

/// Checks of the hooks a plan's VMs name: each exists, can run here, and sits at a step that exists.
extension PlanValidator {
    /// The `namespace/name` of a hook reference, the plan's namespace when it names none.
    public static func hookKey(_ reference: Plan.HookReference, planNamespace: String) -> String {
        "\(reference.hook?.namespace ?? planNamespace)/\(reference.hook?.name ?? "")"
    }

    /// The hook reference of a VM at `step`, if it has one.
    public static func hook(of vm: Plan.VM, at step: Hook.Step) -> Plan.HookReference? {
        vm.hooks?.first { $0.step == step.rawValue }
    }

    func checkHooks(_ vm: Plan.VM, _ found: inout Findings) {
        let namespace = plan.metadata.namespace ?? ""
        var steps = Set<String>()
        for reference in vm.hooks ?? [] {
            let key = Self.hookKey(reference, planNamespace: namespace)
            let vmItem = Self.item(id: vm.id, name: vm.name)
            guard let step = reference.step, Hook.Step(rawValue: step) != nil else {
                found.critical(
                    "HookStepNotValid", "NotValid", "hooks at a step other than PreHook or PostHook",
                    item: "\(vmItem): \(key) at '\(reference.step ?? "")'")
                continue
            }
            guard steps.insert(step).inserted else {
                found.critical(
                    "HookStepNotValid", "Duplicate", "VMs with more than one hook at one step",
                    item: "\(vmItem): \(step)")
                continue
            }
            guard reference.hook?.name?.isEmpty == false, let hook = hooks[key] else {
                found.critical("HookNotFound", "NotFound", "hooks that do not exist", item: key)
                continue
            }
            if let problem = Self.problem(of: hook) {
                found.critical("HookNotValid", "NotValid", "hooks that cannot run", item: "\(key): \(problem)")
            }
        }
    }

    /// Why a hook cannot run here (nil when it can).
    public static func problem(of hook: Hook) -> String? {
        if hook.spec.aap.map({ !$0.isNull }) == true {
            return "AAP job templates (spec.aap) are not run by this controller; give spec.image instead"
        }
        if hook.spec.image?.isEmpty != false { return "spec.image is empty" }
        if let deadline = hook.spec.deadline, deadline < 0 { return "spec.deadline is negative" }
        do { _ = try TargetBuilder.playbook(of: hook) } catch {
            return "spec.playbook is not base64-encoded UTF-8 text"
        }
        return nil
    }
}
