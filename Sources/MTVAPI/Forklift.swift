// Forklift `forklift.konveyor.io/v1beta1` kinds, with the fields this project reads and writes. Fields we do not
// model survive updates because `KubernetesClient.update` sends only what changed, as a merge patch.

/// A reference to an object by name and namespace (Kubernetes `ObjectReference`, the fields Forklift uses).
public struct ObjectReference: Codable, Sendable, Equatable, Hashable {
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var kind: String?
    public var apiVersion: String?

    /// Creates a reference.
    public init(name: String?, namespace: String?, uid: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
    }
}

/// A Forklift condition: a typed, categorised status flag (`Ready`, `ConnectionTestFailed`, …).
public struct Condition: Codable, Sendable, Equatable {
    public var type: String
    /// `True` or `False`.
    public var status: String
    /// `Required`, `Advisory`, `Critical`, `Error` or `Warn`.
    public var category: String
    public var reason: String?
    public var message: String?
    public var suggestion: String?
    public var lastTransitionTime: String
    public var durable: Bool?
    public var items: [String]?

    /// Creates a condition; the transition time is set by `Conditions.set`.
    public init(
        type: String, status: Bool = true, category: String, reason: String? = nil, message: String? = nil,
        suggestion: String? = nil, items: [String]? = nil
    ) {
        self.type = type
        self.status = status ? "True" : "False"
        self.category = category
        self.reason = reason
        self.message = message
        self.suggestion = suggestion
        self.lastTransitionTime = ""
        self.items = items
    }

    /// The condition categories Forklift defines.
    public enum Category {
        public static let required = "Required"
        public static let advisory = "Advisory"
        public static let critical = "Critical"
        public static let error = "Error"
        public static let warn = "Warn"
    }
}

extension Array where Element == Condition {
    /// The condition of this type, if present.
    public subscript(type type: String) -> Condition? { first { $0.type == type } }

    /// Whether a condition of this type is present with status True.
    public func isTrue(_ type: String) -> Bool { self[type: type]?.status == "True" }

    /// Adds or replaces the condition of `condition.type`, keeping its transition time when nothing changed.
    public mutating func set(_ condition: Condition, now: String) {
        var condition = condition
        if let index = firstIndex(where: { $0.type == condition.type }) {
            let old = self[index]
            condition.lastTransitionTime =
                old.status == condition.status && old.reason == condition.reason && old.message == condition.message
                ? old.lastTransitionTime : now
            self[index] = condition
        } else {
            condition.lastTransitionTime = now
            append(condition)
        }
    }

    /// Removes the condition of this type.
    public mutating func remove(type: String) {
        removeAll { $0.type == type }
    }

    /// Makes `conditions` the only ones of the `owned` types, leaving other writers' conditions alone.
    public mutating func replace(owned: Set<String>, with conditions: [Condition], now: String) {
        let kept = Set(conditions.map(\.type))
        removeAll { owned.contains($0.type) && !kept.contains($0.type) }
        for condition in conditions { set(condition, now: now) }
    }
}

// MARK: Provider

/// The condition types of a Provider's status.
/// The inventory as a Kubernetes aggregated API: its group, version and the APIService that registers it.
public enum InventoryAPI {
    public static let group = "inventory.forklift.konveyor.io"
    public static let version = "v1beta1"
    /// Where its paths start on the API server (and on the controller, which serves them there too).
    public static var prefix: String { "/apis/\(group)/\(version)" }
    /// The APIService's name, `<version>.<group>`.
    public static var apiService: String { "\(version).\(group)" }
}

/// The condition types of a Provider's status.
public enum ProviderCondition {
    public static let ready = "Ready"
    public static let connectionTestSucceeded = "ConnectionTestSucceeded"
    public static let connectionTestFailed = "ConnectionTestFailed"
    public static let validationFailed = "ValidationFailed"
    public static let validated = "Validated"
    public static let inventoryCreated = "InventoryCreated"
    public static let inventoryCollectionFailed = "InventoryCollectionFailed"
}

