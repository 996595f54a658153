import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// A Provider's status has two writers (the connection test and the inventory collector): API faults and slow
/// writes must not make either lose or erase what the other wrote.
@Suite(
    "Provider status under API faults", .skipped(unless: .localEnvironment), Requirement.localEnvironment,
    .integrationTimeLimit)
struct ProviderStatusTests {
    /// Creates `my-ec2` on the sandbox, with inventory passes that take at least `passSeconds` (the collector's
    /// DescribeVolumes is slowed down; the connection test does not call it).
    static func createProvider(_ scenario: Scenario, _ sandbox: AWSSandbox, passSeconds: Int) async throws {
        try await sandbox.control.armFault([
            "action": "DescribeVolumes", "kind": "latency", "ms": [passSeconds * 1000, passSeconds * 1000],
        ])
        let created = try await scenario.mtv([
            "create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1",
            "--username", scenario.sourceKey, "--password", scenario.sourceSecret, "--url", sandbox.url.absoluteString,
            "--target-az", "us-east-1c", "--wait-timeout", "0",
        ])
        #expect(created.status == 0, "\(created.stderr)")
    }

    @Test("a connection-test status write held up by the API server does not erase InventoryCreated")
    func delayedWriteKeepsInventoryCondition() async throws {
        let sandbox = try await AWSSandbox()
        defer { sandbox.stop() }
        try await Scenario.with(controllerArguments: ["--inventory-interval", "600"]) { scenario in
            // The first status write (the connection test's Ready, computed before the inventory's pass ends) is
            // held 3 s; the pass (1 s) reports InventoryCreated meanwhile, then the held write lands.
            try await ControlAPI.call(
                "POST", scenario.environment.fakeKubeControl.appending(path: "faults"),
                [
                    "method": "PATCH", "resource": "providers/status", "namespace": scenario.namespace,
                    "name": "my-ec2",
                    "delay": 3, "count": 1,
                ])
            try await Self.createProvider(scenario, sandbox, passSeconds: 1)
            let provider = try await scenario.waitFor(provider: "my-ec2", condition: "InventoryCreated", seconds: 20)
            #expect(provider.status?.conditions?.isTrue("Ready") == true)
            // Both writers are done; neither erased the other.
            try await Task.sleep(nanoseconds: 4_000_000_000)
            let settled = try await scenario.client.get(Provider.self, name: "my-ec2", namespace: scenario.namespace)
            #expect(
                settled.status?.conditions?.isTrue("InventoryCreated") == true,
                "conditions: \(String(describing: settled.status?.conditions))")
            #expect(settled.status?.conditions?.isTrue("Ready") == true)
        }
    }

    @Test("inventory status writes refused with 500s (more than the client retries) land once the API recovers")
    func refusedInventoryReportIsRetried() async throws {
        let sandbox = try await AWSSandbox()
        defer { sandbox.stop() }
        try await Scenario.with(controllerArguments: ["--inventory-interval", "600"]) { scenario in
            try await Self.createProvider(scenario, sandbox, passSeconds: 2)
            _ = try await scenario.waitFor(provider: "my-ec2", condition: "Ready")
            // Armed before the first pass ends: the report's writes get 500s, more of them than one request's
            // retries cover.
            try await ControlAPI.call(
                "POST", scenario.environment.fakeKubeControl.appending(path: "faults"),
                [
                    "resource": "providers/status", "namespace": scenario.namespace, "name": "my-ec2", "status": 500,
                    "count": 12,
                ])
            let provider = try await scenario.waitFor(provider: "my-ec2", condition: "InventoryCreated", seconds: 30)
            #expect(provider.status?.conditions?.isTrue("Ready") == true)
            let log = try #require(scenario.controller).logText
            #expect(log.contains("inventory collected"))
        }
    }
}
