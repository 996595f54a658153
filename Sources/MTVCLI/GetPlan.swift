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
            guard names.count == 1 else { throw PlanMessages.detailNeedsOnePlan }
            guard output == .table else { throw PlanMessages.detailIsTable }
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
                    throw PlanMessages.notFound(missing, namespace: namespace)
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
