import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

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
        var vmTable = TableWriter(["NAME", "ID", "TARGET NAME", "HOOKS", "PHASE", "STARTED", "COMPLETED", "ERROR"])
        for vm in plan.spec.vms {
            let status = statuses.first { $0.id == vm.id }
            let hooks = (vm.hooks ?? []).map { "\($0.step ?? "?"): \($0.hook?.name ?? "?")" }
            vmTable.add([
                vm.name ?? "", vm.id ?? "", status?.newName ?? vm.targetName ?? "-",
                hooks.isEmpty ? "-" : hooks.joined(separator: ", "), status?.phase ?? "-",
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
