import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// `kubectl mtv` and `mtv-controller` as built, against the fake cluster and moto: a namespace and a controller
/// of each test's own.
struct Scenario {
    let environment: LocalEnvironment
    let namespace: String
    let client: KubernetesClient
    let controller: ControllerProcess?

    static func with(
        controller: Bool = true, controllerArguments: [String] = [], controllerEnvironment: [String: String] = [:],
        _ body: (Scenario) async throws -> Void
    ) async throws {
        let environment = try #require(LocalEnvironment.current)
        let client = try KubernetesClient(
            configuration: try KubernetesConfiguration.load(kubeconfig: environment.kubeconfig, environment: [:]))
        let namespace = "cli-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await client.create(Namespace(name: namespace))
        let process =
            controller
            ? try await ControllerProcess(
                environment: environment, namespace: namespace, extraArguments: controllerArguments,
                extraEnvironment: controllerEnvironment)
            : nil
        let scenario = Scenario(environment: environment, namespace: namespace, client: client, controller: process)
        do {
            try await body(scenario)
        } catch {
            process?.process.stop()
            try? await client.shutdown()
            throw error
        }
        process?.process.stop()
        try await client.shutdown()
    }

    /// `kubectl mtv arguments…` in this scenario's namespace, reading this scenario's controller's inventory.
    func mtv(_ arguments: String..., extraEnvironment: [String: String] = [:]) async throws -> ProcessRunner.Result {
        try await mtv(arguments, extraEnvironment: extraEnvironment)
    }

    /// `kubectl mtv arguments…` with the arguments as an array.
    func mtv(_ arguments: [String], extraEnvironment: [String: String] = [:]) async throws -> ProcessRunner.Result {
        let inventory = controller.map { ["MTV_INVENTORY_URL": $0.url.absoluteString] } ?? [:]
        return try await MTVCLI.run(
            arguments, namespace: namespace, environment: environment,
            extraEnvironment: inventory.merging(extraEnvironment) { _, given in given })
    }

    /// `kubectl mtv get inventory …` against this scenario's controller.
    func inventory(_ arguments: String...) async throws -> ProcessRunner.Result {
        try await mtv(["get", "inventory"] + arguments)
    }

