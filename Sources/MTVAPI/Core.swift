import Foundation

// Core Kubernetes kinds, the fields this project reads and writes.

/// A Secret; `data` values are base64 as on the wire.
public struct Secret: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.secrets
    public var apiVersion = "v1"
    public var kind = "Secret"
    public var metadata: ObjectMeta
    public var type: String?
    public var data: [String: String]?
    public var stringData: [String: String]?

    /// Creates a secret from plain-text values (sent as `stringData`).
    public init(metadata: ObjectMeta, stringData: [String: String], type: String = "Opaque") {
        self.metadata = metadata
        self.stringData = stringData
        self.type = type
    }

    /// The decoded value of a key, from `data` (or `stringData` before the server merged it).
    public func value(_ key: String) -> String? {
        if let plain = stringData?[key] { return plain }
        guard let encoded = data?[key], let bytes = Data(base64Encoded: encoded) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A namespace.
public struct Namespace: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.namespaces
    public var apiVersion = "v1"
    public var kind = "Namespace"
    public var metadata: ObjectMeta

    /// Creates a namespace object.
    public init(name: String, labels: [String: String]? = nil) {
        metadata = ObjectMeta(name: name, labels: labels)
    }
}

/// A node: its labels (zone, architecture, role) and capacity.
public struct Node: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.nodes
    public var apiVersion = "v1"
    public var kind = "Node"
    public var metadata: ObjectMeta
    public var status: Status?

    /// Capacity and allocatable resources.
    public struct Status: Codable, Sendable, Equatable {
        public var capacity: [String: String]?
        public var allocatable: [String: String]?
    }

    /// The node's `topology.kubernetes.io/zone` label.
    public var zone: String? { metadata.labels?["topology.kubernetes.io/zone"] }
    /// The node's `kubernetes.io/arch` label.
    public var architecture: String? { metadata.labels?["kubernetes.io/arch"] }
}

/// A storage class: its provisioner decides whether it is EBS CSI.
public struct StorageClass: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.storageClasses
    public var apiVersion = "storage.k8s.io/v1"
    public var kind = "StorageClass"
    public var metadata: ObjectMeta
    public var provisioner: String
    public var parameters: [String: String]?
    public var volumeBindingMode: String?
    public var reclaimPolicy: String?

    /// The AWS EBS CSI driver's provisioner name.
    public static let ebsProvisioner = "ebs.csi.aws.com"
}

/// A persistent volume.
public struct PersistentVolume: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.persistentVolumes
    public var apiVersion = "v1"
    public var kind = "PersistentVolume"
    public var metadata: ObjectMeta
    public var spec: JSONValue
    public var status: JSONValue?

    /// Creates a persistent volume from its spec.
    public init(metadata: ObjectMeta, spec: JSONValue) {
        self.metadata = metadata
        self.spec = spec
    }

    /// `Available`, `Bound`, `Released`, `Failed`.
    public var phase: String? { status?["phase"]?.stringValue }
}

/// A persistent volume claim.
public struct PersistentVolumeClaim: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.persistentVolumeClaims
    public var apiVersion = "v1"
    public var kind = "PersistentVolumeClaim"
    public var metadata: ObjectMeta
    public var spec: JSONValue
    public var status: JSONValue?

    /// Creates a claim from its spec.
    public init(metadata: ObjectMeta, spec: JSONValue) {
        self.metadata = metadata
        self.spec = spec
    }

    /// `Pending`, `Bound`, `Lost`.
    public var phase: String? { status?["phase"]?.stringValue }
}

/// A pod; spec and status stay JSON because builders write them whole and readers need few fields.
public struct Pod: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.pods
    public var apiVersion = "v1"
    public var kind = "Pod"
    public var metadata: ObjectMeta
    public var spec: JSONValue
    public var status: JSONValue?

    /// Creates a pod from its spec.
    public init(metadata: ObjectMeta, spec: JSONValue) {
        self.metadata = metadata
        self.spec = spec
    }

    /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
    public var phase: String? { status?["phase"]?.stringValue }
}

/// An event about an object, for `kubectl describe` and `get events`.
public struct Event: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.events
    public var apiVersion = "v1"
    public var kind = "Event"
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    /// `Normal` or `Warning`.
    public var type: String?
    public var count: Int?
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var source: Source?

    /// The component that reported the event.
    public struct Source: Codable, Sendable, Equatable {
        public var component: String?
    }

    /// Creates an event.
    public init(
        metadata: ObjectMeta, involvedObject: ObjectReference, reason: String, message: String, type: String,
        component: String, time: String
    ) {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.count = 1
        self.firstTimestamp = time
        self.lastTimestamp = time
        self.source = Source(component: component)
    }
}

/// A lease, for leader election.
public struct Lease: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.leases
    public var apiVersion = "coordination.k8s.io/v1"
    public var kind = "Lease"
    public var metadata: ObjectMeta
    public var spec: Spec

    /// Who holds the lease and until when.
    public struct Spec: Codable, Sendable, Equatable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int?
        public var acquireTime: String?
        public var renewTime: String?
        public var leaseTransitions: Int?

        /// Creates a lease spec.
        public init(holderIdentity: String?, leaseDurationSeconds: Int?, acquireTime: String?, renewTime: String?) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
        }
    }

    /// Creates a lease.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// Asks the API server who a bearer token belongs to.
public struct TokenReview: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.tokenReviews
    public var apiVersion = "authentication.k8s.io/v1"
    public var kind = "TokenReview"
    public var metadata = ObjectMeta()
    public var spec: Spec
    public var status: Status?

    /// The token to review.
    public struct Spec: Codable, Sendable, Equatable {
        public var token: String
    }

    /// The answer.
    public struct Status: Codable, Sendable, Equatable {
        public var authenticated: Bool?
        public var user: UserInfo?
        public var error: String?
    }

    /// Creates a review of a token.
    public init(token: String) {
        spec = Spec(token: token)
    }
}

/// A user as the API server knows it.
public struct UserInfo: Codable, Sendable, Equatable {
    public var username: String?
    public var uid: String?
    public var groups: [String]?
    public var extra: [String: [String]]?

    /// Creates a user.
    public init(username: String?, uid: String? = nil, groups: [String]? = nil, extra: [String: [String]]? = nil) {
        self.username = username
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }
}

/// Asks the API server whether a user may do something.
public struct SubjectAccessReview: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.subjectAccessReviews
    public var apiVersion = "authorization.k8s.io/v1"
    public var kind = "SubjectAccessReview"
    public var metadata = ObjectMeta()
    public var spec: Spec
    public var status: Status?

    /// Who wants to do what.
    public struct Spec: Codable, Sendable, Equatable {
        public var user: String?
        public var groups: [String]?
        public var uid: String?
        public var extra: [String: [String]]?
        public var resourceAttributes: ResourceAttributes?
    }

    /// The verb and the object.
    public struct ResourceAttributes: Codable, Sendable, Equatable {
        public var namespace: String?
        public var verb: String
        public var group: String?
        public var resource: String
        public var name: String?

        /// Creates attributes.
        public init(namespace: String?, verb: String, group: String?, resource: String, name: String?) {
            self.namespace = namespace
            self.verb = verb
            self.group = group
            self.resource = resource
            self.name = name
        }
    }

    /// The answer.
    public struct Status: Codable, Sendable, Equatable {
        public var allowed: Bool
        public var denied: Bool?
        public var reason: String?
    }

    /// Creates a review.
    public init(user: UserInfo, attributes: ResourceAttributes) {
        spec = Spec(
            user: user.username, groups: user.groups, uid: user.uid, extra: user.extra, resourceAttributes: attributes)
    }
}
