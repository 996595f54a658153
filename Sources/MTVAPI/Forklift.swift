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

/// The condition types that every Forklift object shares, and those of a Plan's, a Migration's and a VM's run
/// (upstream's names, which the console and the upstream CLI read).
public enum ConditionType {
    /// The object can be used (a Provider, a map, a Plan) or a migration has started.
    public static let ready = "Ready"
    /// A Plan's migration is under way.
    public static let executing = "Executing"
    /// A Migration is under way.
    public static let running = "Running"
    public static let succeeded = "Succeeded"
    public static let failed = "Failed"
    public static let canceled = "Canceled"
    /// A Plan that is kept but may not run again.
    public static let archived = "Archived"
    /// The conditions that end a migration, in the order a summary reports them.
    public static let outcomes = [failed, canceled, succeeded]
}

// MARK: Provider

/// The condition types of a Provider's status.
public enum ProviderCondition {
    public static let ready = ConditionType.ready
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
