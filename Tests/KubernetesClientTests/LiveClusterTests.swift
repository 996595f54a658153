import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// A client for the local environment's fake cluster and a namespace of the test's own.
struct Cluster {
    let client: KubernetesClient
    let namespace: String
    let environment: LocalEnvironment

    /// Runs `body` with a fresh namespace, then shuts the client down whatever happened.
    static func with(_ body: (Cluster) async throws -> Void) async throws {
        let cluster = try await make()
        do {
            try await body(cluster)
        } catch {
            try? await cluster.client.shutdown()
            throw error
        }
        try await cluster.client.shutdown()
    }

    private static func make() async throws -> Cluster {
        let environment = try #require(LocalEnvironment.current)
        let configuration = try KubernetesConfiguration.load(
            kubeconfig: environment.kubeconfig, environment: [:])
        let client = try KubernetesClient(configuration: configuration)
        let namespace = "t-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await client.create(Namespace(name: namespace))
        return Cluster(client: client, namespace: namespace, environment: environment)
    }

    func fault(_ spec: [String: Any]) async throws {
        try await ControlAPI.call("POST", environment.fakeKubeControl.appending(path: "faults"), spec)
    }

    func configMap(_ name: String, labels: [String: String] = [:], data: [String: String] = ["k": "v"]) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": .object(labels.mapValues(JSONValue.string)),
            ],
            "data": .object(data.mapValues(JSONValue.string)),
        ]
    }
}

@Suite(
    "Kubernetes client against the fake cluster", .skipped(unless: .localEnvironment), Requirement.localEnvironment,
    .integrationTimeLimit)
