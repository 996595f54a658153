import Foundation
import KubernetesClient
import MTVAPI

@testable import MTVController

/// An in-memory Kubernetes API for unit tests of the migration phases: objects by kind, namespace and name, with
/// AlreadyExists and NotFound as the API server answers them (a create in a namespace that does not exist too), merge patches, equality label selectors, pod logs,
/// and failures a test arms per verb and kind. Nothing binds or runs by itself: the test sets the status it wants.
actor FakeCluster: MigrationCluster {
    private var objects: [String: JSONValue] = [:]
    private var podLogs: [String: String] = [:]
    private var armed: [String: [KubernetesError]] = [:]
    private var counter = 0

    /// The object of a kind, if it exists.
    func object(_ resource: ResourceType, _ name: String, namespace: String?) -> JSONValue? {
        objects[Self.key(resource, namespace, name)]
    }

    /// How many objects of a kind exist (in every namespace).
    func count(_ resource: ResourceType) -> Int {
        objects.keys.filter { $0.hasPrefix("\(resource.plural)/") }.count
    }

    /// The names of a kind's objects in a namespace, sorted.
    func names(_ resource: ResourceType, namespace: String?) -> [String] {
        let prefix = "\(resource.plural)/\(namespace.map { "\($0)/" } ?? "")"
        return objects.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    /// Stores an object as if someone else had made it.
    func put(_ resource: ResourceType, _ object: JSONValue, namespace: String?) {
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        objects[Self.key(resource, namespace, name)] = object
    }

    /// Sets `status.phase` of an object (a PVC binding, a pod finishing).
    func setPhase(_ resource: ResourceType, _ name: String, namespace: String?, _ phase: String) {
        let key = Self.key(resource, namespace, name)
        objects[key] = objects[key]?.applyingMergePatch(["status": ["phase": .string(phase)]])
    }

    /// Merges `patch` into an object (a Job's conditions, a VirtualMachine becoming ready).
    func merge(_ resource: ResourceType, _ name: String, namespace: String?, _ patch: JSONValue) {
        let key = Self.key(resource, namespace, name)
        objects[key] = objects[key]?.applyingMergePatch(patch)
    }

    /// The log a pod's container prints.
    func setLog(pod: String, namespace: String, _ text: String) { podLogs["\(namespace)/\(pod)"] = text }

    /// Makes the next `times` requests of `verb` (`create`, `get`, `patch`, `delete`, `list`) on a kind fail.
    func arm(_ verb: String, _ resource: ResourceType, _ error: KubernetesError, times: Int = 1) {
        armed["\(verb) \(resource.plural)", default: []] += Array(repeating: error, count: times)
    }

    // MARK: MigrationCluster

    func create(
        _ resource: ResourceType, _ object: JSONValue, namespace: String?, dryRun: Bool
    ) async throws -> JSONValue {
        try fault("create", resource)
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        if let namespace, resource.namespaced, objects[Self.key(.namespaces, nil, namespace)] == nil {
            throw Self.notFound(.namespaces, namespace, "POST")  // as the API server refuses it
        }
        let key = Self.key(resource, namespace, name)
        guard objects[key] == nil else {
            throw KubernetesError(
                code: 409, reason: KubernetesError.Reason.alreadyExists,
                message: "\(resource.plural) \"\(name)\" already exists", request: "POST \(resource.plural)")
        }
        counter += 1
        let made = object.applyingMergePatch([
            "metadata": [
                "uid": .string("uid-\(counter)"),
                "resourceVersion": .string("\(counter)"),
            ]
        ])
        if !dryRun { objects[key] = made }
        return made
    }

    func get(_ resource: ResourceType, name: String, namespace: String?, subresource: String?) async throws -> JSONValue
    {
        try fault("get", resource)
        guard let object = objects[Self.key(resource, namespace, name)] else {
            throw Self.notFound(resource, name, "GET")
        }
        return object
    }

    func patch(
        _ resource: ResourceType, name: String, namespace: String?, _ patch: Patch, subresource: String?
    )
        async throws -> JSONValue
    {
        try fault("patch", resource)
        let key = Self.key(resource, namespace, name)
        guard let object = objects[key], case .merge(let change) = patch else {
            throw Self.notFound(resource, name, "PATCH")
        }
        objects[key] = object.applyingMergePatch(change)
        return objects[key]!
    }

    func delete(
        _ resource: ResourceType, name: String, namespace: String?, options: DeleteOptions, ignoreNotFound: Bool
    )
        async throws
    {
        try fault("delete", resource)
        guard objects.removeValue(forKey: Self.key(resource, namespace, name)) != nil || ignoreNotFound else {
            throw Self.notFound(resource, name, "DELETE")
        }
    }

    func listAll(
        _ resource: ResourceType, namespace: String?, options: ListOptions
    ) async throws -> ObjectList<JSONValue> {
        try fault("list", resource)
        let prefix = namespace.map { "\(resource.plural)/\($0)/" } ?? "\(resource.plural)/"
        let wanted = (options.labelSelector ?? "").split(separator: ",").map {
            $0.split(separator: "=").map(String.init)
        }
        let items = objects.filter { $0.key.hasPrefix(prefix) }.map(\.value).filter { object in
            wanted.allSatisfy { pair in
                pair.count == 2 && object[path: ["metadata", "labels", pair[0]]]?.stringValue == pair[1]
            }
        }
        return ObjectList(items: items, resourceVersion: "\(counter)", continueToken: nil)
    }

    func logs(pod: String, namespace: String, container: String?, tailLines: Int?) async throws -> String {
        guard let log = podLogs["\(namespace)/\(pod)"] else { throw Self.notFound(.pods, pod, "GET log") }
        return log
    }

    // MARK: Helpers

    private func fault(_ verb: String, _ resource: ResourceType) throws {
        let key = "\(verb) \(resource.plural)"
        if var queue = armed[key], !queue.isEmpty {
            let error = queue.removeFirst()
            armed[key] = queue
            throw error
        }
    }

    private static func key(_ resource: ResourceType, _ namespace: String?, _ name: String) -> String {
        "\(resource.plural)/\(namespace.map { "\($0)/" } ?? "")\(name)"
    }

    private static func notFound(_ resource: ResourceType, _ name: String, _ verb: String) -> KubernetesError {
        KubernetesError(
            code: 404, reason: KubernetesError.Reason.notFound,
            message: "\(resource.plural) \"\(name)\" not found", request: "\(verb) \(resource.plural)")
    }
}
