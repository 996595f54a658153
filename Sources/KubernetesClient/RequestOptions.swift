import Foundation
import MTVAPI

/// One page (or all) of a collection.
public struct ObjectList<Item: Sendable>: Sendable {
    public var items: [Item]
    /// The collection's resourceVersion: where a watch should start.
    public var resourceVersion: String
    /// The token for the next page, nil on the last.
    public var continueToken: String?

    /// Creates a page.
    public init(items: [Item], resourceVersion: String, continueToken: String? = nil) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

/// Selectors and paging for list, watch and deletecollection.
public struct ListOptions: Sendable, Equatable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?

    /// Creates options.
    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken { items.append(("continue", continueToken)) }
        return items
    }
}

/// How a delete proceeds: propagation to dependents and preconditions.
public struct DeleteOptions: Sendable, Equatable {
    /// `Foreground`, `Background` or `Orphan`.
    public var propagationPolicy: String?
    /// Delete only the object with this UID.
    public var preconditionUID: String?
    /// Delete only at this resourceVersion.
    public var preconditionResourceVersion: String?

    /// Creates options.
    public init(
        propagationPolicy: String? = nil, preconditionUID: String? = nil, preconditionResourceVersion: String? = nil
    ) {
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
    }

    func body(kind: String) -> JSONValue? {
        guard propagationPolicy != nil || preconditionUID != nil || preconditionResourceVersion != nil else {
            return nil
        }
        var body: [String: JSONValue] = ["apiVersion": "v1", "kind": .string(kind)]
        if let propagationPolicy { body["propagationPolicy"] = .string(propagationPolicy) }
        var preconditions: [String: JSONValue] = [:]
        if let preconditionUID { preconditions["uid"] = .string(preconditionUID) }
        if let preconditionResourceVersion { preconditions["resourceVersion"] = .string(preconditionResourceVersion) }
        if !preconditions.isEmpty { body["preconditions"] = .object(preconditions) }
        return .object(body)
    }
}

/// A patch and its media type.
public enum Patch: Sendable {
    /// RFC 7386 JSON merge patch (`null` deletes, lists are replaced).
    case merge(JSONValue)
    /// RFC 6902 JSON patch operations.
    case json([JSONValue])

    var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .json: "application/json-patch+json"
        }
    }

    var body: JSONValue {
        switch self {
        case .merge(let value): value
        case .json(let operations): .array(operations)
        }
    }
}
