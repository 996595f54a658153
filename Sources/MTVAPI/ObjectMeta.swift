/// Standard Kubernetes object metadata, the fields this project reads and writes.
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var finalizers: [String]?
    public var ownerReferences: [OwnerReference]?

    /// Creates metadata with a name and an optional namespace.
    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
    }
}

/// A reference from an object to the object that owns it (garbage collection follows these).
public struct OwnerReference: Codable, Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    /// Creates an owner reference.
    public init(
        apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
        blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}