/// A source or target of migrations: an EC2 account and region, or the `host` cluster itself.
public struct Provider: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.providers
    public var apiVersion = "forklift.konveyor.io/v1beta1"
    public var kind = "Provider"
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    /// Creates a provider.
    public init(metadata: ObjectMeta, spec: Spec, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// What the provider points at.
    public struct Spec: Codable, Sendable, Equatable {
        /// `ec2`, `openshift`, …
        public var type: String
        public var url: String?
        public var secret: ObjectReference
        /// `target-az`, `target-region`, …
        public var settings: [String: String]?

        /// Creates a spec.
        public init(type: String, url: String? = nil, secret: ObjectReference, settings: [String: String]? = nil) {
            self.type = type
            self.url = url
            self.secret = secret
            self.settings = settings
        }
    }

    /// What the controller found.
    public struct Status: Codable, Sendable, Equatable {
        public var phase: String?
        public var conditions: [Condition]?
        public var observedGeneration: Int64?
        public var secretResourceVersion: String?

        /// Creates a status.
        public init(phase: String? = nil, conditions: [Condition]? = nil, observedGeneration: Int64? = nil) {
            self.phase = phase
            self.conditions = conditions
            self.observedGeneration = observedGeneration
        }
    }
}

// MARK: Mappings

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

// MARK: Plan

/// What to migrate, from where, to where, and how; its status carries each VM's pipeline.
public struct Plan: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.plans
    public var apiVersion = "forklift.konveyor.io/v1beta1"
    public var kind = "Plan"
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    /// Creates a plan.
    public init(metadata: ObjectMeta, spec: Spec, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The plan's settings.
    public struct Spec: Codable, Sendable, Equatable {
        public var description: String?
        public var provider: ProviderPair
        public var targetNamespace: String
        public var map: Maps
        public var vms: [VM]
        public var archived: Bool?
        public var type: String?
        public var warm: Bool?
        public var skipGuestConversion: Bool?
        public var useCompatibilityMode: Bool?
        public var skipZoneNodeSelector: Bool?
        public var targetPowerState: String?
        public var pvcNameTemplate: String?
        public var pvcNameTemplateUseGenerateName: Bool?
        public var deleteVmOnFailMigration: Bool?
        public var deleteGuestConversionPod: Bool?
        public var targetLabels: [String: String]?
        public var targetNodeSelector: [String: String]?
        public var targetAffinity: JSONValue?
        public var convertorNodeSelector: [String: String]?
        public var convertorLabels: [String: String]?
        public var convertorAffinity: JSONValue?
        public var virtV2vImage: String?
        public var enableNestedVirtualization: Bool?
        public var installLegacyDrivers: Bool?
        public var conversionTempStorageClass: String?
        public var conversionTempStorageSize: String?

        /// Creates a spec.
        public init(provider: ProviderPair, targetNamespace: String, map: Maps, vms: [VM]) {
            self.provider = provider
            self.targetNamespace = targetNamespace
            self.map = map
            self.vms = vms
        }
    }

    /// The network and storage maps a plan uses.
    public struct Maps: Codable, Sendable, Equatable {
        public var network: ObjectReference
        public var storage: ObjectReference

        /// Creates the references.
        public init(network: ObjectReference, storage: ObjectReference) {
            self.network = network
            self.storage = storage
        }
    }

    /// One VM to migrate (an EC2 instance by ID).
    public struct VM: Codable, Sendable, Equatable {
        public var id: String?
        public var name: String?
        public var targetName: String?
        public var targetPowerState: String?
        public var pvcNameTemplate: String?
        public var rootDisk: String?
        public var instanceType: String?
        public var deleteVmOnFailMigration: Bool?
        public var enableNestedVirtualization: Bool?
        public var hooks: [HookReference]?

        /// Creates a VM reference.
        public init(id: String? = nil, name: String? = nil) {
            self.id = id
            self.name = name
        }
    }

    /// A hook a VM runs at one step of its migration (`PreHook` or `PostHook`).
    public struct HookReference: Codable, Sendable, Equatable {
        public var hook: ObjectReference?
        public var step: String?

        /// Creates a reference.
        public init(hook: ObjectReference?, step: String?) {
            self.hook = hook
            self.step = step
        }
    }

    /// Conditions and the current migration's progress.
    public struct Status: Codable, Sendable, Equatable {
        public var conditions: [Condition]?
        public var observedGeneration: Int64?
        public var migration: MigrationStatus?

        /// Creates a status.
        public init(conditions: [Condition]? = nil, observedGeneration: Int64? = nil, migration: MigrationStatus? = nil)
        {
            self.conditions = conditions
            self.observedGeneration = observedGeneration
            self.migration = migration
        }
    }

    /// A plan's record of its migration.
    public struct MigrationStatus: Codable, Sendable, Equatable {
        public var started: String?
        public var completed: String?
        public var vms: [VMStatus]?
        public var history: [JSONValue]?

        /// Creates a record of a migration.
        public init(started: String? = nil, completed: String? = nil, vms: [VMStatus]? = nil) {
            self.started = started
            self.completed = completed
            self.vms = vms
        }
    }
}

