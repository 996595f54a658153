import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// The upstream Go `kubectl-mtv` (as Forklift ships it, from `../shared/tools/upstream-kubectl-mtv/`) against our
/// controller and inventory: a client nobody here wrote, used as a user of the upstream tools would.
@Suite(
    "The upstream kubectl-mtv against ours", .skipped(unless: .upstreamTool), Requirement.upstreamTool,
    .integrationTimeLimit)
struct UpstreamCLITests {
    /// Runs the upstream binary in the scenario's namespace, reaching our inventory directly (as it does: a URL
    /// or a Route) and trusting the local environment's CA as Go programs do, through SSL_CERT_FILE.
    static func upstream(_ scenario: Scenario, _ arguments: String...) async throws -> ProcessRunner.Result {
        var variables = scenario.environment.variables
        variables["MTV_INVENTORY_URL"] = scenario.controller?.url.absoluteString
        variables["SSL_CERT_FILE"] = variables["FAKE_KUBE_CA"]
        variables["HOME"] = FileManager.default.temporaryDirectory.path
        return try await ProcessRunner.run(
            [try #require(UpstreamTool.binary)] + arguments + ["-n", scenario.namespace],
            environment: variables)
    }

    @Test("providers, the EC2 and host inventories, and an automatic-mapping plan that our controller validates")
    func upstreamFlows() async throws {
        _ = try await ProcessRunner.run([
            "scripts/seed-fleet", "--endpoint",
            try #require(LocalEnvironment.current).awsEndpoint.absoluteString,
        ])
        try await Scenario.with(controllerArguments: ["--inventory-interval", "1"]) { scenario in
            let environment = scenario.environment
            let created = try await Self.upstream(
                scenario, "create", "provider", "up-ec2", "--type", "ec2",
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
                #expect(
                    row.contains("Ready") && row.components(separatedBy: "True").count == 4,
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

            let plan = try await Self.upstream(
                scenario, "create", "plan", "up-auto", "--source", "up-ec2",
                "--target", "host", "--vms", "web-1", "--default-target-storage-class", "gp3-csi")
            #expect(plan.status == 0, "\(plan.stdout) \(plan.stderr)")
            let validated = try await PlanEndToEndTests.validated(scenario, "up-auto")
            #expect(
                validated.status?.conditions?.isTrue("Ready") == true,
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
            // Upstream's CLI writes Filesystem for st1, sc1 and standard; the EBS path binds them as Block, and says so.
            let storageMap = try await scenario.client.get(
                StorageMap.self, name: "up-auto-storage-map", namespace: scenario.namespace)
            let notHonoured = storageMap.status?.conditions?.first { $0.type == "StorageModeNotHonoured" }
            #expect(
                notHonoured?.category == Condition.Category.warn
                    && notHonoured?.items?.contains { $0.hasPrefix("st1 ") && $0.hasSuffix("volumeMode Filesystem") }
                        == true,
                "\(String(describing: storageMap.status?.conditions))")
            let ours = try await scenario.mtv("get", "mapping")
            #expect(
                ours.stdout.split(separator: "\n").filter { $0.hasPrefix("up-auto") && $0.contains("Ready") }.count
                    == 2,
                "\(ours.stdout)")
        }
    }

