import MTVAPI

/// The kinds of inventory records, named as the REST collections name them.
public enum InventoryKind: String, Sendable, CaseIterable, Codable {
    case vm = "vms"
    case volume = "volumes"
    case network = "networks"
    case storage = "storages"
    case snapshot = "snapshots"
    /// The region's availability zones (not an upstream collection; plan validation checks the target zone).
    case zone = "zones"
}

/// One inventory record: the AWS object with the derived fields beside it, and its identity.
public struct InventoryRecord: Sendable, Equatable {
    public var kind: InventoryKind
    public var id: String
    public var name: String
    /// Bumped each time the object changes.
    public var revision: Int
    /// The object as served: AWS fields (PascalCase) plus derived camelCase fields.
    public var object: JSONValue

    /// Creates a record.
    public init(kind: InventoryKind, id: String, name: String, revision: Int = 1, object: JSONValue) {
        self.kind = kind
        self.id = id
        self.name = name
        self.revision = revision
        self.object = object
    }

    /// The record's tags as labels.
    public var labels: [String: String] {
        (object["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }
}