    /// Waits for the provider's conditions to include `type` (True), returning the provider.
    func waitFor(provider name: String, condition type: String, seconds: Double = 20) async throws -> Provider {
        let deadline = Date().addingTimeInterval(seconds)
        var last: Provider?
        while Date() < deadline {
            last = try await client.get(Provider.self, name: name, namespace: namespace)
            if last?.status?.conditions?.isTrue(type) == true { return last! }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        Issue.record("provider \(name) never had \(type); conditions: \(String(describing: last?.status?.conditions))")
        throw CancellationError()
    }

    var sourceKey: String { environment.variables["AWS_ACCESS_KEY_ID"]! }
    var sourceSecret: String { environment.variables["AWS_SECRET_ACCESS_KEY"]! }
}

@Suite(
    "EC2 providers end to end (kubectl mtv + mtv-controller)",
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct ProviderEndToEndTests {
    @Test("slide 12: the provider becomes Ready within seconds; the target comes from the cluster")
    func slide12() async throws {
        try await Scenario.with { scenario in
            let result = try await scenario.mtv(
                "create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1", "--username",
                scenario.sourceKey, "--password", scenario.sourceSecret, "--auto-target-credentials")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("provider/my-ec2 created"))
            #expect(result.stdout.contains("is Ready"))
            #expect(!(result.stdout + result.stderr).contains(scenario.sourceSecret))

            let provider = try await scenario.waitFor(provider: "my-ec2", condition: "Ready")
            #expect(provider.spec.settings?["target-az"] == "us-east-1c")
            #expect(provider.spec.settings?["target-region"] == "us-east-1")
            #expect(provider.spec.url == scenario.environment.awsEndpoint.absoluteString)
            #expect(provider.metadata.annotations?["ec2.forklift.konveyor.io/source-account-id"] == "123456789012")

            let secret = try await scenario.client.get(
                Secret.self, name: try #require(provider.spec.secret.name), namespace: scenario.namespace)
            #expect(
                secret.value("targetAccessKeyId") == scenario.environment.variables["FAKE_KUBE_TARGET_KEY_ID"]
                    || secret.value("targetAccessKeyId")?.hasPrefix("AKIA") == true)
            #expect(secret.value("region") == "us-east-1")
            #expect(secret.metadata.ownerReferences?.first?.uid == provider.metadata.uid)

            let table = try await scenario.mtv("get", "provider")
            #expect(table.stdout.contains("my-ec2") && table.stdout.contains("Ready"))
            let described = try await scenario.mtv("describe", "provider", "my-ec2")
            #expect(described.stdout.contains("Setting target-az:"))
            #expect(described.stdout.contains("us-east-1c"))
            #expect(!described.stdout.contains(scenario.sourceSecret))
            let json = try await scenario.mtv("get", "provider", "my-ec2", "-o", "json")
            #expect(try JSONValue(parsing: Data(json.stdout.utf8))[path: ["spec", "type"]] == "ec2")

            let metrics = try await ControlAPI.text(try #require(scenario.controller).url.appending(path: "metrics"))
            #expect(metrics.contains("mtv_providers_ready 1"))
            #expect(metrics.contains(#"mtv_provider_reconciles_total{result="success"}"#))

            let log = try #require(scenario.controller).logText
            #expect(log.contains("provider status"))
            #expect(!log.contains(scenario.sourceSecret), "the controller log must not contain the secret key")

            let deleted = try await scenario.mtv("delete", "provider", "my-ec2")
            #expect(deleted.status == 0)
            let secrets = try await scenario.client.list(Secret.self, namespace: scenario.namespace).items
            #expect(secrets.isEmpty, "the owned Secret goes with its provider")
        }
    }

    @Test("a wrong secret (moto checking signatures) leaves the provider not Ready with AuthFailure")
    func wrongSecret() async throws {
        let (moto, keyID, _) = try await MotoServer.withSignatureChecking()
        defer { moto.stop() }
        try await Scenario.with { scenario in
            let result = try await scenario.mtv(
                "create", "provider", "bad-keys", "--type", "ec2", "--ec2-region", "us-east-1", "--username", keyID,
                "--password", "definitely-wrong-secret", "--url", moto.url.absoluteString, "--target-az", "us-east-1c")
            #expect(result.status == 0)
            #expect(result.stderr.contains("AuthFailure") || result.stderr.contains("SignatureDoesNotMatch"))
            let provider = try await scenario.waitFor(provider: "bad-keys", condition: "ConnectionTestFailed")
            let failed = try #require(provider.status?.conditions?[type: "ConnectionTestFailed"])
            #expect(["AuthFailure", "SignatureDoesNotMatch", "InvalidClientTokenId"].contains(failed.reason ?? ""))
            #expect(failed.suggestion?.contains("accessKeyId/secretAccessKey") == true)
            #expect(provider.status?.conditions?.isTrue("Ready") != true)
            #expect(!(failed.message ?? "").contains("definitely-wrong-secret"))
        }
    }

    @Test("a Secret without a region gives ValidationFailed; fixing the Secret makes the provider Ready")
    func secretChangesAreRetested() async throws {
        try await Scenario.with { scenario in
            _ = try await scenario.client.create(
                Secret(
                    metadata: ObjectMeta(name: "manual", namespace: scenario.namespace),
                    stringData: [
                        "accessKeyId": scenario.sourceKey, "secretAccessKey": scenario.sourceSecret,
                        "url": scenario.environment.awsEndpoint.absoluteString,
                    ]))
            _ = try await scenario.client.create(
                Provider(
                    metadata: ObjectMeta(name: "manual", namespace: scenario.namespace),
                    spec: Provider.Spec(
                        type: "ec2", url: scenario.environment.awsEndpoint.absoluteString,
                        secret: ObjectReference(name: "manual", namespace: scenario.namespace))))
            let invalid = try await scenario.waitFor(provider: "manual", condition: "ValidationFailed")
            #expect(invalid.status?.conditions?[type: "ValidationFailed"]?.reason == "MissingRegion")

            _ = try await scenario.client.patch(
                .secrets, name: "manual", namespace: scenario.namespace,
                .merge(["stringData": ["region": "us-east-1"]]))
            let ready = try await scenario.waitFor(provider: "manual", condition: "Ready")
            #expect(ready.status?.conditions?[type: "ValidationFailed"] == nil)
        }
    }

    @Test("patch provider: a new region moves a default endpoint and the target zone; keys change in the owned Secret")
    func patchProvider() async throws {
        try await Scenario.with(controller: false) { scenario in
            let created = try await scenario.mtv(
                "create", "provider", "moving", "--type", "ec2", "--ec2-region", "us-east-1", "--username", "AKIAOLD",
                "--password", "old-secret", "--url", "https://ec2.us-east-1.amazonaws.com", "--target-az", "us-east-1c",
                "--wait-timeout", "0")
            #expect(created.status == 0, "\(created.stderr)")
            let patched = try await scenario.mtv(
                "patch", "provider", "moving", "--ec2-region", "eu-west-1", "--username",
                "AKIANEW", "--password", "new-secret")
            #expect(patched.status == 0, "\(patched.stderr)")
            let provider = try await scenario.client.get(Provider.self, name: "moving", namespace: scenario.namespace)
            #expect(provider.spec.url == "https://ec2.eu-west-1.amazonaws.com")
            #expect(provider.spec.settings == ["target-region": "eu-west-1", "target-az": "eu-west-1a"])
            let secret = try await scenario.client.get(
                Secret.self, name: try #require(provider.spec.secret.name), namespace: scenario.namespace)
            #expect(secret.value("region") == "eu-west-1")
            #expect(secret.value("url") == "https://ec2.eu-west-1.amazonaws.com")
            #expect(secret.value("accessKeyId") == "AKIANEW" && secret.value("secretAccessKey") == "new-secret")

            let custom = try await scenario.mtv(
                "create", "provider", "custom", "--type", "ec2", "--ec2-region", "us-east-1", "--username", "A",
                "--password", "B", "--target-az", "us-east-1c", "--wait-timeout", "0")
            #expect(custom.status == 0)
            _ = try await scenario.mtv("patch", "provider", "custom", "--target-az", "us-east-1b")
            let kept = try await scenario.client.get(Provider.self, name: "custom", namespace: scenario.namespace)
            #expect(kept.spec.url == scenario.environment.awsEndpoint.absoluteString, "a custom endpoint stays")
            #expect(kept.spec.settings?["target-az"] == "us-east-1b")

            // a cluster in another region: the target follows the zone, the source stays, and a new source region
            // leaves the target where the cluster is
            let across = try await scenario.mtv(
                "patch", "provider", "custom", "--target-az", "eu-west-1a", "--target-kms-key", "alias/migrated")
            #expect(across.status == 0, "\(across.stderr)")
            let moved = try await scenario.client.get(Provider.self, name: "custom", namespace: scenario.namespace)
            #expect(
                moved.spec.settings == [
                    "target-region": "eu-west-1", "target-az": "eu-west-1a", "target-kms-key": "alias/migrated",
                ])
            _ = try await scenario.mtv(
                "patch", "provider", "custom", "--ec2-region", "us-west-2", "--target-kms-key", "")
            let source = try await scenario.client.get(Provider.self, name: "custom", namespace: scenario.namespace)
            #expect(source.spec.settings == ["target-region": "eu-west-1", "target-az": "eu-west-1a"])
            let badKey = try await scenario.mtv("patch", "provider", "custom", "--target-kms-key", "my key")
            #expect(badKey.status != 0 && badKey.stderr.contains("--target-kms-key"))
            let nothing = try await scenario.mtv("patch", "provider", "custom")
            #expect(nothing.status != 0 && nothing.stderr.contains("nothing to change"))
        }
    }

    @Test("get provider -w prints a row when a provider changes")
    func watchProviders() async throws {
        try await Scenario.with(controller: false) { scenario in
            let log = FileManager.default.temporaryDirectory.appending(path: "watch-\(UUID().uuidString)").path
            var environment = scenario.environment.variables
            environment["PATH"] =
                ProcessRunner.repositoryRoot.appending(path: ".build/debug").path + ":"
                + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            let watcher = try ManagedProcess(
                ["kubectl", "mtv", "get", "provider", "-w", "-n", scenario.namespace], environment: environment,
                log: log)
            // The empty listing is printed once the watch is open; only then is the provider created.
            try await waitUntil(seconds: 15) {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("No providers found")
            }
            _ = try await scenario.mtv(
                "create", "provider", "watched", "--type", "ec2", "--ec2-region", "us-east-1",
                "--username", "A", "--password", "B", "--target-az", "us-east-1c", "--wait-timeout", "0")
            var text = ""
            for _ in 0..<50 {
                text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if text.contains("watched") { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            watcher.stop()
            #expect(text.contains("No providers found"))
            #expect(text.contains("watched"))
        }
    }

    @Test("version and shell completion")
    func versionAndCompletion() async throws {
        try await Scenario.with(controller: false) { scenario in
            #expect(
                try await MTVCLI.run(["version"], environment: scenario.environment).stdout.contains(
                    "kubectl-mtv 0.1.0"))
            let completion = try await MTVCLI.run(
                ["--generate-completion-script", "bash"], environment: scenario.environment)
            #expect(completion.status == 0)
            #expect(completion.stdout.contains("provider"))
        }
    }

    @Test("--dry-run prints the objects with credentials redacted and creates nothing")
    func dryRun() async throws {
        try await Scenario.with(controller: false) { scenario in
            let result = try await scenario.mtv(
                "create", "provider", "preview", "--type", "ec2", "--ec2-region", "eu-west-1", "--username",
                "AKIAPREVIEW",
                "--password", "preview-secret-value", "--target-az", "eu-west-1b", "--dry-run", "-o", "json")
            #expect(result.status == 0, "\(result.stderr)")
            let list = try JSONValue(parsing: Data(result.stdout.utf8))
            let items = try #require(list["items"]?.arrayValue)
            #expect(items.map { $0["kind"]?.stringValue } == ["Secret", "Provider"])
            #expect(items[1][path: ["spec", "settings", "target-az"]] == "eu-west-1b")
            #expect(!result.stdout.contains("preview-secret-value"))
            #expect(items[0][path: ["stringData", "region"]] == "eu-west-1")
            #expect(try await scenario.client.list(Provider.self, namespace: scenario.namespace).items.isEmpty)
            #expect(try await scenario.client.list(Secret.self, namespace: scenario.namespace).items.isEmpty)
        }
    }

    @Test(
        "bad input exits non-zero with a pointed message and leaves nothing behind",
        arguments: [
            (
                ["create", "provider", "p", "--type", "ec2", "--ec2-region", "us-east-1", "--username", "a"],
                "--password"
            ),
            (["create", "provider", "p", "--type", "ec2", "--username", "a", "--password", "b"], "--ec2-region"),
            (
                [
                    "create", "provider", "p", "--type", "ec2", "--ec2-region", "mars-1", "--username", "a",
                    "--password", "b",
                ],
                "not an AWS region"
            ),
            (
                [
                    "create", "provider", "p", "--type", "vsphere", "--ec2-region", "us-east-1", "--username", "a",
                    "--password", "b",
                ],
                "not supported"
            ),
            (
                [
                    "create", "provider", "P_1", "--type", "ec2", "--ec2-region", "us-east-1", "--username", "a",
                    "--password", "b",
                ],
                "not valid"
            ),
            (
                [
                    "create", "provider", "p", "--type", "ec2", "--ec2-region", "us-east-1", "--username", "a",
                    "--password", "b",
                    "--target-kms-key", "my key",
                ], "--target-kms-key: 'my key' is not a KMS key"
            ),
            (
                [
                    "create", "provider", "p", "--type", "ec2", "--ec2-region", "us-east-1", "--username", "a",
                    "--password", "b",
                    "--url", "ftp://nowhere",
                ], "not an http(s) URL"
            ),
            (
                ["create", "provider", "p", "--type", "ec2", "--ec2-region", "us-east-1", "--secret", "absent"],
                "does not exist"
            ),
            (
                [
                    "create", "provider", "p", "--type", "ec2", "--ec2-region", "us-east-1", "--username", "a",
                    "--password", "b",
                    "--target-zone", "us-east-1c",
                ], "Unknown option '--target-zone'"
            ),
            (["describe", "provider", "nope"], "not found"),
            (["delete", "provider"], "Missing expected argument"),
        ])
    func badInput(arguments: [String], message: String) async throws {
        try await Scenario.with(controller: false) { scenario in
            let result = try await MTVCLI.run(
                arguments, namespace: scenario.namespace, environment: scenario.environment)
            #expect(result.status != 0)
            #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(try await scenario.client.list(Provider.self, namespace: scenario.namespace).items.isEmpty)
            #expect(try await scenario.client.list(Secret.self, namespace: scenario.namespace).items.isEmpty)
        }
    }

    @Test("if the Provider cannot be created, the Secret made for it is removed")
    func noHalfCreatedObjects() async throws {
        try await Scenario.with(controller: false) { scenario in
            try await ControlAPI.call(
                "POST", scenario.environment.fakeKubeControl.appending(path: "faults"),
                [
                    "method": "POST",
                    "path": "/apis/forklift.konveyor.io/v1beta1/namespaces/\(scenario.namespace)/providers",
                    "status": 422, "count": 1, "message": "injected",
                ])
            let result = try await scenario.mtv(
                "create", "provider", "half", "--type", "ec2", "--ec2-region", "us-east-1", "--username", "a",
                "--password", "b", "--target-az", "us-east-1c")
            #expect(result.status != 0)
            #expect(result.stderr.contains("injected"))
            #expect(try await scenario.client.list(Secret.self, namespace: scenario.namespace).items.isEmpty)
        }
    }
}

@Suite(
    "Leader election", .skipped(unless: .localEnvironment), Requirement.localEnvironment,
    .integrationTimeLimit)
struct LeaderElectionTests {
    @Test("of two controllers one leads; when it is killed the other takes over")
    func failover() async throws {
        let environment = try #require(LocalEnvironment.current)
        let namespace = "le-\(UUID().uuidString.prefix(8).lowercased())"
        let client = try KubernetesClient(
            configuration: try KubernetesConfiguration.load(kubeconfig: environment.kubeconfig, environment: [:]))
        _ = try await client.create(Namespace(name: namespace))
        let flags = ["--leader-elect", "--lease-duration", "3", "--lease-retry-period", "0.3"]
        let first = try await ControllerProcess(
            environment: environment, namespace: namespace,
            extraArguments: flags + ["--identity", "first"])
        try await waitUntil { try await role(first) == "leader" }
        let second = try await ControllerProcess(
            environment: environment, namespace: namespace,
            extraArguments: flags + ["--identity", "second"])
        try await waitUntil { try await role(second) == "standby" }
        #expect(
            try await client.get(Lease.self, name: "mtv-controller-leader", namespace: namespace).spec.holderIdentity
                == "first")

        first.process.crash()
        try await waitUntil(seconds: 15) { try await role(second) == "leader" }
        #expect(
            try await client.get(Lease.self, name: "mtv-controller-leader", namespace: namespace).spec.holderIdentity
                == "second")
        second.process.stop()
        try await client.shutdown()
    }

    @Test("a standby whose clock runs an hour ahead never takes a lease the leader keeps renewing")
    func skewedStandby() async throws {
        let environment = try #require(LocalEnvironment.current)
        let namespace = "le-\(UUID().uuidString.prefix(8).lowercased())"
        let client = try KubernetesClient(
            configuration: try KubernetesConfiguration.load(kubeconfig: environment.kubeconfig, environment: [:]))
        _ = try await client.create(Namespace(name: namespace))
        let flags = ["--leader-elect", "--lease-duration", "3", "--lease-retry-period", "0.3"]
        let first = try await ControllerProcess(
            environment: environment, namespace: namespace,
            extraArguments: flags + ["--identity", "first"])
        try await waitUntil { try await role(first) == "leader" }
        let second = try await ControllerProcess(
            environment: environment, namespace: namespace,
            extraArguments: flags + ["--identity", "ahead"], extraEnvironment: ["MTV_TEST_CLOCK_SKEW": "3600"])
        // Three lease durations: a standby comparing renewTime with its clock would have taken the lease at once.
        var renewals = Set<String>()
        while renewals.count < 30 {
            let lease = try await client.get(Lease.self, name: "mtv-controller-leader", namespace: namespace)
            #expect(lease.spec.holderIdentity == "first")
            renewals.insert(lease.spec.renewTime ?? "")
            #expect(try await role(second) == "standby")
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        // Both replicas serve the inventory, so both are ready; only one leads.
        #expect(try await ControlAPI.status(second.url.appending(path: "readyz"), bearer: nil) == 200)
        #expect(try await ControlAPI.status(first.url.appending(path: "readyz"), bearer: nil) == 200)

        first.process.crash()
        try await waitUntil(seconds: 15) { try await role(second) == "leader" }
        second.process.stop()
        try await client.shutdown()
    }

    func role(_ controller: ControllerProcess) async throws -> String {
        String(describing: try await ControlAPI.text(controller.url.appending(path: "leader")))
    }
}
