import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// AWS endpoints behind a private CA: the EC2 proxy serves HTTPS with a certificate of its own CA, which only the
/// provider Secret's `ca.crt` (or `insecureSkipVerify`) makes acceptable.
@Suite(
    "AWS endpoints behind a private CA", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct EndpointTLSTests {
    static func create(
        _ scenario: Scenario, _ sandbox: AWSSandbox, _ name: String, _ extra: [String]
    ) async throws
        -> ProcessRunner.Result
    {
        try await scenario.mtv(
            [
                "create", "provider", name, "--type", "ec2", "--ec2-region", "us-east-1",
                "--url", sandbox.url.absoluteString, "--username", scenario.sourceKey, "--password",
                scenario.sourceSecret,
                "--target-az", "us-east-1a", "--wait-timeout", "15",
            ] + extra)
    }

    @Test(
        "an untrusted certificate fails the connection test with a way out; ca.crt or insecureSkipVerify make it Ready")
    func privateCA() async throws {
        let sandbox = try await AWSSandbox(tls: true)
        defer { sandbox.stop() }
        let ca = try #require(sandbox.certificateAuthority)
        try await Scenario.with(controllerArguments: ["--inventory-interval", "1"]) { scenario in
            let untrusted = try await Self.create(scenario, sandbox, "untrusted", [])
            #expect(untrusted.status == 0, "\(untrusted.stderr)")
            let failing = try await scenario.waitFor(provider: "untrusted", condition: "ConnectionTestFailed")
            let failed = try #require(failing.status?.conditions?[type: "ConnectionTestFailed"])
            #expect(failed.message?.contains("CERTIFICATE_VERIFY_FAILED") == true, "\(failed)")
            #expect(
                failed.suggestion?.contains("ca.crt") == true && failed.suggestion?.contains("--cacert") == true,
                "\(failed)")
            #expect(failing.status?.conditions?.isTrue("Ready") != true)

            let trusted = try await Self.create(scenario, sandbox, "trusted", ["--cacert", "@\(ca)"])
            #expect(trusted.status == 0 && trusted.stdout.contains("is Ready"), "\(trusted.stdout) \(trusted.stderr)")
            _ = try await scenario.waitFor(provider: "trusted", condition: "InventoryCreated")
            let instances = try await scenario.inventory("ec2-instance", "trusted")
            #expect(
                instances.status == 0 && instances.stdout.contains("web-1"), "\(instances.stdout) \(instances.stderr)")
            let secrets = try await scenario.client.list(Secret.self, namespace: scenario.namespace).items
            let secret = try #require(secrets.first { $0.metadata.generateName == "trusted-ec2-" })
            #expect(
                secret.value("ca.crt") == (try String(contentsOfFile: ca, encoding: .utf8)),
                "upstream's key holds the PEM")

            let skipping = try await Self.create(scenario, sandbox, "skipping", ["--provider-insecure-skip-tls"])
            #expect(
                skipping.status == 0 && skipping.stdout.contains("is Ready"), "\(skipping.stdout) \(skipping.stderr)")

            // The failing provider recovers when its Secret gains the CA.
            let patched = try await scenario.mtv("patch", "provider", "untrusted", "--cacert", "@\(ca)")
            #expect(patched.status == 0, "\(patched.stderr)")
            _ = try await scenario.waitFor(provider: "untrusted", condition: "Ready", seconds: 30)
        }
    }

    @Test("bad TLS settings are refused with the reason, and nothing is created")
    func badSettings() async throws {
        try await Scenario.with { scenario in
            let garbage = FileManager.default.temporaryDirectory.appending(path: "not-a-ca-\(UUID().uuidString).pem")
                .path
            try "hello\n".write(toFile: garbage, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: garbage) }
            let cases: [([String], String)] = [
                (
                    ["--cacert", "@/nonexistent/ca.pem", "--url", "https://127.0.0.1:9"],
                    "cannot read /nonexistent/ca.pem"
                ),
                (["--cacert", "@\(garbage)", "--url", "https://127.0.0.1:9"], "no PEM certificate"),
                (["--cacert", "not a certificate", "--url", "https://127.0.0.1:9"], "no PEM certificate"),
                (["--provider-insecure-skip-tls", "--url", "http://127.0.0.1:9"], "apply to https endpoints"),
                (["--provider-insecure-skip-tls", "--secret", "some-secret"], "with --secret"),
            ]
            for (index, (flags, message)) in cases.enumerated() {
                let keys = flags.contains("--secret") ? [] : ["--username", "AKIA", "--password", "x"]
                let result = try await scenario.mtv(
                    [
                        "create", "provider", "bad-\(index)", "--type", "ec2",
                        "--ec2-region", "us-east-1", "--target-az", "us-east-1a",
                    ] + keys + flags)
                #expect(result.status != 0 && result.stderr.contains(message), "\(flags): \(result.stderr)")
            }
            let providers = try await scenario.client.list(Provider.self, namespace: scenario.namespace).items
            #expect(
                !providers.contains { $0.metadata.name?.hasPrefix("bad-") == true }, "\(providers.map(\.metadata.name))"
            )
            let secrets = try await scenario.client.list(Secret.self, namespace: scenario.namespace).items
            #expect(!secrets.contains { $0.metadata.generateName?.hasPrefix("bad-") == true })

            // A Secret written by hand with a broken CA or flag gets a condition that names the key.
            for (key, value, reason) in [
                ("ca.crt", "garbage", "InvalidCACertificate"),
                ("insecureSkipVerify", "yes", "InvalidInsecureSkipVerify"),
            ] {
                let name = "hand-\(reason.lowercased())"
                _ = try await scenario.client.create(
                    Secret(
                        metadata: ObjectMeta(name: name, namespace: scenario.namespace),
                        stringData: ["region": "us-east-1", "url": "https://127.0.0.1:9", key: value]))
                let made = try await scenario.mtv(
                    "create", "provider", name, "--type", "ec2", "--ec2-region", "us-east-1",
                    "--secret", name, "--url", "https://127.0.0.1:9", "--target-az", "us-east-1a", "--wait-timeout", "0"
                )
                #expect(made.status == 0, "\(made.stderr)")
                let provider = try await scenario.waitFor(provider: name, condition: "ValidationFailed")
                let condition = try #require(provider.status?.conditions?[type: "ValidationFailed"])
                #expect(condition.reason == reason && condition.message?.contains(key) == true, "\(condition)")
            }
        }
    }
}
