import KubernetesClient
import MTVAPI
import MigrationCore

/// PreHook and PostHook: the VM's hook for the step runs as a Job in the target namespace, with a ConfigMap of the
/// plan, the VM's inventory record and the playbook. A completed Job moves on; a failed one fails the VM with the
/// Job's reason and the tail of its pod's log. A PostHook waits until the new VM runs when it is to run.
struct RunHook: PhaseAction {
    let step: Hook.Step
    var phase: Phase { step == .preHook ? .preHook : .postHook }

    func run(_ vm: inout VMStatus, _ context: MigrationContext, _ seen: Observations) async throws -> PhaseOutcome {
        guard let reference = context.hookReference(instance: vm.id, at: step) else { return .next }
        let builder = try context.requireBuilder(for: vm)
        let namespace = context.plan.spec.targetNamespace
        let name = builder.hookJobName(step)
        let job: JSONValue
        do {
            job = try await context.client.get(.jobs, name: name, namespace: namespace)
        } catch let error as KubernetesError where error.isNotFound {
            if step == .postHook, try await !context.targetRunsAsWanted(builder) { return .wait }
            let hook = try await context.hook(reference)
            try await context.ensureTargetNamespace()
            let configMap: JSONValue
            do { configMap = try builder.hookConfigMap(step, hook: hook) } catch let error as TargetBuilder.BuildError {
                throw PermanentFailure(description: error.description)
            }
            try await context.createOwned(.configMaps, configMap, namespace: namespace)
            try await context.createOwned(.jobs, builder.hookJob(step, hook: hook), namespace: namespace)
            return .wait
        }
        let conditions = job[path: ["status", "conditions"]]?.arrayValue ?? []
        func holds(_ type: String) -> JSONValue? {
            conditions.first { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" }
        }
        if holds("Complete") != nil {
            vm.setProgress(Itinerary.step(of: phase), completed: 1, total: 1)
            return .next
        }
        guard let failed = holds("Failed") else { return .wait }
        let why = [failed["reason"]?.stringValue, failed["message"]?.stringValue].compactMap { $0 }
            .joined(separator: ": ")
        let tail = await context.logTail(ofJob: name, namespace: namespace, container: "hook")
        let key = PlanValidator.hookKey(reference, planNamespace: context.plan.metadata.namespace ?? "")
        throw PermanentFailure(
            description: "the \(step.rawValue) hook \(key) failed" + (why.isEmpty ? "" : " (\(why))")
                + (tail.isEmpty ? "" : "; log tail: \(tail)"))
    }
}

extension MigrationContext {
    /// The hook a reference names; one that is gone fails the VM.
    func hook(_ reference: Plan.HookReference) async throws -> Hook {
        let key = PlanValidator.hookKey(reference, planNamespace: plan.metadata.namespace ?? "")
        let object: JSONValue
        do {
            object = try await client.get(
                .hooks, name: reference.hook?.name ?? "",
                namespace: reference.hook?.namespace ?? plan.metadata.namespace)
        } catch let error as KubernetesError where error.isNotFound {
            throw PermanentFailure(description: "hook \(key) does not exist")
        }
        let hook: Hook = try object.decode()
        if let problem = PlanValidator.problem(of: hook) {
            throw PermanentFailure(description: "hook \(key): \(problem)")
        }
        return hook
    }

    /// Whether the new VirtualMachine is as the plan wants it before a PostHook: running when it is to run
    /// (its `status.ready`), at once when it stays stopped.
    func targetRunsAsWanted(_ builder: TargetBuilder) async throws -> Bool {
        let object = try await client.get(
            .virtualMachines, name: builder.targetName, namespace: plan.spec.targetNamespace)
        let strategy = object[path: ["spec", "runStrategy"]]?.stringValue ?? "Halted"
        guard ["Always", "RerunOnFailure", "Once"].contains(strategy) else { return true }
        return object[path: ["status", "ready"]]?.boolValue == true
    }

    /// The last lines of a pod's log, joined on one line (empty when it cannot be read).
    func logTail(pod: String, namespace: String, container: String) async -> String {
        let log = (try? await client.logs(pod: pod, namespace: namespace, container: container, tailLines: 10)) ?? ""
        return log.split(separator: "\n").suffix(5).joined(separator: " | ")
    }

    /// The last lines of the log of a Job's newest pod (empty when it has none).
    func logTail(ofJob job: String, namespace: String, container: String) async -> String {
        let pods =
            (try? await client.listAll(
                .pods, namespace: namespace, options: ListOptions(labelSelector: "job-name=\(job)")
            ).items) ?? []
        let newest = pods.max {
            ($0[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "")
                < ($1[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "")
        }
        guard let pod = newest?[path: ["metadata", "name"]]?.stringValue else { return "" }
        return await logTail(pod: pod, namespace: namespace, container: container)
    }

    /// Deletes the Jobs (with their pods) and ConfigMaps of a VM's hooks; returns what could not be deleted. A VM
    /// without hooks costs no request.
    func removeHookObjects(of vm: VMStatus) async -> [String] {
        guard let builder = builder(for: vm) else { return [] }
        var problems: [String] = []
        for step in Hook.Step.allCases where hookReference(instance: vm.id, at: step) != nil {
            let name = builder.hookJobName(step)
            do {
                try await client.delete(
                    .jobs, name: name, namespace: plan.spec.targetNamespace,
                    options: DeleteOptions(propagationPolicy: "Background"), ignoreNotFound: true)
                try await client.delete(
                    .configMaps, name: name, namespace: plan.spec.targetNamespace, ignoreNotFound: true)
            } catch {
                problems.append("cannot delete the \(step.rawValue) hook's Job or ConfigMap \(name): \(error)")
            }
        }
        return problems
    }
}
