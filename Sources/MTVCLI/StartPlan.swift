import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv start plan NAME...`: a Migration for each Ready plan that is not running or done.
struct StartPlan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Start migrating plans (creates a Migration for each).", aliases: ["plans"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Plan names.")
    var names: [String] = []

    @Flag(help: "Print the Migrations instead of creating them.")
    var dryRun = false

    @Option(name: [.short, .long], help: "Output format for --dry-run: yaml or json.")
    var output: OutputFormat?

    func validate() throws {
        guard !names.isEmpty else { throw CommonMessages.noNames("plans", verb: "start") }
        try DryRunOutput.check(output, dryRun: dryRun)
    }

    func run() async throws {
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            let migrations = try await client.list(Migration.self, namespace: namespace).items
            var documents: [JSONValue] = []
            for name in names {
                let plan: Plan
                do {
                    plan = try await client.get(Plan.self, name: name, namespace: namespace)
                } catch let error as KubernetesError where error.isNotFound {
                    throw PlanMessages.notFound([name], namespace: namespace)
                }
                let conditions = plan.status?.conditions ?? []
                guard conditions.isTrue(ConditionType.ready) else {
                    throw PlanMessages.notReady(name, readiness: PlanView.readiness(conditions))
                }
                if plan.spec.archived == true { throw PlanMessages.archived(name) }
                let ours = migrations.filter { $0.spec.plan.name == name }
                if let running = ours.first(where: { $0.status?.completed == nil }) {
                    throw PlanMessages.alreadyRunning(name, migration: running.metadata.name ?? "")
                }
                if conditions.isTrue(ConditionType.succeeded) {
                    throw PlanMessages.alreadySucceeded(name)
                }
                let planReference = ObjectReference(name: name, namespace: namespace, uid: plan.metadata.uid)
                var metadata = ObjectMeta(name: nil, namespace: namespace)
                metadata.generateName = "\(name)-"
                metadata.ownerReferences = [
                    OwnerReference(
                        apiVersion: plan.apiVersion, kind: "Plan", name: name, uid: plan.metadata.uid ?? "")
                ]
                let migration = Migration(metadata: metadata, spec: .init(plan: planReference))
                if dryRun {
                    documents.append(try JSONValue(encoding: migration))
                    continue
                }
                let made = try await client.create(migration)
                print("migration/\(made.metadata.name ?? "") created")
                note("Migration started for plan '\(name)' in namespace '\(namespace)'")
            }
            if dryRun { print(Printer.document(documents, format: output ?? .yaml)) }
        }
    }
}
