// Forklift's Plan and Migration kinds, with each VM's status and pipeline.

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
        public init(
            name: String, progress: Progress = Progress(total: 0, completed: 0), annotations: [String: String]? = nil
        ) {
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
