import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv get plan [NAME...]`: a table, JSON or YAML; `-w` keeps printing changes.
struct GetPlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "List plans.", aliases: ["plans"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Plan names (all when omitted).")
    var names: [String] = []

    @Flag(name: [.customShort("A"), .long], help: "List plans in every namespace.")
    var allNamespaces = false

    @Option(name: [.short, .long], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @Flag(name: [.short, .long], help: "After listing, print each change.")
    var watch = false

    @Flag(help: "Show each VM's pipeline (needs one plan name).")
    var vms = false

    @Flag(help: "Show each disk's transfer (needs one plan name).")
    var disk = false

    func validate() throws {
        if vms || disk {
            guard names.count == 1 else { throw ValidationError("--vms and --disk need exactly one plan name") }
            guard output == .table else { throw ValidationError("--vms and --disk print tables; drop -o") }
        }
    }

    func run() async throws {
        if vms || disk {
            try await global.withClient { client, configuration in
                repeat {
                    let plan = try await client.get(Plan.self, name: names[0], namespace: configuration.namespace)
                    if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                    var sections: [String] = []
                    if vms { sections.append(PlanView.vmPipelines(plan)) }
                    if disk { sections.append(PlanView.diskTransfers(plan)) }
                    print(sections.joined(separator: "\n\n"))
                    flushOutput()
                    if watch { try await Task.sleep(nanoseconds: 1_000_000_000) }
                } while watch
            }
            return
        }
        try await global.withClient { client, configuration in
            let namespace = allNamespaces ? nil : configuration.namespace
            var plans = try await client.list(Plan.self, namespace: namespace).items
            if !names.isEmpty {
                let missing = names.filter { name in !plans.contains { $0.metadata.name == name } }
                guard missing.isEmpty else {
                    throw CLIError(
                        "plan \(missing.joined(separator: ", ")) not found in namespace \(namespace ?? "any")")
                }
                plans = plans.filter { names.contains($0.metadata.name ?? "") }
            }
            switch output {
            case .json, .yaml: print(Printer.document(try plans.map { try JSONValue(encoding: $0) }, format: output))
            case .table, .wide:
                var table = PlanView.table(allNamespaces: allNamespaces)
                plans.forEach { table.add(PlanView.row($0, allNamespaces: allNamespaces)) }
                print(plans.isEmpty ? "No plans found in \(namespace ?? "any namespace")." : table.render())
            }
            guard watch else { return }
            flushOutput()
            let start = try await client.list(ResourceType.plans, namespace: namespace).resourceVersion
            for try await event in client.watch(.plans, namespace: namespace, from: start, timeoutSeconds: 3600) {
                let plan: Plan = try event.object.decode()
                guard names.isEmpty || names.contains(plan.metadata.name ?? "") else { continue }
                var table = PlanView.table(allNamespaces: allNamespaces)
                table.add(PlanView.row(plan, allNamespaces: allNamespaces, deleted: event.kind == .deleted))
                print(table.render(headers: false))
                flushOutput()
            }
        }
    }
}

/// `kubectl mtv describe plan NAME`: settings, mappings, VMs and conditions.
struct DescribePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show a plan in detail.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The plan's name.")
    var name: String

    @Flag(help: "Show each VM's pipeline.")
    var withVms = false

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            let plan = try await client.get(Plan.self, name: name, namespace: namespace)
            let network = try? await client.get(
                .networkMaps, name: plan.spec.map.network.name ?? "",
                namespace: plan.spec.map.network.namespace ?? namespace)
            let storage = try? await client.get(
                .storageMaps, name: plan.spec.map.storage.name ?? "",
                namespace: plan.spec.map.storage.namespace ?? namespace)
            print(PlanView.describe(plan, network: network, storage: storage, withVMs: withVms))
        }
    }
}

/// `kubectl mtv archive plan NAME...` and `unarchive plan NAME...`.
struct ArchivePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Archive plans (their migrations are cleaned up).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Plan names.")
    var names: [String] = []

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("name the plans to archive") }
    }

    func run() async throws {
        try await PlanView.setArchived(true, names: names, global: global)
    }
}

/// `kubectl mtv unarchive plan NAME...`.
struct UnarchivePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Unarchive plans.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Plan names.")
    var names: [String] = []

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("name the plans to unarchive") }
    }

    func run() async throws {
        try await PlanView.setArchived(false, names: names, global: global)
    }
}

/// `kubectl mtv delete plan NAME...`: archives each plan, waits for the controller to confirm, then deletes it
/// and the mappings it owns.
struct DeletePlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Delete plans (archived first) and the mappings they own.", aliases: ["plans"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Plan names.")
    var names: [String] = []

    @Flag(help: "Delete at once, without archiving first.")
    var skipArchive = false

    @Option(help: "Seconds to wait for the archive to be confirmed.")
    var timeout: Double = 60

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("name the plans to delete") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            for name in names {
                var plan = try await client.get(Plan.self, name: name, namespace: namespace)
                if !skipArchive {
                    if plan.spec.archived != true {
                        plan = try await client.update(Plan.self, name: name, namespace: namespace) {
                            $0.spec.archived = true
                        }
                    }
                    let deadline = Date().addingTimeInterval(timeout)
                    while plan.status?.conditions?.isTrue(ConditionType.archived) != true {
                        guard Date() < deadline else {
                            throw CLIError(
                                "plan \(name) was archived but the controller has not confirmed it within "
                                    + "\(Int(timeout)) s; is mtv-controller running? (--skip-archive deletes at once)")
                        }
                        try await Task.sleep(nanoseconds: 250_000_000)
                        plan = try await client.get(Plan.self, name: name, namespace: namespace)
                    }
                }
                var owned: [(MappingKind, String)] = []
                for kind in MappingKind.allCases {
                    for map in try await client.listAll(kind.resource, namespace: namespace).items
                    where map[path: ["metadata", "ownerReferences"]]?.arrayValue?.contains(where: {
                        $0["uid"]?.stringValue == plan.metadata.uid
                    }) == true {
                        owned.append((kind, map[path: ["metadata", "name"]]?.stringValue ?? ""))
                    }
                }
                try await client.delete(plan)
                // The garbage collector would remove owned mappings; deleting them here does not depend on one.
                for (kind, mapName) in owned {
                    try await client.delete(kind.resource, name: mapName, namespace: namespace, ignoreNotFound: true)
                    print("\(kind.kindName.lowercased())/\(mapName) deleted")
                }
                print("plan/\(name) deleted")
            }
        }
    }
}

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
            throw ValidationError("--target-power-state must be on, off or auto")
        }
        let given: [Any?] = [
            description, targetNamespace, targetPowerState, skipGuestConversion, useCompatibilityMode,
            skipZoneNodeSelector, pvcNameTemplate, targetLabels, targetNodeSelector,
        ]
        guard given.contains(where: { $0 != nil }) else {
            throw ValidationError("nothing to change: give at least one setting")
        }
    }

    func run() async throws {
        let labels = try KeyValues.parse(targetLabels, flag: "--target-labels")
        let selector = try KeyValues.parse(targetNodeSelector, flag: "--target-node-selector")
        if let targetNamespace, !Names.isValidObjectName(targetNamespace) || targetNamespace.contains(".") {
            throw CLIError("--target-namespace '\(targetNamespace)' is not a valid namespace name")
        }
        try await global.withClient { client, configuration in
            let plan = try await client.get(Plan.self, name: name, namespace: configuration.namespace)
            if PlanView.status(plan) == "Running" {
                throw CLIError("plan \(name) is running; cancel it or wait for it to finish before changing it")
            }
            let skip = skipGuestConversion ?? plan.spec.skipGuestConversion ?? false
            if useCompatibilityMode == true, !skip {
                throw CLIError(
                    "--use-compatibility-mode true needs guest conversion skipped (--skip-guest-conversion true)")
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

/// How plans print.
enum PlanView {
    static func table(allNamespaces: Bool) -> TableWriter {
        TableWriter(
            (allNamespaces ? ["NAMESPACE"] : []) + [
                "NAME", "SOURCE", "TARGET", "VMS", "READY", "STATUS", "PROGRESS", "ARCHIVED", "AGE",
            ])
    }

    static func row(_ plan: Plan, allNamespaces: Bool, deleted: Bool = false) -> [String] {
        let vms = plan.status?.migration?.vms ?? []
        let vmColumn: String
        if vms.isEmpty {
            vmColumn = "\(plan.spec.vms.count)"
        } else {
            let done = vms.filter { $0.completed != nil }.count
            let failed = vms.filter { $0.error != nil }.count
            vmColumn = "\(done)/\(vms.count)" + (failed > 0 ? " (F:\(failed))" : "")
        }
        return (allNamespaces ? [plan.metadata.namespace ?? ""] : []) + [
            plan.metadata.name ?? "", plan.spec.provider.source.name ?? "", plan.spec.provider.destination.name ?? "",
            vmColumn, plan.status?.conditions?.isTrue(ConditionType.ready) == true ? "true" : "false",
            deleted ? "Deleted" : status(plan), progress(plan), plan.spec.archived == true ? "true" : "false",
            age(since: plan.metadata.creationTimestamp),
        ]
    }

    /// The first true condition among the run's outcomes, else `-`.
    static func status(_ plan: Plan) -> String {
        let conditions = plan.status?.conditions ?? []
        let shown = [
            ConditionType.failed, ConditionType.succeeded, ConditionType.canceled, ConditionType.running,
            ConditionType.executing,
        ]
        return shown.first { conditions.isTrue($0) }.map { $0 == ConditionType.executing ? "Running" : $0 } ?? "-"
    }

    /// Disk transfer progress over all VMs: `NN.N% (done/total GB)`, or `-` before a migration.
    static func progress(_ plan: Plan) -> String {
        let steps = (plan.status?.migration?.vms ?? []).flatMap(\.pipeline).filter { $0.name.hasPrefix("DiskTransfer") }
        let total = steps.reduce(Int64(0)) { $0 + $1.progress.total }
        guard total > 0 else { return "-" }
        let done = steps.reduce(Int64(0)) { $0 + $1.progress.completed }
        return String(
            format: "%.1f%% (%.1f/%.1f GB)", Double(done) * 100 / Double(total), Double(done) / 1024,
            Double(total) / 1024)
    }

    /// `Ready` or the conditions that block the plan, then its warnings.
    static func readiness(_ conditions: [Condition]) -> String {
        var lines: [String] = []
        let blocking = conditions.filter { $0.category == Condition.Category.critical }
        lines.append(conditions.isTrue(ConditionType.ready) ? "The plan is Ready." : "The plan is not ready:")
        for condition in blocking + conditions.filter({ $0.category == Condition.Category.warn }) {
            lines.append("  \(condition.category) \(condition.type): \(condition.message ?? "")")
            for item in condition.items ?? [] { lines.append("    - \(item)") }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ plan: Plan, network: JSONValue?, storage: JSONValue?, withVMs: Bool) -> String {
        var fields: [(String, String)] = [
            ("Name", plan.metadata.name ?? ""), ("Namespace", plan.metadata.namespace ?? ""),
            ("Created", plan.metadata.creationTimestamp ?? ""), ("Description", plan.spec.description ?? "-"),
            ("Source", MappingView.reference(try? JSONValue(encoding: plan.spec.provider.source))),
            ("Target", MappingView.reference(try? JSONValue(encoding: plan.spec.provider.destination))),
            ("Target namespace", plan.spec.targetNamespace),
            ("Ready", plan.status?.conditions?.isTrue(ConditionType.ready) == true ? "true" : "false"),
            ("Status", status(plan)), ("Archived", plan.spec.archived == true ? "true" : "false"),
            ("Migration type", plan.spec.type ?? "cold"),
            (
                "Guest conversion",
                plan.spec.skipGuestConversion == true
                    ? "skipped"
                        + (plan.spec.useCompatibilityMode == true
                            ? " (compatibility devices: SATA, E1000E, USB)" : " (VirtIO)")
                    : "virt-v2v"
            ),
            ("Target power state", plan.spec.targetPowerState ?? "as the source"),
            ("Zone node selector", plan.spec.skipZoneNodeSelector == true ? "skipped" : "the provider's target-az"),
            ("Network mapping", MappingView.reference(try? JSONValue(encoding: plan.spec.map.network))),
            ("Storage mapping", MappingView.reference(try? JSONValue(encoding: plan.spec.map.storage))),
        ]
        if let template = plan.spec.pvcNameTemplate { fields.append(("PVC name template", template)) }
        if let labels = plan.spec.targetLabels { fields.append(("Target labels", pairs(labels))) }
        if let selector = plan.spec.targetNodeSelector { fields.append(("Target node selector", pairs(selector))) }
        if let started = plan.status?.migration?.started { fields.append(("Migration started", started)) }
        if let completed = plan.status?.migration?.completed { fields.append(("Migration completed", completed)) }
        let width = (fields.map(\.0.count).max() ?? 0) + 2
        var out = fields.map { ($0.0 + ":").padding(toLength: width, withPad: " ", startingAt: 0) + $0.1 }

        out +=
            ["", "Network pairs:"]
            + indent(network.map { MappingView.pairsTable($0, kind: .network) } ?? "(mapping not found)")
        out +=
            ["", "Storage pairs:"]
            + indent(storage.map { MappingView.pairsTable($0, kind: .storage) } ?? "(mapping not found)")

        let statuses = plan.status?.migration?.vms ?? []
        var vmTable = TableWriter(["NAME", "ID", "TARGET NAME", "PHASE", "STARTED", "COMPLETED", "ERROR"])
        for vm in plan.spec.vms {
            let status = statuses.first { $0.id == vm.id }
            vmTable.add([
                vm.name ?? "", vm.id ?? "", status?.newName ?? vm.targetName ?? "-", status?.phase ?? "-",
                status?.started ?? "-", status?.completed ?? "-", status?.error?.reasons.joined(separator: "; ") ?? "-",
            ])
        }
        out += ["", "VMs:"] + indent(vmTable.render())
        if withVMs { out += ["", vmPipelines(plan)] }
        var conditions = TableWriter(["TYPE", "STATUS", "CATEGORY", "MESSAGE"])
        for condition in plan.status?.conditions ?? [] {
            conditions.add([condition.type, condition.status, condition.category, condition.message ?? ""])
        }
        out +=
            ["", "Conditions:"]
            + indent(conditions.rows.isEmpty ? "none yet (is mtv-controller running?)" : conditions.render())
        for condition in plan.status?.conditions ?? [] where !(condition.items ?? []).isEmpty {
            out += ["  \(condition.type):"] + (condition.items ?? []).map { "    - \($0)" }
        }
        return out.joined(separator: "\n")
    }

    /// Each VM's pipeline: step, phase, progress, start, end and duration, with the VM's error.
    static func vmPipelines(_ plan: Plan) -> String {
        guard let statuses = plan.status?.migration?.vms, !statuses.isEmpty else {
            return "No migration information found. Details will be available after the plan starts running."
        }
        var out: [String] = []
        for status in statuses {
            let outcome =
                status.conditions.flatMap { conditions in
                    [ConditionType.succeeded, ConditionType.failed, ConditionType.canceled].first {
                        conditions.isTrue($0)
                    }
                } ?? (status.completed == nil ? "Running" : "Completed")
            out.append(
                "VM \(status.name ?? "") (\(status.id ?? "")) -> \(status.newName ?? "-"): \(status.phase), \(outcome)")
            var steps = TableWriter(["STEP", "PHASE", "PROGRESS", "STARTED", "COMPLETED", "DURATION"])
            for step in status.pipeline {
                let progress = step.progress.total > 0 ? "\(step.progress.completed * 100 / step.progress.total)%" : "-"
                steps.add([
                    step.name, step.phase ?? "-", progress, step.started ?? "-", step.completed ?? "-",
                    duration(step.started, step.completed),
                ])
            }
            out += steps.render().split(separator: "\n").map { "  " + $0 }
            for reason in status.error?.reasons ?? [] {
                out.append("  Error (\(status.error?.phase ?? "")): \(reason)")
            }
            out.append("")
        }
        return out.joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    /// Each disk of DiskTransfer: source volume, new volume, progress and size.
    static func diskTransfers(_ plan: Plan) -> String {
        var table = TableWriter(["VM", "SOURCE VOLUME", "NEW VOLUME", "PROGRESS", "SIZE"])
        for status in plan.status?.migration?.vms ?? [] {
            for task in status.pipeline.first(where: { $0.name == "DiskTransfer" })?.tasks ?? [] {
                let percent = task.progress.total > 0 ? "\(task.progress.completed * 100 / task.progress.total)%" : "-"
                table.add([
                    status.name ?? "", task.name, task.annotations?["volume"] ?? "-", percent,
                    "\(task.progress.total) MB",
                ])
            }
        }
        return table.rows.isEmpty ? "No disk transfers yet." : table.render()
    }

    /// `1m05s` between two timestamps (to now while running), `-` before the start.
    static func duration(_ start: String?, _ end: String?) -> String {
        let formatter = ISO8601DateFormatter()
        guard let start = start.flatMap(formatter.date(from:)) else { return "-" }
        let seconds = Int((end.flatMap(formatter.date(from:)) ?? Date()).timeIntervalSince(start))
        return seconds >= 60 ? "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" : "\(seconds)s"
    }

    static func setArchived(_ archived: Bool, names: [String], global: GlobalOptions) async throws {
        try await global.withClient { client, configuration in
            for name in names {
                _ = try await client.update(Plan.self, name: name, namespace: configuration.namespace) {
                    $0.spec.archived = archived
                }
                print("plan/\(name) \(archived ? "archived" : "unarchived")")
            }
        }
    }

    private static func pairs(_ values: [String: String]) -> String {
        values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    private static func indent(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
    }
}