    /// The lines of `describe plan --vm` for one pipeline step: its header and status lines, and its task rows.
    static func section(_ output: String, step: String) -> [Substring] {
        let lines = output.split(separator: "\n")
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(step) - ") })
        else { return [] }
        let rest = lines[(start + 1)...]
        let end =
            rest.firstIndex { line in
                let text = line.trimmingCharacters(in: .whitespaces)
                return text.range(of: #"^[A-Za-z]+ - "#, options: .regularExpression) != nil
            } ?? rest.endIndex
        return Array(lines[start..<end])
    }

    @Test(
        "plans the upstream CLI starts run to Succeeded or are canceled; describe plan --vm shows each step and disk; archive and delete"
    )
    func upstreamRunCancelArchiveDelete() async throws {
        try await MigrationEndToEndTests.withSandbox(stateDelays: "stop=0.5,snapshot=15,volume=0.5") {
            scenario, sandbox in
            let namespace = "\(scenario.namespace)-up"
            for (plan, vm) in [("up-run", "web-2"), ("up-cancel", "web-1")] {
                let created = try await Self.upstream(
                    scenario, "create", "plan", plan, "--source", "my-ec2", "--target", "host",
                    "--vms", vm, "--target-namespace", namespace, "--default-target-storage-class", "gp3-csi")
                #expect(created.status == 0, "\(created.stdout) \(created.stderr)")
                let ready = try await PlanEndToEndTests.validated(scenario, plan) {
                    $0.status?.conditions?.isTrue("Ready") == true
                }
                #expect(ready.spec.vms.count == 1)
                let started = try await Self.upstream(scenario, "start", "plan", plan)
                #expect(started.status == 0, "\(started.stdout) \(started.stderr)")
            }

            // Canceled while it waits for its snapshots: the disk transfer never starts.
            let waitingDeadline = Date().addingTimeInterval(30)
            var phase = ""
            while Date() < waitingDeadline, phase != "WaitForSnapshots" {
                let migrations = try await scenario.client.list(Migration.self, namespace: scenario.namespace).items
                phase = migrations.first { $0.spec.plan.name == "up-cancel" }?.status?.vms?.first?.phase ?? ""
                if phase != "WaitForSnapshots" { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(phase == "WaitForSnapshots")
            // While AWS snapshots, the snapshot step and its volume task run and the disk transfer waits at 0.
            let middle = try await Self.upstream(scenario, "describe", "plan", "up-cancel", "--vm", "web-1").stdout
            let snapshotting = Self.section(middle, step: "CreateSnapshots").joined(separator: "\n")
            let percent = snapshotting.firstMatch(of: #/Progress: (\d+)\.\d%/#).flatMap { Int($0.1) } ?? -1
            #expect(snapshotting.contains("Status: Running") && (0...99).contains(percent), "\(middle)")
            #expect(
                snapshotting.contains("vol-") && snapshotting.contains("Running"),
                "the volume's task runs: \(snapshotting)")
            let waiting = Self.section(middle, step: "DiskTransfer").joined(separator: "\n")
            #expect(waiting.contains("Status: Pending") && waiting.contains("Progress: 0.0%"), "\(middle)")
            let cancel = try await Self.upstream(scenario, "cancel", "plan", "--name", "up-cancel", "--vms", "web-1")
            #expect(cancel.status == 0, "\(cancel.stdout) \(cancel.stderr)")
            let canceled = try await MigrationEndToEndTests.finished(scenario, plan: "up-cancel")
            #expect(canceled.status?.vms?.first?.conditions?.isTrue("Canceled") == true)
            let canceledView = try await Self.upstream(scenario, "describe", "plan", "up-cancel", "--vm", "web-1")
                .stdout
            let untouched = Self.section(canceledView, step: "DiskTransfer").joined(separator: "\n")
            #expect(
                untouched.contains("Status: Pending") && untouched.contains("Progress: 0.0%"),
                "a canceled VM's disk transfer never started: \(canceledView)")

            let succeeded = try await MigrationEndToEndTests.finished(scenario, plan: "up-run")
            #expect(
                succeeded.status?.conditions?.isTrue("Succeeded") == true,
                "\(String(describing: succeeded.status?.conditions))")
            let done = try await Self.upstream(scenario, "describe", "plan", "up-run", "--vm", "web-2")
            #expect(done.status == 0, "\(done.stderr)")
            for step in [
                "Initialize", "PrepareSource", "CreateSnapshots", "DiskTransfer", "ImageConversion", "CreateVM",
                "Cleanup",
            ] {
                let lines = Self.section(done.stdout, step: step)
                let text = lines.joined(separator: "\n")
                #expect(
                    text.contains("Status: Completed") && text.contains("Progress: 100.0%") && !text.contains("N/A"),
                    "\(step): \(text)")
                let tasks = lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("vol-") }
                #expect(tasks.allSatisfy { $0.contains("Completed") && $0.contains("100.0%") }, "\(step): \(tasks)")
                if ["CreateSnapshots", "DiskTransfer"].contains(step) { #expect(tasks.count == 1, "\(step): \(text)") }
            }

            let archived = try await Self.upstream(scenario, "archive", "plan", "--name", "up-run")
            #expect(archived.status == 0, "\(archived.stdout) \(archived.stderr)")
            _ = try await PlanEndToEndTests.validated(scenario, "up-run") {
                $0.status?.conditions?.isTrue("Archived") == true
            }
            let listed = try await Self.upstream(scenario, "get", "plan")
            let row = listed.stdout.split(separator: "\n").first { $0.hasPrefix("up-run ") } ?? ""
            #expect(row.contains("Succeeded") && row.contains("true"), "\(listed.stdout)")

            let deleted = try await Self.upstream(scenario, "delete", "plan", "--name", "up-run,up-cancel")
            #expect(deleted.status == 0, "\(deleted.stdout) \(deleted.stderr)")
            let plans = try await scenario.client.list(Plan.self, namespace: scenario.namespace).items.compactMap(
                \.metadata.name)
            #expect(!plans.contains("up-run") && !plans.contains("up-cancel"), "\(plans)")
            let vm = try await MigrationEndToEndTests.vm(scenario, namespace, "web-2")
            #expect(vm[path: ["metadata", "name"]]?.stringValue == "web-2", "the migrated VM outlives its plan")
        }
    }

