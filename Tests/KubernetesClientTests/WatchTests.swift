import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// Serialized: two of these compact the fake cluster's watch history, which would expire the others' versions.
@Suite(
    "Watches and informers against the fake cluster", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct WatchTests {
    /// Collects `count` events from a stream, or fails after `seconds`.
    func collect(
        _ stream: AsyncThrowingStream<WatchEvent, any Error>, count: Int, seconds: Double = 20
    ) async throws
        -> [WatchEvent]
    {
        try await withThrowingTaskGroup(of: [WatchEvent].self) { group in
            group.addTask {
                var events: [WatchEvent] = []
                for try await event in stream {
                    events.append(event)
                    if events.count == count { break }
                }
                return events
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                return []
            }
            let first = try await group.next() ?? []
            group.cancelAll()
            return first
        }
    }

    func names(_ events: [WatchEvent]) -> [String] {
        events.map { "\($0.kind.rawValue) \($0.object[path: ["metadata", "name"]]?.stringValue ?? "")" }
    }

    @Test("a watch from a resourceVersion sees exactly the later changes, in order")
    func watchFromVersion() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("before"))
            let start = try await client.list(ResourceType.configMaps, namespace: cluster.namespace).resourceVersion
            let stream = client.watch(ResourceType.configMaps, namespace: cluster.namespace, from: start)
            async let events = collect(stream, count: 3)
            try await Task.sleep(nanoseconds: 200_000_000)
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("a"))
            _ = try await client.patch(
                ResourceType.configMaps, name: "a", namespace: cluster.namespace, .merge(["data": ["k": "2"]]))
            try await client.delete(ResourceType.configMaps, name: "a", namespace: cluster.namespace)
            #expect(names(try await events) == ["ADDED a", "MODIFIED a", "DELETED a"])
        }
    }

    @Test("bookmarks arrive when asked for")
    func bookmarks() async throws {
        try await Cluster.with { cluster in
            let start = try await cluster.client.list(ResourceType.configMaps, namespace: cluster.namespace)
                .resourceVersion
            let stream = cluster.client.watchOnce(
                ResourceType.configMaps, namespace: cluster.namespace,
                resourceVersion: start, timeoutSeconds: 10, bookmarks: true)
            let events = try await collect(stream, count: 1, seconds: 10)
            #expect(events.first?.kind == .bookmark)
            #expect(events.first?.resourceVersion != nil)
        }
    }

    @Test("a dropped watch resumes from the last version without losing or repeating events")
    func resumeAfterDrop() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            let start = try await client.list(ResourceType.configMaps, namespace: cluster.namespace).resourceVersion
            let stream = client.watch(ResourceType.configMaps, namespace: cluster.namespace, from: start)
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("one"))
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("two"))
            // The first two events prove the stream is open; then it is dropped while it waits for more.
            var iterator = stream.makeAsyncIterator()
            var events: [WatchEvent] = []
            for _ in 0..<2 { if let event = try await iterator.next() { events.append(event) } }
            let answer =
                try await ControlAPI.call(
                    "POST", cluster.environment.fakeKubeControl.appending(path: "drop-watches"),
                    ["path": "/api/v1/namespaces/\(cluster.namespace)/configmaps"]) as? [String: Any]
            #expect(
                (answer?["dropped"] as? Int ?? 0) >= 1,
                "the watch was open and was dropped: \(String(describing: answer))")
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("three"))
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("four"))
            for _ in 0..<2 { if let event = try await iterator.next() { events.append(event) } }
            #expect(names(events) == ["ADDED one", "ADDED two", "ADDED three", "ADDED four"])
        }
    }

    @Test("an expired resourceVersion ends the watch with 410 Gone")
    func goneAfterCompaction() async throws {
        try await Cluster.with { cluster in
            let start = try await cluster.client.list(ResourceType.configMaps, namespace: cluster.namespace)
                .resourceVersion
            _ = try await cluster.client.create(ResourceType.configMaps, cluster.configMap("x"))
            try await ControlAPI.call("POST", cluster.environment.fakeKubeControl.appending(path: "compact"), [:])
            let stream = cluster.client.watch(ResourceType.configMaps, namespace: cluster.namespace, from: start)
            let error = await #expect(throws: KubernetesError.self) { _ = try await collect(stream, count: 1) }
            #expect(error?.isGone == true)
        }
    }

    @Test("an informer lists again after 410 Gone and reports what changed meanwhile")
    func informerRecovers() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("keep"))
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("gone"))
            let informer = Informer(client: client, resource: ResourceType.configMaps, namespace: cluster.namespace)
            let events = await informer.events()
            await informer.start()
            var iterator = events.makeAsyncIterator()
            var seen: [String] = []
            while let event = await iterator.next() {
                if case .synced = event { break }
                if case .added(let object) = event {
                    seen.append(object[path: ["metadata", "name"]]?.stringValue ?? "")
                }
            }
            #expect(seen.sorted() == ["gone", "keep"])

            // Cut the watch, change things, and expire the history: the informer must relist to catch up.
            try await ControlAPI.call(
                "POST", cluster.environment.fakeKubeControl.appending(path: "faults"),
                [
                    "method": "GET", "path": "/api/v1/namespaces/\(cluster.namespace)/configmaps", "delay": 1.5,
                    "count": 1,
                ])
            try await ControlAPI.call(
                "POST", cluster.environment.fakeKubeControl.appending(path: "drop-watches"),
                ["path": "/api/v1/namespaces/\(cluster.namespace)/configmaps"])
            try await client.delete(ResourceType.configMaps, name: "gone", namespace: cluster.namespace)
            _ = try await client.create(ResourceType.configMaps, cluster.configMap("new"))
            try await ControlAPI.call("POST", cluster.environment.fakeKubeControl.appending(path: "compact"), [:])

            var changes: [String] = []
            while changes.count < 2, let event = await iterator.next() {
                switch event {
                case .added(let object):
                    changes.append("added \(object[path: ["metadata", "name"]]?.stringValue ?? "")")
                case .deleted(let object):
                    changes.append("deleted \(object[path: ["metadata", "name"]]?.stringValue ?? "")")
                default: break
                }
            }
            #expect(changes.sorted() == ["added new", "deleted gone"])
            #expect(await informer.get(name: "new", namespace: cluster.namespace) != nil)
            #expect(await informer.get(name: "gone", namespace: cluster.namespace) == nil)
            await informer.stop()
        }
    }

    @Test("an informer with a resync interval reports every cached object again, unchanged")
    func informerResyncs() async throws {
        try await Cluster.with { cluster in
            _ = try await cluster.client.create(ResourceType.configMaps, cluster.configMap("a"))
            _ = try await cluster.client.create(ResourceType.configMaps, cluster.configMap("b"))
            let informer = Informer(
                client: cluster.client, resource: ResourceType.configMaps,
                namespace: cluster.namespace, resyncInterval: 0.2)
            let events = await informer.events()
            await informer.start()
            var resynced: [String] = []
            for await event in events {
                guard case .updated(let old, let new) = event else { continue }
                #expect(old == new, "a resync reports the cached object as it is")
                resynced.append(new[path: ["metadata", "name"]]?.stringValue ?? "")
                if resynced.count == 4 { break }
            }
            #expect(resynced.sorted() == ["a", "a", "b", "b"])
            #expect(await informer.resyncCount >= 2)
            await informer.stop()
        }
    }

    @Test("a 200 KB object arrives whole through a watch")
    func largeObject() async throws {
        try await Cluster.with { cluster in
            let start = try await cluster.client.list(ResourceType.configMaps, namespace: cluster.namespace)
                .resourceVersion
            let stream = cluster.client.watch(ResourceType.configMaps, namespace: cluster.namespace, from: start)
            async let events = collect(stream, count: 1)
            try await Task.sleep(nanoseconds: 200_000_000)
            let big = String((0..<200_000).map { _ in "abcdefghij".randomElement()! })
            _ = try await cluster.client.create(ResourceType.configMaps, cluster.configMap("big", data: ["blob": big]))
            let received = try await events
            #expect(received.first?.object[path: ["data", "blob"]]?.stringValue == big)
        }
    }
}
