import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

@testable import MTVCLI

/// How the inventory is reached on a real cluster: the controller serves only HTTPS (and follows a renewed
/// certificate), identity headers are believed only from the API server's front proxy, and `kubectl mtv` finds
/// the inventory through the aggregated API with nothing but the kubeconfig. Serialized: the APIService and the
/// Service endpoint it names are cluster-wide, so one test at a time owns them.
@Suite(
    "Inventory access: HTTPS, front proxy, aggregated API", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct InventoryAccessTests {
    @Test(
        "the controller serves only HTTPS, refuses to start without a certificate, and serves a renewed one without a restart"
    )
    func servingCertificateRotation() async throws {
        let environment = try #require(LocalEnvironment.current)
        let refused = try await ProcessRunner.run([
            ProcessRunner.repositoryRoot.appending(path: ".build/debug/mtv-controller").path,
            "--kubeconfig", environment.kubeconfig,
        ])
        #expect(refused.status != 0 && refused.stderr.contains("--tls-cert-file"), "\(refused.stderr)")

        let directory = FileManager.default.temporaryDirectory.appending(path: "serving-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (certificate, key) = ("\(directory)/tls.crt", "\(directory)/tls.key")
        try await Self.issue(environment, certificate: certificate, key: key, commonName: "first")
        try await Scenario.with(controllerArguments: ["--tls-cert-file", certificate, "--tls-private-key-file", key]) {
            scenario in
            let controller = try #require(scenario.controller)
            let port = try #require(controller.url.port)
            #expect(try await Self.servedSubject(port).contains("first"))
            #expect(try await ControlAPI.answer(controller.url.appending(path: "healthz"), bearer: nil).status == 200)
            let plain = try await ProcessRunner.run([
                "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "http://127.0.0.1:\(port)/healthz",
            ])
            #expect(plain.stdout != "200", "plain HTTP is not served: \(plain.stdout) \(plain.stderr)")

            // A half-written renewal (a key without its certificate) keeps the old pair; the whole one is served.
            try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: certificate))
            try await Task.sleep(for: .seconds(6))
            #expect(try await Self.servedSubject(port).contains("first"))
            #expect(controller.logText.contains("did not reload"))
            try await Self.issue(environment, certificate: certificate, key: key, commonName: "renewed")
            let deadline = Date().addingTimeInterval(20)
            var subject = ""
            while Date() < deadline {
                subject = try await Self.servedSubject(port)
                if subject.contains("renewed") { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(subject.contains("renewed"), "the served certificate after renewal: \(subject)")
            #expect(try await ControlAPI.answer(controller.url.appending(path: "healthz"), bearer: nil).status == 200)
        }
    }

    @Test("identity headers are believed only over the front proxy's certificate; a forged X-Remote-User gets 401")
    func forgedRemoteUser() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, _ in
            let environment = scenario.environment
            let provider = try await scenario.client.get(Provider.self, name: "my-ec2", namespace: scenario.namespace)
            let url = try #require(scenario.controller?.url).appending(
                path: "providers/ec2/\(provider.metadata.uid ?? "")/vms")
            let tls = "\(environment.directory)/tls"
            let admin = ["X-Remote-User": "admin", "X-Remote-Group": "system:masters"]

            let bare = try await ControlAPI.answer(url, headers: admin)
            #expect(bare.status == 401 && bare.body.contains("front proxy"), "\(bare)")
            // A certificate the cluster CA signed is not the front proxy's.
            let clusterSigned = try await ControlAPI.answer(
                url, headers: admin,
                clientCertificate: ("\(tls)/client.crt", "\(tls)/client.key"))
            #expect(clusterSigned.status == 401 && clusterSigned.body.contains("request-header CA"), "\(clusterSigned)")
            // A bearer token does not make the headers believable either.
            let withToken = try await ControlAPI.answer(
                url,
                headers: admin.merging(
                    ["Authorization": "Bearer \(environment.variables["FAKE_KUBE_VIEWER_TOKEN"] ?? "")"]) { $1 })
            #expect(withToken.status == 401, "\(withToken)")

            let proxy = ("\(tls)/front-proxy-client.crt", "\(tls)/front-proxy-client.key")
            let viewer = try await ControlAPI.answer(
                url, headers: ["X-Remote-User": "viewer", "X-Remote-Group": "viewers"],
                clientCertificate: proxy)
            #expect(
                viewer.status == 200 && viewer.body.contains("web-1"), "\(viewer.status) \(viewer.body.prefix(200))")
            let nobody = try await ControlAPI.answer(
                url, headers: ["X-Remote-User": "nobody"], clientCertificate: proxy)
            #expect(nobody.status == 403 && nobody.body.contains("nobody"), "\(nobody)")
        }
    }

    @Test(
        "with MTV_INVENTORY_URL unset, kubectl mtv reads the inventory and selects plan VMs through the aggregated API")
    func aggregatedInventory() async throws {
        try await InventoryEndToEndTests.withInventory { scenario, _ in
            let environment = scenario.environment
            let port = try #require(scenario.controller?.url.port)
            let unset = ["MTV_INVENTORY_URL": ""]
            let lost = try await scenario.mtv(["get", "inventory", "ec2-instance", "my-ec2"], extraEnvironment: unset)
            #expect(lost.status != 0, "\(lost.stdout)")
            for way in ["APIService", "Route", "--inventory-url"] {
                #expect(lost.stderr.contains(way), "\(lost.stderr)")
            }

            let endpoints = environment.fakeKubeControl.appending(path: "endpoints")
            let service: [String: Any] = ["namespace": "openshift-mtv", "name": "mtv-inventory", "port": 8443]
            try await ControlAPI.call("POST", endpoints, service.merging(["address": "127.0.0.1:\(port)"]) { $1 })
            let ca = try Data(contentsOf: URL(fileURLWithPath: try #require(environment.variables["FAKE_KUBE_CA"])))
            let apiService: JSONValue = [
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                "metadata": ["name": "v1beta1.inventory.forklift.konveyor.io"],
                "spec": [
                    "group": "inventory.forklift.konveyor.io", "version": "v1beta1", "groupPriorityMinimum": 1000,
                    "versionPriority": 15, "caBundle": .string(ca.base64EncodedString()),
                    "service": ["namespace": "openshift-mtv", "name": "mtv-inventory", "port": 8443],
                ],
            ]
            _ = try await scenario.client.create(.apiServices, apiService)
            do {
                try await Self.checkAggregated(scenario, unset: unset)
            } catch {
                Issue.record(error)
            }
            try await scenario.client.delete(.apiServices, name: "v1beta1.inventory.forklift.konveyor.io")
            try await ControlAPI.call("DELETE", endpoints, service)
        }
    }

    /// The aggregated API's checks, while this test owns the APIService.
    static func checkAggregated(_ scenario: Scenario, unset: [String: String]) async throws {
        let deadline = Date().addingTimeInterval(20)
        var available = InventoryOptions.Availability.absent
        while Date() < deadline {
            available = try await InventoryOptions.availability(client: scenario.client)
            if case .available = available { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        guard case .available = available else {
            Issue.record("the APIService never became Available: \(available)")
            return
        }
        let listed = try await scenario.mtv(
            ["get", "inventory", "ec2-instance", "my-ec2", "-q", "where name = 'web-1'"],
            extraEnvironment: unset)
        #expect(
            listed.status == 0 && listed.stdout.contains("web-1") && !listed.stdout.contains("web-2"),
            "\(listed.stdout) \(listed.stderr)")
        let plan = try await scenario.mtv(
            [
                "create", "plan", "through-api", "--source", "my-ec2", "--target", "host",
                "--vms", "where label.tier = 'web'", "--target-namespace", "web-vms",
            ], extraEnvironment: unset)
        #expect(plan.status == 0 && plan.stderr.contains("Found 2 VM(s) matching the query"), "\(plan.stderr)")

        // The API server checks RBAC before it passes a request on; the controller then checks the Provider.
        let kube = try #require(scenario.environment.variables["FAKE_KUBE_URL"])
        let path =
            "\(kube)/apis/inventory.forklift.konveyor.io/v1beta1/namespaces/\(scenario.namespace)/providers/my-ec2/vms"
        let viewer = try await ControlAPI.answer(
            try #require(URL(string: path)),
            bearer: scenario.environment.variables["FAKE_KUBE_VIEWER_TOKEN"])
        #expect(viewer.status == 200 && viewer.body.contains("web-1"), "\(viewer.status) \(viewer.body.prefix(300))")
        let nobody = try await ControlAPI.answer(
            try #require(URL(string: path)),
            bearer: scenario.environment.variables["FAKE_KUBE_NOBODY_TOKEN"])
        #expect(nobody.status == 403, "\(nobody)")
        // The host provider's inventory through the same API (the cluster's storage classes).
        let hostPath =
            "\(kube)/apis/inventory.forklift.konveyor.io/v1beta1/namespaces/\(scenario.namespace)/providers/host/storageclasses"
        let classes = try await ControlAPI.answer(
            try #require(URL(string: hostPath)),
            bearer: scenario.environment.variables["FAKE_KUBE_VIEWER_TOKEN"])
        #expect(
            classes.status == 200 && classes.body.contains("gp3-csi"), "\(classes.status) \(classes.body.prefix(300))")
        let raw = try await ProcessRunner.run(
            [
                "kubectl", "get", "--raw",
                "/apis/inventory.forklift.konveyor.io/v1beta1/namespaces/\(scenario.namespace)/providers/my-ec2/zones",
            ],
            environment: scenario.environment.variables)
        #expect(raw.status == 0 && raw.stdout.contains("us-east-1a"), "\(raw.stdout.prefix(300)) \(raw.stderr)")
    }

    /// Issues a serving certificate for 127.0.0.1 from the local environment's CA, replacing the files.
    static func issue(
        _ environment: LocalEnvironment, certificate: String, key: String, commonName: String
    ) async throws {
        let tls = "\(environment.directory)/tls"
        let scratch = FileManager.default.temporaryDirectory.appending(path: "issue-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try Data("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".utf8).write(
            to: URL(fileURLWithPath: "\(scratch)/ext"))
        for step in [
            [
                "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(scratch)/key", "-out",
                "\(scratch)/csr",
                "-subj", "/CN=\(commonName)",
            ],
            [
                "openssl", "x509", "-req", "-in", "\(scratch)/csr", "-CA", "\(tls)/ca.crt", "-CAkey", "\(tls)/ca.key",
                "-CAcreateserial", "-out", "\(scratch)/crt", "-days", "1", "-extfile", "\(scratch)/ext",
            ],
        ] {
            let result = try await ProcessRunner.run(step)
            #expect(result.status == 0, "\(step.joined(separator: " ")): \(result.stderr)")
        }
        // The key first, then the certificate, as a renewal that is not atomic would write them.
        for (source, target) in [("\(scratch)/key", key), ("\(scratch)/crt", certificate)] {
            if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
            try FileManager.default.copyItem(atPath: source, toPath: target)
        }
    }

    /// The subject of the certificate the server on `port` presents.
    static func servedSubject(_ port: Int) async throws -> String {
        let result = try await ProcessRunner.run([
            "sh", "-c",
            "openssl s_client -connect 127.0.0.1:\(port) </dev/null 2>/dev/null | openssl x509 -noout -subject",
        ])
        return result.stdout
    }
}
