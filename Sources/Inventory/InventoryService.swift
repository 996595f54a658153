import Foundation
import Hummingbird
import InventoryQuery
import Logging
import MTVAPI
import NIOCore

/// Who may read a provider's inventory: the API server decides, from the caller's bearer token.
public protocol InventoryAuthorizer: Sendable {
    /// Decides whether the token's user may `get` the Provider `namespace/name`.
    func authorize(token: String, namespace: String, name: String) async -> AuthorizationDecision
}

/// An authorization answer.
public enum AuthorizationDecision: Sendable, Equatable {
    case allowed
    /// The token is not valid (401).
    case unauthenticated
    /// The token is valid but may not read the provider (403), with the reason.
    case forbidden(String)
}

/// A provider the inventory serves.
public struct InventoryProvider: Sendable, Equatable {
    public var uid: String
    public var name: String
    public var namespace: String
    public var type: String
    /// Completed collection passes (0: not collected yet).
    public var passes: Int
    /// The last collection error, if the last pass failed.
    public var lastError: String?

    /// Creates a provider entry.
    public init(uid: String, name: String, namespace: String, type: String = "ec2", passes: Int = 0, lastError: String? = nil) {
        self.uid = uid
        self.name = name
        self.namespace = namespace
        self.type = type
        self.passes = passes
        self.lastError = lastError
    }
}

/// The providers the inventory knows, maintained by the controller.
public protocol InventoryProviderSource: Sendable {
    /// Every provider being collected.
    func providers() async -> [InventoryProvider]
}

/// The inventory's REST routes, with the upstream paths and envelope
/// (`/providers/ec2/<uid>/{vms,volumes,networks,storages,snapshots}[/<id>]`, items `{id, name, revision, object}`),
/// plus `query=` to filter on the server with the inventory query language.
public struct InventoryService: Sendable {
    let store: InventoryStore
    let providers: any InventoryProviderSource
    let authorizer: any InventoryAuthorizer

    /// Creates the service.
    public init(store: InventoryStore, providers: any InventoryProviderSource, authorizer: any InventoryAuthorizer) {
        self.store = store
        self.providers = providers
        self.authorizer = authorizer
    }

    /// Adds the routes to a router.
    public func register(on router: Router<BasicRequestContext>) {
        router.get("/providers") { request, _ in try await self.providerList(request, type: nil) }
        router.get("/providers/:type") { request, context in
            try await self.providerList(request, type: context.parameters.get("type"))
        }
        router.get("/providers/:type/:uid") { request, context in
            let provider = try await self.authorizedProvider(request, context)
            let counts = try store.counts(provider: provider.uid)
            var body = Self.envelope(provider)
            if Self.detail(request) > 0 {
                for kind in InventoryKind.allCases { body["\(kind.rawValue.dropLast())Count"] = .number(Double(counts[kind] ?? 0)) }
            }
            return Self.json(body)
        }
        router.get("/providers/:type/:uid/:collection") { request, context in
            let provider = try await self.authorizedProvider(request, context)
            let kind = try Self.kind(context.parameters.get("collection") ?? "")
            var records = try store.list(provider: provider.uid, kind: kind, name: Self.parameter("name", request))
            records = Self.filterLabels(records, request)
            if let text = Self.parameter("query", request), !text.isEmpty {
                records = try Self.select(records, query: text)
            }
            return Self.json(.array(records.map { Self.item($0, provider: provider) }))
        }
        router.get("/providers/:type/:uid/:collection/:id") { request, context in
            let provider = try await self.authorizedProvider(request, context)
            let kind = try Self.kind(context.parameters.get("collection") ?? "")
            let id = context.parameters.get("id") ?? ""
            guard let record = try store.get(provider: provider.uid, kind: kind, id: id)
                ?? store.list(provider: provider.uid, kind: kind, name: id).first
            else {
                throw HTTPError(.notFound, message: "\(kind.rawValue.dropLast()) '\(id)' not found in provider \(provider.name)")
            }
            return Self.json(Self.item(record, provider: provider))
        }
    }

