import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

extension MigrationEndToEndTests {
    @Test(
        "killed after every phase change and after every AWS create, restarted controllers finish with one set of everything"
    )
    func restartBetweenPhases() async throws {
        let sandbox = try await AWSSandbox()
        defer { sandbox.stop() }
        let state = FileManager.default.temporaryDirectory.appending(path: "crash-\(UUID().uuidString)").path
        try await Scenario.with(controller: false) { scenario in
            let start = {
                try await ControllerProcess(
                    environment: scenario.environment, namespace: scenario.namespace,
                    extraArguments: ["--inventory-interval", "1"],
                    extraEnvironment: ["MTV_TEST_CRASH_POINTS": "phase,create", "MTV_TEST_CRASH_STATE": state])
            }
            var controller = try await start()
            let mtv = { (arguments: [String]) async throws -> ProcessRunner.Result in
                try await scenario.mtv(
                    arguments, extraEnvironment: ["MTV_INVENTORY_URL": controller.url.absoluteString])
            }
            let id = try #require(sandbox.instances["web-1"])
            let namespace = "\(scenario.namespace)-restart"
            _ = try await mtv([
                "create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1", "--username",
                scenario.sourceKey, "--password", scenario.sourceSecret, "--url", sandbox.url.absoluteString,
                "--auto-target-credentials",
            ])
            _ = try await scenario.waitFor(provider: "my-ec2", condition: "InventoryCreated")
            let created = try await mtv([
                "create", "plan", "restart", "--source", "my-ec2", "--vms", "web-1", "--target-namespace", namespace,
            ])
            #expect(created.stdout.contains("The plan is Ready."), "\(created.stdout)\(created.stderr)")
            #expect(try await mtv(["start", "plan", "restart"]).status == 0)

            var restarts = 0
            let deadline = Date().addingTimeInterval(200)
            var migration: Migration?
            while Date() < deadline {
                migration = try await scenario.client.list(Migration.self, namespace: scenario.namespace).items.first
                if migration?.status?.completed != nil { break }
                if !controller.process.isRunning {
                    restarts += 1
                    controller = try await start()
                }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            controller.process.stop()
            let crashes = ((try? String(contentsOfFile: state, encoding: .utf8)) ?? "").split(separator: "\n")
            print("controller restarts: \(restarts); crash points: \(crashes.count)")
            #expect(
                migration?.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration?.status))")
            // Each phase's action (done, not yet recorded), each recorded phase change, and each AWS create.
            #expect(restarts >= 20, "a crash at every point")
            #expect(crashes.contains { $0.hasPrefix("create") && $0.hasSuffix("/snapshots") })
            #expect(crashes.filter { $0.hasSuffix("/volume") }.count == 2)

            let (snapshots, volumes) = try await Self.tagged(sandbox, scenario, id)
            #expect(snapshots.isEmpty, "no migration snapshot remains")
            #expect(volumes.count == 2, "exactly one new volume per source volume: \(volumes.count)")
            let calls = try await sandbox.control.calls()
            #expect(calls["CreateSnapshots"] == 1, "one snapshot set")
            let claims = try await scenario.client.listAll(.persistentVolumeClaims, namespace: namespace).items
            let pvs = try await scenario.client.listAll(
                .persistentVolumes,
                options: ListOptions(labelSelector: "forklift.konveyor.io/vmID=\(id)")
            ).items
            let vms = try await scenario.client.listAll(.virtualMachines, namespace: namespace).items
            #expect(claims.count == 2 && pvs.count == 2 && vms.count == 1)
        }
    }
}
