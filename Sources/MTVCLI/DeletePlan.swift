import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

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
        guard !names.isEmpty else { throw CommonMessages.noNames("plans", verb: "delete") }
        guard timeout > 0 else { throw PlanMessages.nonPositiveTimeout }
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
                            throw PlanMessages.archiveNotConfirmed(name, seconds: Int(timeout))
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
