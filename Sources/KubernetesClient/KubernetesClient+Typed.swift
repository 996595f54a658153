import Foundation
import MTVAPI
import Retries

/// The typed verbs: objects that know their resource type, decoded and encoded on the way, with guarded updates.
extension KubernetesClient {
    /// Reads one typed object.
    public func get<T: KubernetesObject>(_ type: T.Type, name: String, namespace: String? = nil) async throws -> T {
        try await get(T.resourceType, name: name, namespace: namespace).decode()
    }

    /// Reads a whole typed collection.
    public func list<T: KubernetesObject>(
        _ type: T.Type, namespace: String? = nil, options: ListOptions = ListOptions()
    ) async throws -> ObjectList<T> {
        let raw = try await listAll(T.resourceType, namespace: namespace, options: options)
        return ObjectList(
            items: try raw.items.map { try $0.decode() }, resourceVersion: raw.resourceVersion, continueToken: nil)
    }

    /// Creates a typed object.
    public func create<T: KubernetesObject>(_ object: T, dryRun: Bool = false) async throws -> T {
        try await create(T.resourceType, JSONValue(encoding: object), dryRun: dryRun).decode()
    }

    /// Replaces a typed object.
    public func replace<T: KubernetesObject>(_ object: T) async throws -> T {
        try await replace(T.resourceType, JSONValue(encoding: object)).decode()
    }

    /// Replaces a typed object's status.
    public func replaceStatus<T: KubernetesObject>(_ object: T) async throws -> T {
        try await replace(T.resourceType, JSONValue(encoding: object), subresource: "status").decode()
    }

    /// Read-modify-write without losing fields this build does not know: sends only what `modify` changed, as a
    /// merge patch guarded by the object's resourceVersion (409 Conflict if someone wrote in between).
    public func update<T: KubernetesObject>(
        _ object: T, subresource: String? = nil, _ modify: (inout T) throws -> Void
    ) async throws -> T {
        var changed = object
        try modify(&changed)
        let before = try JSONValue(encoding: object)
        let after = try JSONValue(encoding: changed)
        guard var patch = JSONValue.mergePatch(from: before, to: after) else { return object }
        patch["metadata"] = .object(
            (patch["metadata"]?.objectValue ?? [:]).merging(
                ["resourceVersion": object.metadata.resourceVersion.map(JSONValue.string) ?? .null]) { _, new in new })
        return try await self.patch(
            T.resourceType, name: object.metadata.name ?? "", namespace: object.metadata.namespace, .merge(patch),
            subresource: subresource
        ).decode()
    }

    /// `update` of the current object, read again and retried when someone else wrote in between (a controller's
    /// status write changes the resourceVersion too); `modify` sees the fresh object each time.
    public func update<T: KubernetesObject>(
        _ type: T.Type, name: String, namespace: String?, attempts: Int = 5, _ modify: (inout T) throws -> Void
    ) async throws -> T {
        var attempt = 1
        while true {
            let current = try await get(T.self, name: name, namespace: namespace)
            do {
                return try await update(current, modify)
            } catch let error as KubernetesError where error.isConflict && attempt < attempts {
                attempt += 1
            }
        }
    }

    /// Writes an object's status from `modify` until it lands: guarded by the resourceVersion of the copy it starts
    /// from (`current`, a cached copy, or else a fresh read), read again after each failure, and retried for up to
    /// `patience` seconds (see `retrying`). Nothing is sent when `modify` changes nothing.
    public func updateStatus<T: KubernetesObject>(
        _ type: T.Type, name: String, namespace: String?, current: T? = nil, patience: Double = 60,
        isolation: isolated (any Actor)? = #isolation, _ modify: (inout T) throws -> Void
    ) async throws -> T {
        try await retrying(for: patience) { failures in
            let cached = failures == 0 ? current : nil
            let base = if let cached { cached } else { try await get(T.self, name: name, namespace: namespace) }
            return try await update(base, subresource: "status", modify)
        }
    }

    /// Runs `attempt` until it succeeds, retrying conflicts and transient failures (5xx, 429, timeouts, broken
    /// connections) with backoff for up to `patience` seconds; `attempt` gets the number of failures so far.
    public func retrying<R>(
        for patience: Double, isolation: isolated (any Actor)? = #isolation, _ attempt: (Int) async throws -> R
    ) async throws -> R {
        let deadline = ContinuousClock.now + .milliseconds(Int64(patience * 1000))
        var failures = 0
        while true {
            do {
                return try await attempt(failures)
            } catch let error as KubernetesError where error.isConflict || error.isRetryable {
                guard ContinuousClock.now < deadline else { throw error }
                failures += 1
                logger.debug(
                    "retrying a write", metadata: ["request": "\(error.request)", "reason": "\(error.reason)"])
                try await Self.writeBackoff.sleep(retry: failures)
            }
        }
    }

    /// The cluster's identity: the UID of its `kube-system` namespace, which lives as long as the cluster.
    public func clusterUID() async throws -> String {
        guard let uid = try await get(Namespace.self, name: "kube-system").metadata.uid, !uid.isEmpty else {
            throw KubernetesError(
                code: 0, reason: "Invalid", message: "the kube-system namespace has no UID",
                request: "GET namespaces/kube-system")
        }
        return uid
    }

    /// Deletes a typed object.
    public func delete<T: KubernetesObject>(_ object: T, options: DeleteOptions = DeleteOptions()) async throws {
        try await delete(
            T.resourceType, name: object.metadata.name ?? "", namespace: object.metadata.namespace, options: options,
            ignoreNotFound: true)
    }
}
