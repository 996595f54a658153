import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// Bad input end to end: wrong flags, values, names and queries on the command line, and malformed objects
/// applied with kubectl. Each invocation exits non-zero with a message that names the problem and changes
/// nothing; the controller marks bad objects with conditions and keeps running.
@Suite(
    "Bad input", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct BadInputTests {
    /// Every object of the kinds the CLI writes, in the scenario's namespace, with its resourceVersion.
    /// What a command could change: every object's name, labels, annotations, finalizers and, for the Forklift
    /// kinds, its generation (the controller's status writes move the resourceVersion, not the generation);
    /// Secrets by resourceVersion.
    static func state(_ scenario: Scenario) async throws -> [String] {
        var found: [String] = []
        for resource in [ResourceType.providers, .plans, .migrations, .networkMaps, .storageMaps, .secrets] {
            for item in try await scenario.client.listAll(resource, namespace: scenario.namespace).items {
                let metadata = item["metadata"] ?? .null
                let version =
                    resource == .secrets
                    ? metadata["resourceVersion"]?.stringValue
                    : metadata["generation"].map { "\($0)" }
                let marks = ["labels", "annotations", "finalizers"].map {
                    String(decoding: (metadata[$0] ?? .null).serialized(), as: UTF8.self)
                }
                found.append("\(resource.kind)/\(metadata["name"]?.stringValue ?? "")@\(version ?? "") \(marks)")
            }
        }
        return found.sorted()
    }

    @Test("at least 50 wrong invocations: each exits non-zero, says what is wrong, and changes nothing")
    func cliInvocations() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, _ in
            let plan = try await scenario.mtv("create", "plan", "existing", "--source", "my-ec2", "--vms", "web-2")
            #expect(plan.status == 0, "\(plan.stderr)")
            let badFile = FileManager.default.temporaryDirectory.appending(path: "vms-\(UUID().uuidString).yaml").path
            try "name: [unclosed".write(toFile: badFile, atomically: true, encoding: .utf8)
            let keys = ["-u", "AKIAEXAMPLE", "-p", "not-a-real-secret"]
            let cases: [([String], String)] = [
                (
                    ["create", "provider", "x", "--type", "vsphere", "--ec2-region", "us-east-1"] + keys,
                    "not supported"
                ),
                (["create", "provider", "--type", "ec2", "--ec2-region", "us-east-1"] + keys, "name"),
                (["create", "provider", "Bad_Name", "--type", "ec2", "--ec2-region", "us-east-1"] + keys, "not valid"),
                (["create", "provider", "x", "--type", "ec2"] + keys, "--ec2-region is required"),
                (["create", "provider", "x", "--type", "ec2", "--ec2-region", "mars-north-9"] + keys, "region"),
                (
                    ["create", "provider", "x", "--type", "ec2", "--ec2-region", "us-east-1", "-u", "AKIAEXAMPLE"],
                    "password"
                ),
                (
                    ["create", "provider", "x", "--type", "ec2", "--ec2-region", "us-east-1", "--secret", "s"] + keys,
                    "cannot be combined"
                ),
                (
                    [
                        "create", "provider", "x", "--type", "ec2", "--ec2-region", "us-east-1", "--target-region",
                        "eu-west-1", "--target-az", "us-east-1a",
                    ] + keys, "is not in the target region eu-west-1"
                ),
                (
                    ["create", "provider", "x", "--type", "ec2", "--ec2-region", "us-east-1", "-o", "table"] + keys,
                    "yaml or json"
                ),
                (
                    ["create", "provider", "x", "--type", "ec2", "--ec2-region", "us-east-1", "--wait-timeout=-1"]
                        + keys, "negative"
                ),
                (["create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1"] + keys, "exists"),
                (["get", "provider", "nope"], "not found"),
                (["get", "provider", "-o", "xml"], "xml"),
                (["describe", "provider", "nope"], "not found"),
                (["delete", "provider", "nope"], "not found"),
                (["patch", "provider", "nope", "--ec2-region", "us-east-1"], "not found"),
                (["patch", "provider", "my-ec2"], "nothing"),
                (["get", "inventory", "ec2-bogus", "my-ec2"], "unknown inventory resource"),
                (["get", "inventory", "ec2-instance"], "the provider's name"),
                (["get", "inventory", "ec2-instance", "my-ec2", "--provider", "my-ec2"], "once"),
                (["get", "inventory", "ec2-instance", "nope"], "not found"),
                (["get", "inventory", "ec2-instance", "my-ec2", "-q", "where"], "invalid query"),
                (["get", "inventory", "ec2-instance", "my-ec2", "-q", "where name ="], "^"),
                (["get", "inventory", "ec2-instance", "my-ec2", "-q", "where name ~= '['"], "regular expression"),
                (["get", "inventory", "ec2-instance", "my-ec2", "-q", "select where"], "invalid query"),
                (["get", "inventory", "ec2-instance", "my-ec2", "-q", "where name in ('a')"], "["),
                (["get", "inventory", "ec2-instance", "my-ec2", "-o", "csv"], "csv"),
                (["create", "mapping", "network", "m", "--source", "my-ec2"], "--network-pairs"),
                (
                    ["create", "mapping", "storage", "m", "--source", "my-ec2", "--network-pairs", "a:b"],
                    "--storage-pairs"
                ),
                (
                    [
                        "create", "mapping", "network", "m", "--source", "my-ec2", "--network-pairs",
                        "subnet-none:default",
                    ], "not in the provider's inventory"
                ),
                (
                    [
                        "create", "mapping", "storage", "m", "--source", "my-ec2", "--storage-pairs",
                        "gp3:no-such-class",
                    ], "does not exist"
                ),
                (
                    [
                        "create", "mapping", "storage", "m", "--source", "my-ec2", "--storage-pairs",
                        "gp3:gp3-csi;volumeMode=Weird",
                    ], "volumeMode"
                ),
                (
                    [
                        "create", "mapping", "storage", "m", "--source", "my-ec2", "--storage-pairs",
                        "gp3:gp3-csi;volumeMode=Filesystem",
                    ],
                    "asks for volumeMode Filesystem, which cannot be honoured"
                ),
                (
                    [
                        "create", "mapping", "storage", "m", "--source", "my-ec2", "--storage-pairs",
                        "gp3:gp3-csi;accessMode=ReadWriteMany",
                    ],
                    "accessMode ReadWriteMany"
                ),
                (
                    [
                        "create", "mapping", "storage", "m", "--source", "my-ec2", "--storage-pairs",
                        "gp3:gp3-csi,gp3:gp2-csi",
                    ], "twice"
                ),
                (["create", "mapping", "bogus", "m", "--source", "my-ec2"], "bogus"),
                (
                    ["create", "mapping", "network", "m", "--source", "nope", "--network-pairs", "a:default"],
                    "not found"
                ),
                (["describe", "mapping", "network", "nope"], "not found"),
                (["delete", "mapping", "storage", "nope"], "not found"),
                (["delete", "mapping", "storage", "existing-storage-map"], "used by plan existing"),
                (["create", "plan", "p", "--source", "my-ec2"], "--vms"),
                (["create", "plan", "--source", "my-ec2", "--vms", "web-2"], "name"),
                (["create", "plan", "p", "q", "--source", "my-ec2", "--vms", "web-2"], "q"),
                (["create", "plan", "p", "--source", "my-ec2", "--vms", " "], "--vms is empty"),
                (["create", "plan", "existing", "--source", "my-ec2", "--vms", "web-2"], "already exists"),
                (
                    ["create", "plan", "p", "--source", "my-ec2", "--vms", "web-2", "--target-labels", "novalue"],
                    "key=value"
                ),
                (
                    ["create", "plan", "p", "--source", "my-ec2", "--vms", "web-2", "--target-node-selector", "=x"],
                    "key=value"
                ),
                (
                    ["create", "plan", "p", "--source", "my-ec2", "--vms", "web-2", "--storage-mapping", "nope"],
                    "not found"
                ),
                (
                    ["create", "plan", "p", "--source", "my-ec2", "--vms", "web-2", "--network-mapping", "nope"],
                    "not found"
                ),
                (
                    [
                        "create", "plan", "p", "--source", "my-ec2", "--vms", "web-2", "--default-target-network",
                        "a/b/c",
                    ], "default-target-network"
                ),
                (["create", "plan", "p", "--source", "my-ec2", "--vms", "@\(badFile)"], "not a YAML or JSON list"),
                (
                    ["create", "plan", "p", "--source", "my-ec2", "--vms", "web-2", "--target-namespace", ""],
                    "namespace"
                ),
                (
                    [
                        "create", "plan", "p", "--source", "my-ec2", "--vms", "web-2", "--storage-mapping", "m",
                        "--default-target-storage-class", "gp3-csi",
                    ], "no effect"
                ),
                (["get", "plan", "nope"], "not found"),
                (["get", "plan", "--vms"], "exactly one plan"),
                (["get", "plan", "nope", "--disk"], "not found"),
                (["describe", "plan", "nope"], "not found"),
                (["delete", "plan", "nope"], "not found"),
                (["archive", "plan", "nope"], "not found"),
                (["patch", "plan", "nope", "--description", "x"], "not found"),
                (["patch", "plan", "existing"], "nothing to change"),
                (["patch", "plan", "existing", "--target-power-state", "sideways"], "on, off or auto"),
                (["patch", "plan", "existing", "--use-compatibility-mode", "true"], "skip-guest-conversion"),
                (["start", "plan", "nope"], "not found"),
                (["start", "plan"], "name the plans"),
                (["start", "plan", "existing", "-o", "json"], "--dry-run"),
                (["cancel", "plan", "nope", "--vms", "a"], "not found"),
                (["cancel", "plan", "existing"], "--vms"),
                (["cancel", "plan", "existing", "--vms", "web-2"], "no running migration"),
                (["cleanup"], "--provider"),
                (["cleanup", "--provider", "nope"], "not found"),
                (["get", "plans", "--kubeconfig", "/nonexistent/kubeconfig"], "/nonexistent/kubeconfig"),
                (["get", "plans", "--context", "no-such-context"], "no-such-context"),
            ]
            #expect(cases.count >= 50)
            let before = try await Self.state(scenario)
            for (arguments, hint) in cases {
                let result = try await scenario.mtv(arguments)
                #expect(result.status != 0, "\(arguments) succeeded")
                #expect(result.stderr.contains(hint), "\(arguments): \(result.stderr)")
            }
            let unknown = try await MTVCLI.run(["frobnicate"], environment: scenario.environment)
            #expect(unknown.status != 0 && unknown.stderr.contains("frobnicate"), "\(unknown.stderr)")
            let after = try await Self.state(scenario)
            #expect(
                after == before,
                "nothing changed: before \(Set(before).subtracting(after)), after \(Set(after).subtracting(before))")
        }
    }

    @Test("malformed objects applied with kubectl get conditions that say what is wrong; the controller keeps running")
    func malformedObjects() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, ids in
            let web2 = try #require(ids["web-2"])
            let ns = scenario.namespace
            func plan(
                _ name: String, source: String = "my-ec2", vm: String = web2, targetNamespace: String = "vms",
                extra: String = ""
            ) -> String {
                """
                apiVersion: forklift.konveyor.io/v1beta1
                kind: Plan
                metadata: {name: \(name), namespace: \(ns)}
                spec:
                  provider:
                    source: {name: \(source), namespace: \(ns)}
                    destination: {name: host, namespace: \(ns)}
                  map:
                    network: {name: nets, namespace: \(ns)}
                    storage: {name: disks, namespace: \(ns)}
                  targetNamespace: \(targetNamespace)
                  vms: [{id: \(vm)}]
                \(extra)
                """
            }
            let maps = try await scenario.mtv("create", "plan", "base", "--source", "my-ec2", "--vms", "web-2")
            #expect(maps.status == 0)
            let manifests = [
                plan("no-provider", source: "missing"), plan("no-vm", vm: "i-0000000000000dead"),
                plan("bad-namespace", targetNamespace: "Bad_NS"), plan("warm", extra: "  type: warm"),
                plan("no-maps"),
                """
                apiVersion: forklift.konveyor.io/v1beta1
                kind: Migration
                metadata: {name: orphan, namespace: \(ns)}
                spec:
                  plan: {name: never-created, namespace: \(ns)}
                """,
                """
                apiVersion: forklift.konveyor.io/v1beta1
                kind: Provider
                metadata: {name: vsphere-like, namespace: \(ns)}
                spec: {type: vsphere, url: "https://vcenter.example", secret: {name: none, namespace: \(ns)}}
                """,
                """
                apiVersion: forklift.konveyor.io/v1beta1
                kind: Provider
                metadata: {name: no-secret, namespace: \(ns)}
                spec: {type: ec2, url: "", secret: {name: missing-secret, namespace: \(ns)}}
                """,
            ].map {
                $0.replacingOccurrences(of: "nets", with: "base-network-map").replacingOccurrences(
                    of: "disks", with: "base-storage-map")
            }
            var noMaps = manifests
            noMaps[4] = manifests[4].replacingOccurrences(of: "base-network-map", with: "missing-map")
            for manifest in noMaps {
                let applied = try await ProcessRunner.run(
                    ["kubectl", "apply", "-f", "-"], environment: scenario.environment.variables,
                    input: manifest)
                #expect(applied.status == 0, "\(applied.stderr)")
            }
            let expected: [(String, String)] = [
                ("no-provider", "SourceProviderNotValid"), ("no-vm", "VMNotFound"),
                ("bad-namespace", "TargetNamespaceNotValid"), ("warm", "MigrationTypeNotValid"),
                ("no-maps", "NetworkMapNotValid"),
            ]
            for (name, condition) in expected {
                let validated = try await PlanEndToEndTests.validated(scenario, name) {
                    $0.status?.conditions?[type: condition] != nil
                }
                #expect(validated.status?.conditions?.isTrue("Ready") == false, "\(name)")
            }
            let orphan = try await MigrationEndToEndTests.finished(scenario, plan: "never-created", seconds: 20)
            #expect(orphan.status?.conditions?[type: "Failed"]?.message?.contains("does not exist") == true)
            _ = try await scenario.waitFor(provider: "vsphere-like", condition: "ValidationFailed")
            let noSecret = try await scenario.waitFor(provider: "no-secret", condition: "ValidationFailed")
            #expect(noSecret.status?.conditions?[type: "ValidationFailed"]?.reason == "SecretNotFound")
            let health = try await ControlAPI.text(try #require(scenario.controller).url.appending(path: "healthz"))
            #expect(health.lowercased().contains("ok"), "the controller keeps running")
        }
    }
}
