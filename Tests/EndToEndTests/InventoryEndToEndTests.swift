import AWSClient
import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// The acceptance cases of `shared/acceptance/query-cases.md`, end to end: the fixture fleet in moto, a provider,
/// the controller's collector and inventory service, and `kubectl mtv get inventory`.
@Suite(
    "Inventory end to end", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct InventoryEndToEndTests {
    /// A ready provider over the fleet in moto's default account, with a collecting controller.
    static func withInventory(
        controllerArguments: [String] = [], _ body: (Scenario, [String: String]) async throws -> Void
    ) async throws {
        let environment = try #require(LocalEnvironment.current)
        // Suites run in parallel and share this fleet; seed-fleet's lock makes the later ones find it complete.
        let seeded = try await ProcessRunner.run([
            "scripts/seed-fleet", "--endpoint", environment.awsEndpoint.absoluteString, "--json",
        ])
        #expect(seeded.status == 0, "\(seeded.stderr)")
        let fleet = try JSONValue(parsing: Data(seeded.stdout.utf8))
        var ids: [String: String] = [:]
        for (key, value) in fleet["instances"]?.objectValue ?? [:] { ids[key] = value["id"]?.stringValue }
        try await Scenario.with(controllerArguments: ["--inventory-interval", "1"] + controllerArguments) { scenario in
            let created = try await scenario.mtv(
                "create", "provider", "my-ec2", "--type", "ec2", "--ec2-region", "us-east-1", "--username",
                scenario.sourceKey, "--password", scenario.sourceSecret, "--auto-target-credentials")
            #expect(created.status == 0, "\(created.stderr)")
            _ = try await scenario.waitFor(provider: "my-ec2", condition: "InventoryCreated")
            try await body(scenario, ids)
        }
    }

    func names(_ scenario: Scenario, _ query: String) async throws -> [String] {
        let result = try await scenario.inventory("ec2-instance", "my-ec2", "-q", query, "-o", "json")
        #expect(result.status == 0, "\(query): \(result.stderr)")
        return try JSONValue(parsing: Data(result.stdout.utf8)).arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test("every query case of the acceptance file returns exactly its names")
    func acceptanceQueries() async throws {
        try await Self.withInventory { scenario, ids in
            let unnamed = try #require(ids.first { $0.key.hasPrefix("i-") }?.key)
            let cases: [(String, Set<String>)] = [
                ("where powerState = 'Off'", ["web-2", "win-1", unnamed]),
                ("powerState = 'On'", ["web-1", "db-1", "arm-1"]),
                ("where label.Environment = 'production'", ["web-1", "db-1", "win-1"]),
                ("where label.tier = 'web' and powerState = 'On'", ["web-1"]),
                ("where InstanceType like 't3.%'", ["web-1", "web-2", unnamed]),
                ("where name ~= '^web'", ["web-1", "web-2"]),
                ("where name ilike 'WEB%'", ["web-1", "web-2"]),
                ("where any(Tags[*].Key = 'tier')", ["web-1", "web-2", "db-1"]),
                ("where len(BlockDeviceMappings) > 1", ["web-1", "db-1"]),
                ("where Architecture = 'arm64'", ["arm-1"]),
                ("where PublicIpAddress is not null", ["web-1", "arm-1"]),
                ("where InstanceType in ['r5.large', 'm5.xlarge']", ["db-1", "win-1"]),
                ("where label.Environment != 'production' and label.Environment is not null", ["web-2", "arm-1"]),
                ("where not (label.Environment = 'production')", ["web-2", "arm-1", unnamed]),
                ("where len(BlockDeviceMappings) + 1 > 2", ["web-1", "db-1"]),  // a literal '+' reaches the server
            ]
            for (query, expected) in cases {
                #expect(Set(try await names(scenario, query)) == expected, "\(query)")
            }
            #expect(try await names(scenario, "where powerState = 'On' order by name") == ["arm-1", "db-1", "web-1"])
            let projected = try await scenario.inventory(
                "ec2-instance", "my-ec2", "-q",
                "select name, InstanceType where label.Environment in ['production', 'staging'] order by name desc limit 2"
            )
            let lines = projected.stdout.split(separator: "\n").map {
                $0.split(separator: " ", omittingEmptySubsequences: true)
            }
            #expect(lines.first == ["NAME", "INSTANCETYPE"])
            #expect(lines.dropFirst().map { $0.first.map(String.init) } == ["win-1", "web-2"])
        }
    }

    @Test("query errors exit non-zero, point at the problem, and print nothing on stdout")
    func queryErrors() async throws {
        try await Self.withInventory { scenario, _ in
            let cases = [
                ("where name =", "^"), ("wher name = 'x'", "WHERE"), ("where name in ('a')", "["),
                ("where 1 / 0 > 1", "division by zero"), ("where name ~= '['", "regular expression"),
            ]
            for (query, hint) in cases {
                let result = try await scenario.inventory("ec2-instance", "my-ec2", "-q", query)
                #expect(result.status != 0, "\(query)")
                #expect(result.stdout.isEmpty, "\(query): \(result.stdout)")
                #expect(result.stderr.lowercased().contains(hint.lowercased()), "\(query): \(result.stderr)")
            }
        }
    }

    @Test("tables for instances, volumes, volume types and networks; the provider as argument or flag")
    func tables() async throws {
        try await Self.withInventory { scenario, ids in
            let instances = try await scenario.inventory("ec2-instance", "my-ec2")
            #expect(instances.stdout.hasPrefix("NAME"))
            #expect(["web-1", "web-2", "db-1", "win-1", "arm-1"].allSatisfy(instances.stdout.contains))
            let volumes = try await scenario.inventory("ec2-volumes", "--provider", "my-ec2")
            #expect(volumes.stdout.contains("io1") && volumes.stdout.contains("500Gi"))
            #expect(volumes.stdout.contains(try #require(ids["db-1"])))
            let types = try await scenario.inventory("ec2-volume-type", "my-ec2")
            #expect(types.stdout.contains("gp3") && types.stdout.contains("MAX-IOPS"))
            let networks = try await scenario.inventory("ec2-network", "my-ec2", "-o", "json")
            let kinds = try JSONValue(parsing: Data(networks.stdout.utf8)).arrayValue?.compactMap {
                $0["networkType"]?.stringValue
            }
            #expect(Set(kinds ?? []) == ["vpc", "subnet"])
            let none = try await scenario.inventory("ec2-instance", "my-ec2", "-q", "where name = 'nope'")
            #expect(none.stdout.contains("No EC2 instances found"))
            let markdown = try await scenario.inventory(
                "ec2-instance", "my-ec2", "-o", "markdown", "-q", "where name = 'web-1'")
            #expect(markdown.stdout.hasPrefix("| NAME |"))
        }
    }

    @Test("a deleted volume leaves the inventory within an interval")
    func deletionsArePropagated() async throws {
        try await Self.withInventory { scenario, _ in
            let ec2 = try scenario.environment.ec2(account: "123456789012")
            let volume = try await ec2.createVolume(
                CreateVolumeInput(
                    availabilityZone: "us-east-1a", size: 1,
                    volumeType: "gp3",
                    tagSpecifications: [TagSpecification(resourceType: "volume", tags: [Tag("Name", "short-lived")])]))
            try await waitUntil {
                try await scenario.inventory("ec2-volume", "my-ec2").stdout.contains(volume.volumeID)
            }
            try await ec2.deleteVolume(id: volume.volumeID)
            try await waitUntil {
                !(try await scenario.inventory("ec2-volume", "my-ec2").stdout.contains(volume.volumeID))
            }
        }
    }

    @Test("the service refuses a missing token (401) and a token without access (403)")
    func serviceAuthorization() async throws {
        try await Self.withInventory { scenario, _ in
            let provider = try await scenario.client.get(Provider.self, name: "my-ec2", namespace: scenario.namespace)
            let url = try #require(scenario.controller?.url).appending(
                path: "providers/ec2/\(provider.metadata.uid ?? "")/vms")
            #expect(try await status(url, token: nil) == 401)
            #expect(try await status(url, token: "not-a-token") == 401)
            #expect(try await status(url, token: scenario.environment.variables["FAKE_KUBE_NOBODY_TOKEN"]) == 403)
            #expect(try await status(url, token: scenario.environment.variables["FAKE_KUBE_VIEWER_TOKEN"]) == 200)
            let zones = url.deletingLastPathComponent().appending(path: "zones")
            #expect(try await status(zones, token: scenario.environment.variables["FAKE_KUBE_VIEWER_TOKEN"]) == 200)
            // Form encoding, as curl --data-urlencode and Go clients send it: '+' is a space.
            let form = try #require(URL(string: url.absoluteString + "?query=where+name+%3D+%27web-1%27"))
            let answer = try await ControlAPI.text(
                form, bearer: scenario.environment.variables["FAKE_KUBE_VIEWER_TOKEN"])
            let names = try JSONValue(parsing: Data(answer.utf8)).arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(names == ["web-1"], "\(answer.prefix(300))")
        }
    }

    @Test("a review whose connection is lost is asked again; one the API server cannot answer is a 503, not kept")
    func reviewsSurviveLostConnections() async throws {
        try await Self.withInventory { scenario, _ in
            let provider = try await scenario.client.get(Provider.self, name: "my-ec2", namespace: scenario.namespace)
            let url = try #require(scenario.controller?.url).appending(
                path: "providers/ec2/\(provider.metadata.uid ?? "")/vms")
            let faults = scenario.environment.fakeKubeControl.appending(path: "faults")
            // Tokens of this test only, so the faults touch no other test's reviews on the shared API server.
            let lost = "probe-lost-\(UUID().uuidString)", down = "probe-down-\(UUID().uuidString)"
            _ = try await ControlAPI.call(
                "POST", faults,
                [
                    "method": "POST", "resource": "tokenreviews", "bodyContains": lost, "reset": true, "count": 1,
                ])
            #expect(try await status(url, token: lost) == 401, "the review was asked again and answered")
            let armed = try await ControlAPI.call("GET", faults)
            #expect(!"\(armed ?? "")".contains(lost), "the connection was lost once (the fault is used up)")
            let broken = try #require(
                try await ControlAPI.call(
                    "POST", faults,
                    [
                        "method": "POST", "resource": "tokenreviews", "bodyContains": down, "status": 500, "count": -1,
                    ]) as? [String: Any])
            let answer = try await ControlAPI.answer(url, bearer: down)
            #expect(answer.status == 503 && answer.body.contains("try again"), "\(answer)")
            _ = try await ControlAPI.call("DELETE", faults.appending(path: "\(broken["id"] ?? 0)"))
            #expect(try await status(url, token: down) == 401, "the unanswered review was not kept as a decision")
        }
    }

    @Test("hostile queries get a 400 that names the limit; the service and /healthz keep answering")
    func hostileQueries() async throws {
        try await Self.withInventory { scenario, _ in
            let controller = try #require(scenario.controller)
            let provider = try await scenario.client.get(Provider.self, name: "my-ec2", namespace: scenario.namespace)
            let base = controller.url.appending(path: "providers/ec2/\(provider.metadata.uid ?? "")/vms").absoluteString
            let token = scenario.environment.variables["FAKE_KUBE_VIEWER_TOKEN"]
            func get(_ query: String) async throws -> (status: Int, body: String) {
                let url = try #require(URL(string: base + "?query=" + query))
                return try await ControlAPI.answer(url, bearer: token)
            }
            let deep = String(repeating: "%28", count: 5_000) + "name" + String(repeating: "%29", count: 5_000)
            let cases: [(String, String)] = [
                (deep, "64 levels"), ("where+" + String(repeating: "-", count: 3_000) + "1", "64 levels"),
                ("where+" + String(repeating: "len%28", count: 2_000) + "x", "64 levels"),
                ("where+name+in+" + String(repeating: "%5B", count: 3_000), "64 levels"),
                ("where+name+%3D+%27" + String(repeating: "x", count: 20_000) + "%27", "16384 bytes"),
                ("where+name+~%3D+%27%28a%29%5C1%27", "backreferences"), ("%FF%FEname", "not valid UTF-8"),
                ("where+LaunchTime+%3E+2024-02-30", "not a valid date"),
            ]
            for (query, message) in cases {
                let (status, body) = try await get(query)
                #expect(status == 400, "\(query.prefix(40)): \(status) \(body.prefix(200))")
                #expect(body.contains(message), "\(query.prefix(40)): \(body.prefix(300))")
            }
            // Patterns that stall backtracking engines, three at once, while /healthz and a plain query answer.
            async let slow1 = get("where+name+~%3D+%27%28.%2Aa%29%7B20%7Db%27")
            async let slow2 = get("where+name+~%3D+%27%5E%28a%2B%29%2B%24%27")
            async let slow3 = get("where+name+~%3D+%27%28x%2Bx%2B%29%2By%27")
            let health = try await ControlAPI.answer(controller.url.appending(path: "healthz"), bearer: nil)
            #expect(health.status == 200)
            let plain = try await get("where+name+%3D+%27web-1%27")
            #expect(plain.status == 200 && plain.body.contains("web-1"))
            for answer in try await [slow1, slow2, slow3] {
                #expect(answer.status == 200, "\(answer.body.prefix(200))")
            }
            // The fields the service adds can be queried like the others.
            let revision = try await get(
                "where+revision+%3E%3D+1+and+provider+%3D+%27\(provider.metadata.uid ?? "")%27")
            #expect(revision.status == 200 && revision.body.contains("web-1"), "\(revision.body.prefix(200))")

            // The CLI parses locally and says the same, with a non-zero exit.
            let cli = try await scenario.inventory(
                "ec2-instance", "my-ec2", "-q",
                "where " + String(repeating: "(", count: 100) + "name" + String(repeating: ")", count: 100))
            #expect(cli.status != 0 && cli.stderr.contains("64 levels"), "\(cli.stderr)")
        }
    }

    @Test("state columns are coloured on a terminal, and --no-color turns that off")
    func colours() async throws {
        try await Self.withInventory { scenario, _ in
            let controller = try #require(scenario.controller)
            var environment = scenario.environment.variables
            environment["PATH"] =
                ProcessRunner.repositoryRoot.appending(path: ".build/debug").path + ":"
                + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            environment["MTV_INVENTORY_URL"] = controller.url.absoluteString
            let command = "kubectl mtv get inventory ec2-instance my-ec2 -n \(scenario.namespace)"
            // `script` gives the command a terminal, as a person at a shell has.
            let coloured = try await ProcessRunner.run(
                ["env", "-u", "NO_COLOR", "script", "-qec", command, "/dev/null"],
                environment: environment)
            #expect(coloured.stdout.contains("\u{1B}[32mrunning\u{1B}[0m"), "\(coloured.stdout.prefix(400))")
            let plain = try await ProcessRunner.run(
                ["env", "-u", "NO_COLOR", "script", "-qec", command + " --no-color", "/dev/null"],
                environment: environment)
            #expect(
                plain.stdout.contains("running") && !plain.stdout.contains("\u{1B}["), "\(plain.stdout.prefix(400))")
        }
    }

    @Test("a standby replica collects and serves the same inventory as the leader, so either may answer")
    func standbyReplica() async throws {
        try await Self.withInventory(controllerArguments: ["--leader-elect", "--identity", "leader"]) { scenario, _ in
            let leader = try #require(scenario.controller)
            let standby = try await ControllerProcess(
                environment: scenario.environment, namespace: scenario.namespace,
                extraArguments: ["--leader-elect", "--identity", "standby", "--inventory-interval", "1"])
            defer { standby.process.stop() }
            #expect(try await ControlAPI.text(standby.url.appending(path: "leader")) == "standby")
            let provider = try await scenario.client.get(Provider.self, name: "my-ec2", namespace: scenario.namespace)
            let token = scenario.environment.variables["FAKE_KUBE_VIEWER_TOKEN"]
            let path = "providers/ec2/\(provider.metadata.uid ?? "")/vms?query=where+name+like+%27web%25%27"
            func names(_ controller: ControllerProcess) async throws -> [String]? {
                let answer = try await ControlAPI.answer(
                    try #require(URL(string: controller.url.absoluteString + "/" + path)),
                    bearer: token)
                guard answer.status == 200 else { return nil }
                return try JSONValue(parsing: Data(answer.body.utf8)).arrayValue?.compactMap { $0["name"]?.stringValue }
            }
            // The standby answers 503 only until its first pass, and is ready as soon as its caches are filled.
            let deadline = Date().addingTimeInterval(20)
            var fromStandby: [String]?
            while fromStandby == nil, Date() < deadline {
                fromStandby = try await names(standby)
                if fromStandby == nil { try await Task.sleep(nanoseconds: 200_000_000) }
            }
            #expect(fromStandby?.sorted() == ["web-1", "web-2"])
            #expect(try await names(leader)?.sorted() == fromStandby?.sorted())
            #expect(try await ControlAPI.answer(standby.url.appending(path: "readyz"), bearer: nil).status == 200)
            #expect(standby.logText.contains("inventory collected"))
            #expect(!standby.logText.contains("provider status"), "a standby never writes a Provider's status")
        }
    }

    @Test("a provider that is missing, not EC2 or not Ready gets a clear error")
    func providerProblems() async throws {
        try await Scenario.with(controller: false) { scenario in
            let missing = try await scenario.inventory("ec2-instance", "nope")
            #expect(missing.status != 0 && missing.stderr.contains("not found"))
            _ = try await scenario.mtv(
                "create", "provider", "idle", "--type", "ec2", "--ec2-region", "us-east-1",
                "--username", "a", "--password", "b", "--target-az", "us-east-1c", "--wait-timeout", "0")
            let unready = try await scenario.inventory("ec2-instance", "idle")
            #expect(unready.status != 0 && unready.stderr.contains("not ready"))
            let unknown = try await scenario.inventory("ec2-gadget", "idle")
            #expect(unknown.status != 0 && unknown.stderr.contains("ec2-instance"))
        }
    }

    func status(_ url: URL, token: String?) async throws -> Int {
        try await ControlAPI.status(url, bearer: token)
    }
}
