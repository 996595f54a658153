/// The parameters of one Query-protocol request, flattened the way EC2 expects
/// (`InstanceId.1`, `Filter.1.Name`, `Filter.1.Value.1`, `TagSpecification.1.Tag.1.Key`).
public struct QueryParameters: Sendable, Equatable {
    /// The name/value pairs in the order they were added.
    public private(set) var pairs: [(String, String)] = []

    /// Creates an empty parameter list.
    public init() {}

    /// Adds one value; nil adds nothing.
    public mutating func set(_ name: String, _ value: String?) {
        if let value { pairs.append((name, value)) }
    }

    /// Adds an integer; nil adds nothing.
    public mutating func set(_ name: String, _ value: Int?) {
        set(name, value.map(String.init))
    }

    /// Adds a boolean as `true`/`false`; nil adds nothing.
    public mutating func set(_ name: String, _ value: Bool?) {
        set(name, value.map { $0 ? "true" : "false" })
    }

    /// Adds a list as `name.1`, `name.2`, …
    public mutating func set(_ name: String, list: [String]) {
        for (index, value) in list.enumerated() { pairs.append(("\(name).\(index + 1)", value)) }
    }

    /// Adds filters as `Filter.N.Name` and `Filter.N.Value.M`.
    public mutating func set(filters: [EC2Filter]) {
        for (index, filter) in filters.enumerated() {
            pairs.append(("Filter.\(index + 1).Name", filter.name))
            for (valueIndex, value) in filter.values.enumerated() {
                pairs.append(("Filter.\(index + 1).Value.\(valueIndex + 1)", value))
            }
        }
    }

    /// Adds tag specifications as `TagSpecification.N.ResourceType` and `TagSpecification.N.Tag.M.Key/Value`.
    public mutating func set(tagSpecifications: [TagSpecification]) {
        for (index, spec) in tagSpecifications.enumerated() {
            let prefix = "TagSpecification.\(index + 1)"
            pairs.append(("\(prefix).ResourceType", spec.resourceType))
            set(prefix, tags: spec.tags)
        }
    }

    /// Adds tags as `PREFIX.Tag.N.Key` and `PREFIX.Tag.N.Value` (no prefix: `Tag.N.…`).
    public mutating func set(_ prefix: String? = nil, tags: [Tag]) {
        let base = prefix.map { "\($0).Tag" } ?? "Tag"
        for (index, tag) in tags.enumerated() {
            pairs.append(("\(base).\(index + 1).Key", tag.key))
            pairs.append(("\(base).\(index + 1).Value", tag.value))
        }
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0 == $1 }
    }
}

/// A Describe filter: a name and the values any of which may match.
public struct EC2Filter: Sendable, Equatable {
    public var name: String
    public var values: [String]

    /// Creates a filter.
    public init(_ name: String, _ values: [String]) {
        self.name = name
        self.values = values
    }

    /// A filter on a tag's value: `tag:KEY`.
    public static func tag(_ key: String, _ values: String...) -> EC2Filter {
        EC2Filter("tag:\(key)", values)
    }
}

/// Tags to apply to resources a call creates, by resource type (`snapshot`, `volume`).
public struct TagSpecification: Sendable, Equatable {
    public var resourceType: String
    public var tags: [Tag]

    /// Creates a tag specification.
    public init(resourceType: String, tags: [Tag]) {
        self.resourceType = resourceType
        self.tags = tags
    }
}