/// One VM's progress through a migration.
public struct VMStatus: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var phase: String
    public var pipeline: [PipelineStep]
    public var started: String?
    public var completed: String?
    public var error: VMError?
    public var conditions: [Condition]?
    public var newName: String?
    public var targetName: String?
    public var restorePowerState: String?
    public var firmware: String?
    public var operatingSystem: String?

    /// Creates a VM status.
    public init(id: String?, name: String?, phase: String, pipeline: [PipelineStep]) {
        self.id = id
        self.name = name
        self.phase = phase
        self.pipeline = pipeline
    }
}

/// A step of a VM's pipeline (Initialize, DiskTransfer, …) with its progress.
public struct PipelineStep: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var phase: String?
    public var progress: Progress
    public var started: String?
    public var completed: String?
    public var error: VMError?
    public var reason: String?
    public var annotations: [String: String]?
    /// Per-disk (or per-item) parts of the step.
    public var tasks: [Task]?

    /// One part of a step, such as one disk of DiskTransfer.
    public struct Task: Codable, Sendable, Equatable {
        public var name: String
        public var phase: String?
        public var progress: Progress
        public var annotations: [String: String]?
        public var started: String?
        public var completed: String?

        /// Creates a task.
        public init(name: String, progress: Progress = Progress(total: 0, completed: 0), annotations: [String: String]? = nil) {
            self.name = name
            self.progress = progress
            self.annotations = annotations
        }
    }

    /// Creates a step.
    public init(name: String, description: String? = nil, progress: Progress = Progress(total: 0, completed: 0)) {
        self.name = name
        self.description = description
        self.progress = progress
    }

    /// Completed of total units.
    public struct Progress: Codable, Sendable, Equatable {
        public var total: Int64
        public var completed: Int64

        /// Creates a progress value.
        public init(total: Int64, completed: Int64) {
            self.total = total
            self.completed = completed
        }
    }
}

/// Why a VM or a step failed, and in which phase.
public struct VMError: Codable, Sendable, Equatable {
    public var phase: String
    public var reasons: [String]

    /// Creates an error record.
    public init(phase: String, reasons: [String]) {
        self.phase = phase
        self.reasons = reasons
    }
}

// MARK: Migration

/// One run of a plan.
public struct Migration: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.migrations
    public var apiVersion = "forklift.konveyor.io/v1beta1"
    public var kind = "Migration"
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    /// Creates a migration.
    public init(metadata: ObjectMeta, spec: Spec, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The plan to run and the VMs to cancel.
    public struct Spec: Codable, Sendable, Equatable {
        public var plan: ObjectReference
        public var cancel: [Plan.VM]?

        /// Creates a spec.
        public init(plan: ObjectReference, cancel: [Plan.VM]? = nil) {
            self.plan = plan
            self.cancel = cancel
        }
    }

    /// Conditions and each VM's progress.
    public struct Status: Codable, Sendable, Equatable {
        public var conditions: [Condition]?
        public var observedGeneration: Int64?
        public var started: String?
        public var completed: String?
        public var vms: [VMStatus]?

        /// Creates a status.
        public init(conditions: [Condition]? = nil, started: String? = nil, vms: [VMStatus]? = nil) {
            self.conditions = conditions
            self.started = started
            self.vms = vms
        }
    }
}
