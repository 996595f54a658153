import Foundation

/// A Kubernetes resource: group, version, plural name, kind, and whether it lives in a namespace.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    public let group: String
    public let version: String
    public let plural: String
    public let kind: String
    public let namespaced: Bool

    /// Creates a resource type.
    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    /// `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `plural.group` as kubectl names it (`plans.forklift.konveyor.io`), or the plural for the core group.
    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The URL path of the collection or of one object, with an optional subresource.
    public func path(namespace: String? = nil, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(Self.escape(namespace))" }
        path += "/\(plural)"
        if let name { path += "/\(Self.escape(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    /// A review (TokenReview, SubjectAccessReview, …): a question the API server answers without storing
    /// anything, so asking twice is harmless.
    public var isReview: Bool {
        ["authentication.k8s.io", "authorization.k8s.io"].contains(group) && plural.hasSuffix("reviews")
    }

    private static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: "/")))
            ?? segment
    }
}

extension ResourceType {
    static func core(_ plural: String, _ kind: String, namespaced: Bool = true) -> ResourceType {
        ResourceType(group: "", version: "v1", plural: plural, kind: kind, namespaced: namespaced)
    }

    static func forklift(_ plural: String, _ kind: String) -> ResourceType {
        ResourceType(group: "forklift.konveyor.io", version: "v1beta1", plural: plural, kind: kind, namespaced: true)
    }

    public static let namespaces = core("namespaces", "Namespace", namespaced: false)
    public static let nodes = core("nodes", "Node", namespaced: false)
    public static let secrets = core("secrets", "Secret")
    public static let configMaps = core("configmaps", "ConfigMap")
    public static let pods = core("pods", "Pod")
    public static let events = core("events", "Event")
    public static let persistentVolumes = core("persistentvolumes", "PersistentVolume", namespaced: false)
    public static let persistentVolumeClaims = core("persistentvolumeclaims", "PersistentVolumeClaim")
    public static let storageClasses = ResourceType(
        group: "storage.k8s.io", version: "v1", plural: "storageclasses", kind: "StorageClass", namespaced: false)
    public static let leases = ResourceType(
        group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true)
    public static let tokenReviews = ResourceType(
        group: "authentication.k8s.io", version: "v1", plural: "tokenreviews", kind: "TokenReview", namespaced: false)
    public static let subjectAccessReviews = ResourceType(
        group: "authorization.k8s.io", version: "v1", plural: "subjectaccessreviews", kind: "SubjectAccessReview",
        namespaced: false)
    public static let providers = forklift("providers", "Provider")
    public static let plans = forklift("plans", "Plan")
    public static let migrations = forklift("migrations", "Migration")
    public static let networkMaps = forklift("networkmaps", "NetworkMap")
    public static let storageMaps = forklift("storagemaps", "StorageMap")
    public static let hooks = forklift("hooks", "Hook")
    public static let jobs = ResourceType(group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true)
    public static let virtualMachines = ResourceType(
        group: "kubevirt.io", version: "v1", plural: "virtualmachines", kind: "VirtualMachine", namespaced: true)
    public static let virtualMachineInstances = ResourceType(
        group: "kubevirt.io", version: "v1", plural: "virtualmachineinstances", kind: "VirtualMachineInstance",
        namespaced: true)
    public static let apiServices = ResourceType(
        group: "apiregistration.k8s.io", version: "v1", plural: "apiservices", kind: "APIService", namespaced: false)
    public static let routes = ResourceType(
        group: "route.openshift.io", version: "v1", plural: "routes", kind: "Route", namespaced: true)
    public static let networkAttachmentDefinitions = ResourceType(
        group: "k8s.cni.cncf.io", version: "v1", plural: "network-attachment-definitions",
        kind: "NetworkAttachmentDefinition", namespaced: true)
}

/// A typed Kubernetes object: it knows its resource type and carries standard metadata.
public protocol KubernetesObject: Codable, Sendable {
    /// Where objects of this type live in the API.
    static var resourceType: ResourceType { get }
    /// The object's metadata.
    var metadata: ObjectMeta { get set }
}
