import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// Secrets stay secret, TLS is verified, the inventory checks its callers (see also "Inventory end to end").
@Suite(
    "Security", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct SecurityTests {
    @Test("the AWS keys and the cluster token never reach logs, events, statuses or CLI output")
    func secretsStaySecret() async throws {
        let sandbox = try await AWSSandbox()
        defer { sandbox.stop() }
        try await Scenario.with(controllerArguments: ["--inventory-interval", "1", "--log-level", "debug"]) {
            scenario in
            // Keys of users of their own (moto checks every signature): their secrets are the canaries.
            let iam = try IAMUsers(endpoint: sandbox.url, credentials: scenario.environment.credentials)
            try await iam.createUser("canary-source")
            try await iam.createUser("canary-target")
            let source = try await iam.createKey(user: "canary-source")
            let target = try await iam.createKey(user: "canary-target")
            let (canary, targetCanary) = (source.secretAccessKey, target.secretAccessKey)
            var outputs: [String] = []
            func mtv(_ arguments: [String]) async throws -> ProcessRunner.Result {
                let result = try await scenario.mtv(arguments)
                outputs += [result.stdout, result.stderr]
                return result
            }
            let keys = [
                "--username", source.accessKeyID, "--password", canary, "--target-access-key-id", target.accessKeyID,
                "--target-secret-access-key", targetCanary, "--url", sandbox.url.absoluteString, "--target-az",
                "us-east-1c",
            ]
            _ = try await mtv(
                ["create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1", "--dry-run"] + keys)
            let created = try await mtv(
                ["create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1"] + keys)
            #expect(created.status == 0, "\(created.stderr)")
            _ = try await scenario.waitFor(provider: "my-ec2", condition: "InventoryCreated")
            for arguments in [
                ["get", "provider", "-o", "yaml"], ["describe", "provider", "my-ec2"],
                ["get", "provider", "-o", "wide"],
                ["get", "inventory", "ec2-instance", "my-ec2", "-o", "json"],
            ] {
                let result = try await scenario.mtv(arguments)
                outputs += [result.stdout, result.stderr]
            }
            // A migration that fails (a permanent AWS error) exercises the error paths too.
            try await sandbox.control.armFault([
                "action": "CreateVolume", "code": "AuthFailure", "count": 1,
            ])
            let plan = try await mtv(["create", "plan", "secret", "--source", "my-ec2", "--vms", "web-2"])
            #expect(plan.status == 0, "\(plan.stderr)")
            _ = try await mtv(["start", "plan", "secret"])
            _ = try await MigrationEndToEndTests.finished(scenario, plan: "secret")
            _ = try await mtv(["describe", "plan", "secret", "--with-vms"])
            _ = try await mtv(["get", "plan", "secret", "-o", "json"])

            var places: [(String, String)] = outputs.enumerated().map { ("CLI output \($0.offset)", $0.element) }
            places.append(("controller log", try #require(scenario.controller).logText))
            for resource in [ResourceType.events, .providers, .plans, .migrations, .networkMaps, .storageMaps] {
                let items = try await scenario.client.listAll(resource, namespace: scenario.namespace).items
                places.append((resource.kind, String(decoding: JSONValue.array(items).serialized(), as: UTF8.self)))
            }
            let token = try await scenario.client.bearerToken() ?? "no-token"
            for (place, text) in places {
                for secret in [canary, targetCanary, token] {
                    #expect(!text.contains(secret), "a secret appears in \(place)")
                }
            }
            #expect(
                places.first { $0.0 == "controller log" }?.1.contains("AuthFailure") == true,
                "the error itself is logged")
        }
    }

    @Test("TLS is verified: a cluster whose certificate the kubeconfig does not trust is refused")
    func tlsVerified() async throws {
        let environment = try #require(LocalEnvironment.current)
        let original = try String(contentsOfFile: environment.kubeconfig, encoding: .utf8)
        let untrusted = original.split(separator: "\n").filter { !$0.contains("certificate-authority") }.joined(
            separator: "\n")
        let path = FileManager.default.temporaryDirectory.appending(path: "untrusted-\(UUID().uuidString).yaml").path
        try untrusted.write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try await MTVCLI.run(["get", "providers", "--kubeconfig", path], environment: environment)
        #expect(refused.status != 0)
        #expect(refused.stderr.lowercased().contains("certificate"), "\(refused.stderr)")
        let insecure = untrusted.replacingOccurrences(
            of: "    server:", with: "    insecure-skip-tls-verify: true\n    server:")
        try insecure.write(toFile: path, atomically: true, encoding: .utf8)
        let accepted = try await MTVCLI.run(
            ["get", "providers", "-n", "openshift-mtv", "--kubeconfig", path], environment: environment)
        #expect(
            accepted.status == 0 && accepted.stdout.contains("host"),
            "only when the kubeconfig says so: \(accepted.stderr)")
    }
}
