// Forklift's NetworkMap and StorageMap kinds and the parts they share with plans.

/// Maps source networks (EC2 subnets) to pod or Multus networks.
public struct NetworkMap: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.networkMaps
    public var apiVersion = "forklift.konveyor.io/v1beta1"
    public var kind = "NetworkMap"
    public var metadata: ObjectMeta
    public var spec: MapSpec<Destination>
    public var status: MapStatus?

    /// Creates a network map.
    public init(metadata: ObjectMeta, spec: MapSpec<Destination>) {
        self.metadata = metadata
        self.spec = spec
    }

    /// A destination network: `pod`, `multus` (with name and namespace) or `ignored`.
    public struct Destination: Codable, Sendable, Equatable {
        public var type: String
        public var name: String?
        public var namespace: String?

        /// Creates a destination.
        public init(type: String, name: String? = nil, namespace: String? = nil) {
            self.type = type
            self.name = name
            self.namespace = namespace
        }
    }
}

/// Maps source storage (EBS volume types) to storage classes.
public struct StorageMap: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.storageMaps
    public var apiVersion = "forklift.konveyor.io/v1beta1"
    public var kind = "StorageMap"
    public var metadata: ObjectMeta
    public var spec: MapSpec<Destination>
    public var status: MapStatus?

    /// Creates a storage map.
    public init(metadata: ObjectMeta, spec: MapSpec<Destination>) {
        self.metadata = metadata
        self.spec = spec
    }

    /// A destination storage class, with optional volume and access modes.
    public struct Destination: Codable, Sendable, Equatable {
        public var storageClass: String
        public var volumeMode: String?
        public var accessMode: String?

        /// Creates a destination.
        public init(storageClass: String, volumeMode: String? = nil, accessMode: String? = nil) {
            self.storageClass = storageClass
            self.volumeMode = volumeMode
            self.accessMode = accessMode
        }
    }
}

/// The body of a network or storage map: its providers and its source-to-destination pairs.
public struct MapSpec<Destination: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var provider: ProviderPair
    public var map: [Pair]

    /// One source and where it goes.
    public struct Pair: Codable, Sendable, Equatable {
        public var source: SourceReference
        public var destination: Destination

        /// Creates a pair.
        public init(source: SourceReference, destination: Destination) {
            self.source = source
            self.destination = destination
        }
    }

    /// Creates a spec.
    public init(provider: ProviderPair, map: [Pair]) {
        self.provider = provider
        self.map = map
    }
}

/// The source and destination providers of a map or plan.
public struct ProviderPair: Codable, Sendable, Equatable {
    public var source: ObjectReference
    public var destination: ObjectReference

    /// Creates a pair.
    public init(source: ObjectReference, destination: ObjectReference) {
        self.source = source
        self.destination = destination
    }
}

/// A source object in a map: by ID or by name.
public struct SourceReference: Codable, Sendable, Equatable, Hashable {
    public var id: String?
    public var name: String?
    public var type: String?

    /// Creates a reference.
    public init(id: String? = nil, name: String? = nil, type: String? = nil) {
        self.id = id
        self.name = name
        self.type = type
    }
}

/// The status of a map.
public struct MapStatus: Codable, Sendable, Equatable {
    public var conditions: [Condition]?
    public var observedGeneration: Int64?

    /// Creates a status.
    public init(conditions: [Condition]? = nil, observedGeneration: Int64? = nil) {
        self.conditions = conditions
        self.observedGeneration = observedGeneration
    }
}
