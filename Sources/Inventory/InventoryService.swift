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
    /// The decision could not be made now (the API server did not answer): 503, try again.
    case unavailable(String)
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
    let executor: QueryExecutor
    /// Seconds one query may spend evaluating records.
    let queryTimeLimit: Double

    /// Creates the service; collection reads and queries run on `executor`.
    public init(
        store: InventoryStore, providers: any InventoryProviderSource, authorizer: any InventoryAuthorizer,
        executor: QueryExecutor = QueryExecutor(), queryTimeLimit: Double = QueryLimits.maxEvaluationSeconds
    ) {
        self.store = store
        self.providers = providers
        self.authorizer = authorizer
        self.executor = executor
        self.queryTimeLimit = queryTimeLimit
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
            if try Self.detail(request) > 0 {
                for kind in InventoryKind.allCases { body["\(kind.rawValue.dropLast())Count"] = .number(Double(counts[kind] ?? 0)) }
            }
            return Self.json(body)
        }
        router.get("/providers/:type/:uid/:collection") { request, context in
            let provider = try await self.authorizedProvider(request, context)
            let kind = try Self.kind(context.parameters.get("collection") ?? "")
            let parameters = try Self.formParameters(request.uri.query)
            let (store, timeLimit) = (self.store, self.queryTimeLimit)
            return try await self.run {
                let name = parameters.first { $0.0 == "name" }?.1
                var items = try store.list(provider: provider.uid, kind: kind, name: name).filter {
                    Self.hasLabels($0, parameters)
                }.map { Self.item($0, provider: provider) }
                if let text = parameters.first(where: { $0.0 == "query" })?.1, !text.isEmpty {
                    items = try Self.select(items, query: text, timeLimit: timeLimit)
                }
                return Self.json(.array(items))
            }
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
        case .allowed: break
        case .unauthenticated: throw HTTPError(.unauthorized, message: "the bearer token is not valid")
        case .forbidden(let reason): throw HTTPError(.forbidden, message: reason)
        case .unavailable(let reason): throw HTTPError(.serviceUnavailable, message: reason)
        }
        // Until its first pass the store holds nothing for the provider: an empty answer would be wrong.
        guard provider.passes > 0 else {
            throw HTTPError(.serviceUnavailable, message: "the inventory of provider \(provider.name) is being "
                + "collected for the first time; try again in a few seconds"
                + (provider.lastError.map { " (the last pass failed: \($0))" } ?? ""))
        }
        return provider
    }

    /// The items a query keeps, in the query's order (its `order by` and `limit` apply). The query sees each
    /// item's object with the fields the service adds (`provider`, `revision`), as the caller reads it.
    static func select(_ items: [JSONValue], query text: String, timeLimit: Double) throws -> [JSONValue] {
        do {
            let query = try Query.parse(text)
            return try query.positions(in: items.map { $0["object"] ?? .null }, timeLimit: timeLimit).map { items[$0] }
        } catch {
            throw HTTPError(.badRequest, message: "\(error)")
        }
    }

    /// Runs request work on the query executor; a full queue is a 503.
    private func run(_ work: @escaping @Sendable () throws -> Response) async throws -> Response {
        do {
            return try await executor.run(work)
        } catch let busy as QueryExecutor.Busy {
            throw HTTPError(.serviceUnavailable, message: busy.description)
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
    /// `%XX` a byte (so curl's `--data-urlencode` and the upstream inventory's clients are understood). Bytes
    /// that are not UTF-8 and broken escapes are a 400 that says so.
    static func formParameters(_ query: String?) throws -> [(String, String)] {
        try (query ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decodeFormComponent(parts[0], parameter: nil)
            return (name, parts.count > 1 ? try decodeFormComponent(parts[1], parameter: name) : "")
        }
    }

    private static func decodeFormComponent(_ text: Substring, parameter: String?) throws -> String {
        let what = parameter.map { "the value of '\($0)'" } ?? "a parameter name"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw HTTPError(.badRequest, message: "\(what) in the URL has a '%' not followed by two hex digits")
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw HTTPError(.badRequest, message: "\(what) is not valid UTF-8 once its %XX escapes are decoded")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func detail(_ request: Request) throws -> Int {
        let text = try formParameters(request.uri.query).first { $0.0 == "detail" }?.1 ?? "0"
        return text == "all" ? 4 : Int(text) ?? 0
    }

    /// Whether a record has every label a `label.<key>=<value>` parameter asks for.
    static func hasLabels(_ record: InventoryRecord, _ parameters: [(String, String)]) -> Bool {
        parameters.allSatisfy { key, value in
            !key.hasPrefix("label.") || record.labels[String(key.dropFirst("label.".count))] == value
        }
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
