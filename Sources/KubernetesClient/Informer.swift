import Foundation
import MTVAPI
import Retries

/// A local cache of one resource type kept current by list + watch, with change notifications.
///
/// After a 410 Gone it lists again and reports the differences as ordinary events, so subscribers never miss a
/// change and never see one twice. With a resync interval it also reports every cached object again as an update
/// (old and new the same) that often, so work an event started and a subscriber lost is taken up again.
public actor Informer {
    /// A change to the cache.
    public enum Event: Sendable {
        case added(JSONValue)
        case updated(old: JSONValue, new: JSONValue)
        case deleted(JSONValue)
        /// The first list is in the cache.
        case synced

        /// The object the event is about (the new one of an update); nil for `synced`.
        public var object: JSONValue? {
            switch self {
            case .added(let object), .deleted(let object), .updated(_, let object): object
            case .synced: nil
            }
        }
    }

    let client: KubernetesClient
    let resource: ResourceType
    let namespace: String?
    let options: ListOptions
    let resyncInterval: Double?
    private var objects: [String: JSONValue] = [:]
    private var subscribers: [UUID: AsyncStream<Event>.Continuation] = [:]
    private var task: Task<Void, Never>?
    private var resyncTask: Task<Void, Never>?
    private var synced = false
    /// Lists done so far (the first, plus one after each 410 Gone).
    public private(set) var listCount = 0
    /// Resyncs done so far.
    public private(set) var resyncCount = 0
    /// Why the last list or watch failed; nil once a list succeeds.
    public private(set) var lastError: KubernetesError?

    /// Creates an informer; `start()` begins listing and watching. `resyncInterval` (seconds) re-reports the cache.
    public init(
        client: KubernetesClient, resource: ResourceType, namespace: String? = nil,
        options: ListOptions = ListOptions(),
        resyncInterval: Double? = nil
    ) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.options = options
        self.resyncInterval = resyncInterval.map { max($0, 0.1) }
    }

    /// Starts the list + watch loop (once).
    public func start() {
        guard task == nil else { return }
        task = Task { await self.run() }
        if let resyncInterval {
            resyncTask = Task {
                while (try? await Task.sleep(nanoseconds: UInt64(resyncInterval * 1e9))) != nil {
                    self.resync()
                }
            }
        }
    }

    /// Stops watching and ends every subscription.
    public func stop() {
        task?.cancel()
        task = nil
        resyncTask?.cancel()
        resyncTask = nil
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }

    /// Changes from now on (and `.synced` at once if the first list is done).
    public func events() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .unbounded)
        let id = UUID()
        subscribers[id] = continuation
        if synced { continuation.yield(.synced) }
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    /// Every cached object.
    public func list() -> [JSONValue] { Array(objects.values) }

    /// One cached object.
    public func get(name: String, namespace: String? = nil) -> JSONValue? {
        objects[Self.key(namespace: namespace, name: name)]
    }

    /// Whether the first list has completed.
    public var hasSynced: Bool { synced }

    private func unsubscribe(_ id: UUID) {
        subscribers[id] = nil
    }

    private func run() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let page = try await client.listAll(resource, namespace: namespace, options: options)
                listCount += 1
                lastError = nil
                replaceAll(page.items)
                failures = 0
                for try await event in client.watch(
                    resource, namespace: namespace, options: options, from: page.resourceVersion)
                {
                    apply(event)
                }
            } catch is CancellationError {
                return
            } catch {
                lastError = error as? KubernetesError
                failures += 1
                try? await KubernetesClient.reconnectBackoff.sleep(retry: failures)
            }
        }
    }

    /// Reports every cached object again, once the first list is in.
    private func resync() {
        guard synced else { return }
        resyncCount += 1
        for object in objects.values { emit(.updated(old: object, new: object)) }
    }

    private func replaceAll(_ items: [JSONValue]) {
        var fresh: [String: JSONValue] = [:]
        for item in items { fresh[Self.key(of: item)] = item }
        for (key, old) in objects where fresh[key] == nil { emit(.deleted(old)) }
        for (key, new) in fresh {
            if let old = objects[key] {
                if old[path: ["metadata", "resourceVersion"]] != new[path: ["metadata", "resourceVersion"]] {
                    emit(.updated(old: old, new: new))
                }
            } else {
                emit(.added(new))
            }
        }
        objects = fresh
        if !synced {
            synced = true
            emit(.synced)
        }
    }

    private func apply(_ event: WatchEvent) {
        let key = Self.key(of: event.object)
        switch event.kind {
        case .added, .modified:
            let old = objects[key]
            objects[key] = event.object
            emit(old.map { .updated(old: $0, new: event.object) } ?? .added(event.object))
        case .deleted:
            if let old = objects.removeValue(forKey: key) { emit(.deleted(old)) }
        case .bookmark, .error:
            break
        }
    }

    private func emit(_ event: Event) {
        for continuation in subscribers.values { continuation.yield(event) }
    }

    static func key(of object: JSONValue) -> String {
        key(
            namespace: object[path: ["metadata", "namespace"]]?.stringValue,
            name: object[path: ["metadata", "name"]]?.stringValue ?? "")
    }

    static func key(namespace: String?, name: String) -> String { "\(namespace ?? "")/\(name)" }
}