    private func providerList(_ request: Request, type: String?) async throws -> Response {
        let token = try Self.token(request)
        var visible: [JSONValue] = []
        for provider in await providers.providers() where type == nil || provider.type == type {
            if await authorizer.authorize(token: token, namespace: provider.namespace, name: provider.name) == .allowed {
                visible.append(Self.envelope(provider))
            }
        }
        if type == nil { return Self.json(["ec2": .array(visible)]) }
        return Self.json(.array(visible))
    }

    private func authorizedProvider(_ request: Request, _ context: BasicRequestContext) async throws -> InventoryProvider {
        let token = try Self.token(request)
        let uid = context.parameters.get("uid") ?? ""
        guard let provider = await providers.providers().first(where: { $0.uid == uid || $0.name == uid }),
            provider.type == context.parameters.get("type")
        else {
            throw HTTPError(.notFound, message: "provider '\(uid)' is not in the inventory (is it an EC2 provider, and Ready?)")
        }
        switch await authorizer.authorize(token: token, namespace: provider.namespace, name: provider.name) {
        case .allowed: return provider
        case .unauthenticated: throw HTTPError(.unauthorized, message: "the bearer token is not valid")
        case .forbidden(let reason): throw HTTPError(.forbidden, message: reason)
        }
    }

    /// The records a query keeps, in the query's order (its `order by` and `limit` apply).
    static func select(_ records: [InventoryRecord], query text: String) throws -> [InventoryRecord] {
        do {
            let query = try Query.parse(text)
            let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            return try query.apply(to: records.map(\.object)).compactMap { $0["id"]?.stringValue.flatMap { byID[$0] } }
        } catch {
            throw HTTPError(.badRequest, message: "\(error)")
        }
    }

    static func token(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            case let token = String(header.dropFirst("Bearer ".count)), !token.isEmpty
        else {
            throw HTTPError(.unauthorized, message: "a bearer token is required (Authorization: Bearer …)")
        }
        return token
    }

    static func kind(_ collection: String) throws -> InventoryKind {
        guard let kind = InventoryKind(rawValue: collection) else {
            throw HTTPError(.notFound, message: "no collection '\(collection)'; use vms, volumes, networks, storages, snapshots or zones")
        }
        return kind
    }

    /// The query string's parameters decoded as HTML forms and Go's net/url decode them: `+` is a space and
    /// `%XX` a byte (so curl's `--data-urlencode` and the upstream inventory's clients are understood).
    static func formParameters(_ query: String?) -> [(String, String)] {
        (query ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The first value of one query parameter.
    static func parameter(_ name: String, _ request: Request) -> String? {
        formParameters(request.uri.query).first { $0.0 == name }?.1
    }

    static func detail(_ request: Request) -> Int {
        let text = parameter("detail", request) ?? "0"
        return text == "all" ? 4 : Int(text) ?? 0
    }

    /// Keeps the records whose labels match every `label.<key>=<value>` parameter.
    static func filterLabels(_ records: [InventoryRecord], _ request: Request) -> [InventoryRecord] {
        let wanted = formParameters(request.uri.query).compactMap { key, value -> (String, String)? in
            key.hasPrefix("label.") ? (String(key.dropFirst("label.".count)), value) : nil
        }
        guard !wanted.isEmpty else { return records }
        return records.filter { record in wanted.allSatisfy { record.labels[$0.0] == $0.1 } }
    }

    static func envelope(_ provider: InventoryProvider) -> JSONValue {
        var value: JSONValue = [
            "uid": .string(provider.uid), "id": .string(provider.uid), "name": .string(provider.name),
            "namespace": .string(provider.namespace), "type": .string(provider.type),
            "revision": .number(Double(provider.passes)), "selfLink": .string("providers/\(provider.type)/\(provider.uid)"),
        ]
        if let error = provider.lastError { value["lastError"] = .string(error) }
        return value
    }

    static func item(_ record: InventoryRecord, provider: InventoryProvider) -> JSONValue {
        var object = record.object
        object["provider"] = .string(provider.uid)
        object["revision"] = .number(Double(record.revision))
        return [
            "id": .string(record.id), "name": .string(record.name), "revision": .number(Double(record.revision)),
            "selfLink": .string("providers/\(provider.type)/\(provider.uid)/\(record.kind.rawValue)/\(record.id)"),
            "object": object,
        ]
    }

    static func json(_ value: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(value.serialized()))))
    }
}
