import AWSSigV4
import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// Key rotation against a moto that checks every signature: a new key pair goes into the provider's Secret and the
/// old one is deleted, between plans and in the middle of one.
@Suite(
    "Rotated credentials", .skipped(unless: .localEnvironment), Requirement.localEnvironment,
    .integrationTimeLimit)
struct RotationTests {
    @Test("a plan, a rotation, a second plan, and a rotation in the middle of a third: every VM migrates")
    func rotation() async throws {
        let sandbox = try await AWSSandbox(stateDelays: "stop=0.5,snapshot=4,volume=1", extra: 2)
        defer { sandbox.stop() }
        try await Scenario.with(controllerArguments: ["--inventory-interval", "1"]) { scenario in
            let iam = try IAMUsers(endpoint: sandbox.url, credentials: scenario.environment.credentials)
            try await iam.createUser("rotating")
            var key = try await iam.createKey(user: "rotating")
            let created = try await scenario.mtv(
                "create", "provider", "my-ec2", "--type", "ec2", "--ec2-region",
                "us-east-1", "--username", key.accessKeyID, "--password", key.secretAccessKey, "--url",
                sandbox.url.absoluteString, "--target-az", "us-east-1c")
            #expect(created.status == 0, "\(created.stderr)")
            _ = try await scenario.waitFor(provider: "my-ec2", condition: "InventoryCreated")

            /// A new key in the Secret, then the old one deleted: from here on only the new key signs.
            func rotate() async throws {
                let old = key
                key = try await iam.createKey(user: "rotating")
                let patched = try await scenario.mtv(
                    "patch", "provider", "my-ec2", "--username", key.accessKeyID,
                    "--password", key.secretAccessKey)
                #expect(patched.status == 0, "\(patched.stderr)")
                try await iam.deleteKey(user: "rotating", keyID: old.accessKeyID)
            }

            let first = try await MigrationEndToEndTests.migrate(
                scenario, plan: "before",
                ["--vms", "web-2", "--target-namespace", "\(scenario.namespace)-before"])
            #expect(first.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: first.status?.vms))")

            try await rotate()
            let second = try await MigrationEndToEndTests.migrate(
                scenario, plan: "after",
                ["--vms", "bench-0001", "--target-namespace", "\(scenario.namespace)-after"])
            #expect(second.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: second.status?.vms))")

            // The third plan's snapshots stay pending for 20 s, so its VM waits on AWS (a DescribeSnapshots every tick)
            // across the whole rotation. The connection test of the new keys is slowed down, so for a few seconds the
            // migration still signs with the deleted key: AWS refuses it, and the VM waits for the new keys instead of
            // failing.
            try await sandbox.control.setTimings(["snapshot": 20])
            _ = try await MigrationEndToEndTests.startUntilSnapshotting(
                scenario, plan: "during", vm: "bench-0002",
                namespace: "\(scenario.namespace)-during")
            try await sandbox.control.armFault([
                "action": "sts:GetCallerIdentity", "kind": "latency", "ms": [4000, 4000], "count": 1,
            ])
            try await rotate()
            let controller = try #require(scenario.controller)
            /// The migration's own calls refused by AWS (a phase's call, or the batched describes of a tick), which
            /// were tried again rather than failed; the inventory's refusals do not count here.
            func refusedMigrationCalls() -> [Substring] {
                controller.logText.split(separator: "\n").filter {
                    ($0.contains("no longer holds") || $0.contains("batched describe failed"))
                        && $0.contains("AuthFailure")
                }
            }
            try await waitUntil(seconds: 20) { !refusedMigrationCalls().isEmpty }
            let third = try await MigrationEndToEndTests.finished(scenario, plan: "during")
            #expect(third.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: third.status?.vms))")
            let log = controller.logText
            #expect(!log.contains(key.secretAccessKey), "no secret key in the log")
        }
    }

    @Test("a deleted key turns the provider not Ready with an authentication error that names the key to fix")
    func deletedKey() async throws {
        let sandbox = try await AWSSandbox()
        defer { sandbox.stop() }
        try await Scenario.with { scenario in
            let iam = try IAMUsers(endpoint: sandbox.url, credentials: scenario.environment.credentials)
            try await iam.createUser("short-lived")
            let key = try await iam.createKey(user: "short-lived")
            try await iam.deleteKey(user: "short-lived", keyID: key.accessKeyID)
            let created = try await scenario.mtv(
                "create", "provider", "gone", "--type", "ec2", "--ec2-region",
                "us-east-1", "--username", key.accessKeyID, "--password", key.secretAccessKey, "--url",
                sandbox.url.absoluteString, "--target-az", "us-east-1c", "--wait-timeout", "0")
            #expect(created.status == 0, "\(created.stderr)")
            let provider = try await scenario.waitFor(provider: "gone", condition: "ConnectionTestFailed")
            let failed = try #require(provider.status?.conditions?[type: "ConnectionTestFailed"])
            #expect(["InvalidClientTokenId", "AuthFailure"].contains(failed.reason ?? ""), "\(failed)")
            #expect(failed.suggestion?.contains("accessKeyId/secretAccessKey") == true)
        }
    }
}
