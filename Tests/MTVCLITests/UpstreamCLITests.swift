import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// The upstream Go `kubectl-mtv` (as Forklift ships it, from `../shared/tools/upstream-kubectl-mtv/`) against our
/// controller and inventory: a client nobody here wrote, used as a user of the upstream tools would.
@Suite("The upstream kubectl-mtv against ours", .enabled(if: UpstreamTool.isAvailable, UpstreamTool.absentReason),
    .timeLimit(.minutes(3)))
struct UpstreamCLITests {
    /// Runs the upstream binary in the scenario's namespace, reaching our inventory directly (as it does: a URL
    /// or a Route) and trusting the local environment's CA as Go programs do, through SSL_CERT_FILE.
    static func upstream(_ scenario: Scenario, _ arguments: String...) async throws -> ProcessRunner.Result {
        var variables = scenario.environment.variables
        variables["MTV_INVENTORY_URL"] = scenario.controller?.url.absoluteString
        variables["SSL_CERT_FILE"] = variables["FAKE_KUBE_CA"]
        variables["HOME"] = FileManager.default.temporaryDirectory.path
        return try await ProcessRunner.run([try #require(UpstreamTool.binary)] + arguments + ["-n", scenario.namespace],
            environment: variables)
    }

    @Test("providers, the EC2 and host inventories, and an automatic-mapping plan that our controller validates")
    func upstreamFlows() async throws {
        _ = try await ProcessRunner.run(["scripts/seed-fleet", "--endpoint",
            try #require(LocalEnvironment.current).awsEndpoint.absoluteString])
        try await Scenario.with(controllerArguments: ["--inventory-interval", "1"]) { scenario in
            let environment = scenario.environment
            let created = try await Self.upstream(scenario, "create", "provider", "up-ec2", "--type", "ec2",
                "--ec2-region", "us-east-1", "--url", environment.awsEndpoint.absoluteString,
                "--username", scenario.sourceKey, "--password", scenario.sourceSecret, "--auto-target-credentials")
            #expect(created.status == 0, "\(created.stdout) \(created.stderr)")
            let provider = try await scenario.waitFor(provider: "up-ec2", condition: "InventoryCreated")
            let conditions = provider.status?.conditions ?? []
            #expect(conditions.first { $0.type == "InventoryCreated" }?.category == "Required")
            #expect(conditions.isTrue("Validated"), "\(conditions.map(\.type))")
            _ = try await scenario.waitFor(provider: "host", condition: "InventoryCreated")

            let providers = try await Self.upstream(scenario, "get", "provider")
            #expect(providers.status == 0, "\(providers.stderr)")
            for name in ["host", "up-ec2"] {
                let row = providers.stdout.split(separator: "\n").first { $0.hasPrefix("\(name) ") } ?? ""
                #expect(row.contains("Ready") && row.components(separatedBy: "True").count == 4,
                    "CONNECTED, INVENTORY and READY are True: \(row)")
            }

            let vms = try await Self.upstream(scenario, "get", "inventory", "vm", "-p", "up-ec2")
            #expect(vms.status == 0 && vms.stdout.contains("web-1"), "\(vms.stdout) \(vms.stderr)")
            let storage = try await Self.upstream(scenario, "get", "inventory", "storage", "-p", "host")
            #expect(storage.status == 0, "\(storage.stderr)")
            let gp3 = storage.stdout.split(separator: "\n").first { $0.hasPrefix("gp3-csi ") } ?? ""
            #expect(gp3.contains("true"), "gp3-csi is the default storage class: \(storage.stdout)")
            for kind in ["namespace", "network"] {
                let listed = try await Self.upstream(scenario, "get", "inventory", kind, "-p", "host")
                #expect(listed.status == 0, "\(kind): \(listed.stderr)")
            }
            let namespaces = try await Self.upstream(scenario, "get", "inventory", "namespace", "-p", "host")
            #expect(namespaces.stdout.contains(scenario.namespace), "\(namespaces.stdout)")

            let plan = try await Self.upstream(scenario, "create", "plan", "up-auto", "--source", "up-ec2",
                "--target", "host", "--vms", "web-1", "--default-target-storage-class", "gp3-csi")
            #expect(plan.status == 0, "\(plan.stdout) \(plan.stderr)")
            let validated = try await PlanEndToEndTests.validated(scenario, "up-auto")
            #expect(validated.status?.conditions?.isTrue("Ready") == true,
                "\(validated.status?.conditions?.map { "\($0.type): \($0.message ?? "") \($0.items ?? [])" } ?? [])")

            // The maps the upstream CLI made are validated on their own; its STATUS column reads Ready.
            let deadline = Date().addingTimeInterval(30)
            var rows: [Substring] = []
            while Date() < deadline {
                let mappings = try await Self.upstream(scenario, "get", "mapping")
                rows = mappings.stdout.split(separator: "\n").filter { $0.hasPrefix("up-auto") }
                if rows.count == 2, rows.allSatisfy({ $0.contains(" Ready ") }) { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(rows.count == 2 && rows.allSatisfy { $0.contains(" Ready ") }, "\(rows)")
            let ours = try await scenario.mtv("get", "mapping")
            #expect(ours.stdout.split(separator: "\n").filter { $0.hasPrefix("up-auto") && $0.contains("Ready") }.count == 2,
                "\(ours.stdout)")
        }
    }
}