    @Test("hooks the upstream CLI makes, and plans it gives them to, run in our controller")
    func upstreamHooks() async throws {
        try await MigrationEndToEndTests.withSandbox { scenario, _ in
            let namespace = "\(scenario.namespace)-uphook"
            let made = try await Self.upstream(
                scenario, "create", "hook", "--name", "up-pre", "--playbook", "- hosts: localhost\n  tasks: []\n",
                "--deadline", "60")
            #expect(made.status == 0, "\(made.stdout) \(made.stderr)")
            let listed = try await Self.upstream(scenario, "get", "hooks")
            #expect(listed.status == 0 && listed.stdout.contains("up-pre"), "\(listed.stdout) \(listed.stderr)")
            let ours = try await scenario.mtv("describe", "hook", "up-pre")
            #expect(ours.stdout.contains("  tasks: []"), "our CLI reads the upstream hook: \(ours.stdout)")
            let created = try await Self.upstream(
                scenario, "create", "plan", "up-hooked", "--source", "my-ec2", "--target", "host", "--vms", "web-2",
                "--target-namespace", namespace, "--default-target-storage-class", "gp3-csi",
                "--pre-hook", "up-pre", "--post-hook", "up-pre")
            #expect(created.status == 0, "\(created.stdout) \(created.stderr)")
            let ready = try await PlanEndToEndTests.validated(scenario, "up-hooked") {
                $0.status?.conditions?.isTrue("Ready") == true
            }
            #expect(ready.spec.vms.first?.hooks?.compactMap(\.step).sorted() == ["PostHook", "PreHook"])
            let started = try await Self.upstream(scenario, "start", "plan", "up-hooked")
            #expect(started.status == 0, "\(started.stdout) \(started.stderr)")
            let done = try await MigrationEndToEndTests.finished(scenario, plan: "up-hooked")
            #expect(done.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: done.status))")
            let steps = done.status?.vms?.first?.pipeline.filter { $0.name.hasSuffix("Hook") } ?? []
            #expect(steps.map(\.name) == ["PreHook", "PostHook"] && steps.allSatisfy { $0.phase == "Completed" })
        }
    }
}