struct LiveClusterTests {
    @Test("create with generateName, get, list by label and field, delete")
    func basicVerbs() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            var secret = Secret(
                metadata: ObjectMeta(namespace: cluster.namespace, labels: ["app": "mtv"]),
                stringData: ["accessKeyId": "AKIDTEST"])
            secret.metadata.generateName = "ec2-"
            let created = try await client.create(secret)
            let name = try #require(created.metadata.name)
            #expect(name.hasPrefix("ec2-") && name.count == 9)
            #expect(created.metadata.uid != nil && created.metadata.resourceVersion != nil)
            #expect(
                try await client.get(Secret.self, name: name, namespace: cluster.namespace).value("accessKeyId")
                    == "AKIDTEST")

            _ = try await client.create(ConfigMapResource.type, cluster.configMap("other", labels: ["app": "x"]))
            let byLabel = try await client.list(
                Secret.self, namespace: cluster.namespace, options: ListOptions(labelSelector: "app=mtv"))
            #expect(byLabel.items.map(\.metadata.name) == [name])
            let byField = try await client.listAll(
                ConfigMapResource.type, namespace: cluster.namespace,
                options: ListOptions(fieldSelector: "metadata.name=other"))
            #expect(byField.items.count == 1)

            try await client.delete(created)
            let error = await #expect(throws: KubernetesError.self) {
                try await client.get(Secret.self, name: name, namespace: cluster.namespace)
            }
            #expect(error?.isNotFound == true)
            #expect(error?.message.contains("not found") == true)
        }
    }

    @Test("an existing name gives AlreadyExists; a stale resourceVersion gives Conflict")
    func conflicts() async throws {
        try await Cluster.with { cluster in
            let first = try await cluster.client.create(ConfigMapResource.type, cluster.configMap("cm"))
            let duplicate = await #expect(throws: KubernetesError.self) {
                try await cluster.client.create(ConfigMapResource.type, cluster.configMap("cm"))
            }
            #expect(duplicate?.isAlreadyExists == true)

            var newer = first
            newer["data"] = ["k": "newer"]
            _ = try await cluster.client.replace(ConfigMapResource.type, newer)
            var stale = first
            stale["data"] = ["k": "stale"]
            let conflict = await #expect(throws: KubernetesError.self) {
                try await cluster.client.replace(ConfigMapResource.type, stale)
            }
            #expect(conflict?.isConflict == true)
        }
    }

    @Test("limit and continue page through a collection")
    func pagination() async throws {
        try await Cluster.with { cluster in
            for index in 0..<5 {
                _ = try await cluster.client.create(ConfigMapResource.type, cluster.configMap("cm-\(index)"))
            }
            let first = try await cluster.client.list(
                ConfigMapResource.type, namespace: cluster.namespace,
                options: ListOptions(limit: 2))
            #expect(first.items.count == 2)
            #expect(first.continueToken != nil)
            let all = try await cluster.client.listAll(
                ConfigMapResource.type, namespace: cluster.namespace,
                options: ListOptions(limit: 2))
            #expect(
                Set(all.items.compactMap { $0[path: ["metadata", "name"]]?.stringValue })
                    == Set((0..<5).map { "cm-\($0)" }))
        }
    }

    @Test("merge patch, JSON patch, and deletecollection by label")
    func patchesAndDeleteCollection() async throws {
        try await Cluster.with { cluster in
            _ = try await cluster.client.create(ConfigMapResource.type, cluster.configMap("p", labels: ["tier": "web"]))
            let merged = try await cluster.client.patch(
                ConfigMapResource.type, name: "p", namespace: cluster.namespace,
                .merge(["data": ["added": "yes", "k": .null]]))
            #expect(merged["data"] == ["added": "yes"])
            let patched = try await cluster.client.patch(
                ConfigMapResource.type, name: "p", namespace: cluster.namespace,
                .json([["op": "replace", "path": "/data/added", "value": "json"]]))
            #expect(patched[path: ["data", "added"]] == "json")
            let failedTest = await #expect(throws: KubernetesError.self) {
                try await cluster.client.patch(
                    ConfigMapResource.type, name: "p", namespace: cluster.namespace,
                    .json([["op": "test", "path": "/data/added", "value": "other"]]))
            }
            #expect(failedTest?.isInvalid == true)

            _ = try await cluster.client.create(ConfigMapResource.type, cluster.configMap("q", labels: ["tier": "web"]))
            _ = try await cluster.client.create(ConfigMapResource.type, cluster.configMap("r", labels: ["tier": "db"]))
            try await cluster.client.deleteCollection(
                ConfigMapResource.type, namespace: cluster.namespace,
                options: ListOptions(labelSelector: "tier=web"))
            let left = try await cluster.client.listAll(ConfigMapResource.type, namespace: cluster.namespace)
            #expect(left.items.compactMap { $0[path: ["metadata", "name"]]?.stringValue } == ["r"])
        }
    }

    @Test("update sends only what changed, so fields the Swift type does not know survive")
    func updateKeepsUnknownFields() async throws {
        try await Cluster.with { cluster in
            // `warm` and `transferNetwork` are Plan fields our Swift type does not model.
            let raw: JSONValue = [
                "apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
                "metadata": ["name": "p1", "namespace": .string(cluster.namespace)],
                "spec": [
                    "provider": [
                        "source": ["name": "my-ec2", "namespace": "openshift-mtv"],
                        "destination": ["name": "host", "namespace": "openshift-mtv"],
                    ],
                    "targetNamespace": "migrated", "map": ["network": ["name": "n"], "storage": ["name": "s"]],
                    "vms": [["id": "i-1"]], "warm": false,
                    "transferNetwork": ["name": "tn", "namespace": "openshift-mtv"],
                ],
            ]
            _ = try await cluster.client.create(ResourceType.plans, raw)
            let plan = try await cluster.client.get(Plan.self, name: "p1", namespace: cluster.namespace)
            let updated = try await cluster.client.update(plan) { $0.spec.description = "moved" }
            #expect(updated.spec.description == "moved")
            let stored = try await cluster.client.get(ResourceType.plans, name: "p1", namespace: cluster.namespace)
            #expect(stored[path: ["spec", "transferNetwork", "name"]] == "tn")
            #expect(stored[path: ["spec", "warm"]] == false)

            // The update carried the old resourceVersion: a second writer with a stale copy gets a conflict.
            let conflict = await #expect(throws: KubernetesError.self) {
                try await cluster.client.update(plan) { $0.spec.description = "stale" }
            }
            #expect(conflict?.isConflict == true)
        }
    }

    @Test("the status subresource changes status only, and the main endpoint ignores status")
    func statusSubresource() async throws {
        try await Cluster.with { cluster in
            let plan = Plan(
                metadata: ObjectMeta(name: "s1", namespace: cluster.namespace),
                spec: Plan.Spec(
                    provider: ProviderPair(
                        source: ObjectReference(name: "a", namespace: "b"),
                        destination: ObjectReference(name: "host", namespace: "b")),
                    targetNamespace: "t",
                    map: Plan.Maps(
                        network: ObjectReference(name: "n", namespace: nil),
                        storage: ObjectReference(name: "s", namespace: nil)), vms: [Plan.VM(id: "i-1")]))
            var created = try await cluster.client.create(plan)
            var conditions: [Condition] = []
            conditions.set(
                Condition(type: "Ready", category: Condition.Category.required, message: "ready"),
                now: "2026-01-01T00:00:00Z")
            created.status = Plan.Status(conditions: conditions)
            created.spec.targetNamespace = "changed-through-status"
            let afterStatus = try await cluster.client.replaceStatus(created)
            #expect(afterStatus.status?.conditions?.isTrue("Ready") == true)
            #expect(afterStatus.spec.targetNamespace == "t")

            var viaMain = afterStatus
            viaMain.status = nil
            viaMain.spec.description = "main"
            let afterMain = try await cluster.client.replace(viaMain)
            #expect(afterMain.status?.conditions?.isTrue("Ready") == true)
            #expect(afterMain.spec.description == "main")
        }
    }

    @Test(
        "updateStatus from a stale copy keeps what another writer added, and outlasts 500s beyond one request's retries"
    )
    func updateStatusFromStaleCopy() async throws {
        try await Cluster.with { cluster in
            let plan = Plan(
                metadata: ObjectMeta(name: "writers", namespace: cluster.namespace),
                spec: Plan.Spec(
                    provider: ProviderPair(
                        source: ObjectReference(name: "a", namespace: "b"),
                        destination: ObjectReference(name: "host", namespace: "b")),
                    targetNamespace: "t",
                    map: Plan.Maps(
                        network: ObjectReference(name: "n", namespace: nil),
                        storage: ObjectReference(name: "s", namespace: nil)), vms: [Plan.VM(id: "i-1")]))
            let stale = try await cluster.client.create(plan)
            let now = "2026-01-01T00:00:00Z"
            // Another writer adds its condition after `stale` was read.
            _ = try await cluster.client.updateStatus(Plan.self, name: "writers", namespace: cluster.namespace) {
                var conditions = $0.status?.conditions ?? []
                conditions.set(Condition(type: "Theirs", category: Condition.Category.advisory), now: now)
                $0.status = Plan.Status(conditions: conditions)
            }
            // Seven 500s: more than one request retries (5 attempts), fewer than the write's patience covers.
            let path = "/apis/forklift.konveyor.io/v1beta1/namespaces/\(cluster.namespace)/plans/writers/status"
            try await cluster.fault(["method": "PATCH", "path": path, "status": 500, "count": 7])
            let written = try await cluster.client.updateStatus(
                Plan.self, name: "writers", namespace: cluster.namespace, current: stale
            ) {
                var conditions = $0.status?.conditions ?? []
                conditions.replace(
                    owned: ["Mine"], with: [Condition(type: "Mine", category: Condition.Category.advisory)],
                    now: now)
                $0.status = Plan.Status(conditions: conditions)
            }
            #expect(written.status?.conditions?.map(\.type).sorted() == ["Mine", "Theirs"])
            let stored = try await cluster.client.get(Plan.self, name: "writers", namespace: cluster.namespace)
            #expect(stored.status?.conditions?.map(\.type).sorted() == ["Mine", "Theirs"])
            let armed = try await ControlAPI.call("GET", cluster.environment.fakeKubeControl.appending(path: "faults"))
            let faults = try #require((armed as? [String: Any])?["faults"] as? [[String: Any]])
            #expect(!faults.contains { $0["path"] as? String == path }, "every injected 500 was answered")
        }
    }

    @Test("delete honours preconditions and finalizers")
    func deletePreconditionsAndFinalizers() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            let created = try await client.create(ResourceType.configMaps, cluster.configMap("d"))
            let uid = try #require(created[path: ["metadata", "uid"]]?.stringValue)
            let wrongUID = await #expect(throws: KubernetesError.self) {
                try await client.delete(
                    ResourceType.configMaps, name: "d", namespace: cluster.namespace,
                    options: DeleteOptions(preconditionUID: "not-\(uid)"))
            }
            #expect(wrongUID?.isConflict == true)
            try await client.delete(
                ResourceType.configMaps, name: "d", namespace: cluster.namespace,
                options: DeleteOptions(propagationPolicy: "Foreground", preconditionUID: uid))
            try await client.delete(
                ResourceType.configMaps, name: "d", namespace: cluster.namespace, ignoreNotFound: true)

            var guarded = cluster.configMap("guarded")
            guarded["metadata"]?["finalizers"] = ["mtv.konveyor.io/cleanup"]
            _ = try await client.create(ResourceType.configMaps, guarded)
            try await client.delete(ResourceType.configMaps, name: "guarded", namespace: cluster.namespace)
            let terminating = try await client.get(
                ResourceType.configMaps, name: "guarded", namespace: cluster.namespace)
            #expect(terminating[path: ["metadata", "deletionTimestamp"]] != nil)
            _ = try await client.patch(
                ResourceType.configMaps, name: "guarded", namespace: cluster.namespace,
                .merge(["metadata": ["finalizers": .null]]))
            let gone = await #expect(throws: KubernetesError.self) {
                try await client.get(ResourceType.configMaps, name: "guarded", namespace: cluster.namespace)
            }
            #expect(gone?.isNotFound == true)
        }
    }

    @Test("429 and 500 answers are retried; the request then succeeds")
    func retriesServerFaults() async throws {
        try await Cluster.with { cluster in
            _ = try await cluster.client.create(ConfigMapResource.type, cluster.configMap("f"))
            try await cluster.fault([
                "method": "GET", "path": "/api/v1/namespaces/\(cluster.namespace)/configmaps/f",
                "status": 500, "count": 2,
            ])
            try await cluster.fault([
                "method": "GET", "path": "/api/v1/namespaces/\(cluster.namespace)/configmaps/f",
                "status": 429, "count": 1, "retryAfter": 0,
            ])
            let value = try await cluster.client.get(ConfigMapResource.type, name: "f", namespace: cluster.namespace)
            #expect(value[path: ["data", "k"]] == "v")
        }
    }

    @Test("a pod's log can be read")
    func podLogs() async throws {
        try await Cluster.with { cluster in
            // Arm the failure first: the fake runs pods to completion on its own clock.
            try await ControlAPI.call(
                "POST", cluster.environment.fakeKubeControl.appending(path: "pods/fail"),
                [
                    "namespace": cluster.namespace, "namePrefix": "conv", "exitCode": 1,
                    "log": "line one\nvirt-v2v: error: no root\n",
                ])
            let pod = Pod(
                metadata: ObjectMeta(name: "conv", namespace: cluster.namespace),
                spec: ["containers": [["name": "virt-v2v", "image": "quay.io/kubev2v/forklift-virt-v2v:latest"]]])
            _ = try await cluster.client.create(pod)
            var phase: String?
            for _ in 0..<100 {
                phase = try await cluster.client.get(Pod.self, name: "conv", namespace: cluster.namespace).phase
                if phase == "Failed" || phase == "Succeeded" { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            #expect(phase == "Failed")
            let tail = try await cluster.client.logs(pod: "conv", namespace: cluster.namespace, tailLines: 1)
            #expect(tail.contains("no root"))
            #expect(!tail.contains("line one"))
        }
    }
}

/// ConfigMaps, an untyped resource for tests.
enum ConfigMapResource {
    static let type = ResourceType.configMaps
}
