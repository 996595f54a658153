import Foundation
import Hummingbird
import InventoryQuery
import Logging
import MTVAPI
import NIOCore

/// Who may read a provider's inventory: the API server decides, from the caller's bearer token or the user its
/// front proxy names.
public protocol InventoryAuthorizer: Sendable {
    /// Decides whether the caller may `get` the Provider `namespace/name`.
    func authorize(_ caller: InventoryCaller, namespace: String, name: String) async -> AuthorizationDecision
}

/// Who is asking: the owner of a bearer token (a direct caller), or a user the API server's front proxy vouches
/// for (a request through the aggregated API).
public enum InventoryCaller: Sendable, Equatable {
    case token(String)
    case user(UserInfo)
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
    public init(
        uid: String, name: String, namespace: String, type: String = "ec2", passes: Int = 0, lastError: String? = nil
    ) {
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
/// plus `query=` to filter on the server with the inventory query language. The same routes are served under
/// `/apis/inventory.forklift.konveyor.io/v1beta1/`, where the API server's aggregation layer sends them.
public struct InventoryService: Sendable {
    let store: InventoryStore
    let providers: any InventoryProviderSource
    let authorizer: any InventoryAuthorizer
    let requestHeaderTrust: (any RequestHeaderTrustSource)?
    let cluster: (any ClusterInventorySource)?
    let executor: QueryExecutor
    /// Seconds one query may spend evaluating records.
    let queryTimeLimit: Double

    /// Creates the service; collection reads and queries run on `executor`. Without `requestHeaderTrust` no
    /// caller may name its user in headers; without `cluster` there are no OpenShift inventories.
    public init(
        store: InventoryStore, providers: any InventoryProviderSource, authorizer: any InventoryAuthorizer,
        requestHeaderTrust: (any RequestHeaderTrustSource)? = nil, cluster: (any ClusterInventorySource)? = nil,
        executor: QueryExecutor = QueryExecutor(), queryTimeLimit: Double = QueryLimits.maxEvaluationSeconds
    ) {
        self.store = store
        self.providers = providers
        self.authorizer = authorizer
        self.requestHeaderTrust = requestHeaderTrust
        self.cluster = cluster
        self.executor = executor
        self.queryTimeLimit = queryTimeLimit
    }

    /// Adds the routes to a router: the upstream paths at the root, and under the aggregated API's prefix the same
    /// collections by namespace and name (`namespaces/<ns>/providers/<name>/vms`), so the API server's own
    /// authorization sees a namespaced `providers/vms` subresource that namespace RBAC can grant.
    public func register(on router: Router<InventoryRequestContext>) {
        let authentication = InventoryAuthentication(requestHeaderTrust: requestHeaderTrust)
        let upstream = router.group("providers").add(middleware: authentication)
        upstream.get { request, context in try await self.providerList(request, context, type: nil) }
        upstream.get(":type") { request, context in
            try await self.providerList(request, context, type: context.parameters.get("type"))
        }
        addProviderRoutes(to: upstream, at: ":type/:uid") { context in
            .upstream(type: context.parameters.get("type") ?? "", id: context.parameters.get("uid") ?? "")
        }
        let api = router.group(RouterPath(InventoryAPI.prefix))
        api.get { _, _ in Self.json(Self.resourceList) }
        let namespaced = api.group("namespaces").add(middleware: authentication)
        addProviderRoutes(to: namespaced, at: ":namespace/providers/:name") { context in
            .namespaced(
                namespace: context.parameters.get("namespace") ?? "", name: context.parameters.get("name") ?? "")
        }
    }

    /// The aggregated API's discovery answer: the collections of EC2 and OpenShift inventories as subresources of
    /// `providers` (read with `get`; they are the upstream REST shapes, not Kubernetes objects, so `kubectl get
    /// --raw` reads them).
    static let resourceList: JSONValue = [
        "kind": "APIResourceList", "apiVersion": "v1",
        "groupVersion": .string("\(InventoryAPI.group)/\(InventoryAPI.version)"),
        "resources": .array(
            Set(InventoryKind.allCases.map(\.rawValue) + ClusterCollection.allCases.map(\.rawValue))
                .sorted().map { collection in
                    ["name": .string("providers/\(collection)"), "namespaced": true, "kind": "List", "verbs": ["get"]]
                }),
    ]

    /// How a route names its provider.
    enum ProviderSelector {
        /// The upstream paths: type and UID (or name).
        case upstream(type: String, id: String)
        /// The aggregated API's paths: namespace and name.
        case namespaced(namespace: String, name: String)
    }

    private func addProviderRoutes(
        to router: RouterGroup<InventoryRequestContext>, at path: String,
        _ selector: @escaping @Sendable (InventoryRequestContext) -> ProviderSelector
    ) {
        router.get(RouterPath(path)) { request, context in
            let provider = try await self.authorizedProvider(request, context, selector(context))
            var body = Self.envelope(provider)
            // Upstream answers one provider at full detail.
            for (key, value) in try await counts(provider) { body[key] = value }
            return Self.json(body)
        }
        router.get(RouterPath("\(path)/:collection")) { request, context in
            let provider = try await self.authorizedProvider(request, context, selector(context))
            if provider.type == "openshift" { return try await clusterCollection(request, context, provider) }
            let kind = try Self.kind(context.parameters.get("collection") ?? "")
            let parameters = try Self.formParameters(request.uri.query)
            let timeLimit = self.queryTimeLimit
            let name = parameters.first { $0.0 == "name" }?.1
            let records = try await store.list(provider: provider.uid, kind: kind, name: name)
            return try await self.run {
                var items = records.filter { Self.hasLabels($0, parameters) }.map { Self.item($0, provider: provider) }
                if let text = parameters.first(where: { $0.0 == "query" })?.1, !text.isEmpty {
                    items = try Self.select(items, query: text, timeLimit: timeLimit)
                }
                return Self.json(.array(items))
            }
        }
        router.get(RouterPath("\(path)/:collection/:id")) { request, context in
            let provider = try await self.authorizedProvider(request, context, selector(context))
            if provider.type == "openshift" { return try await clusterCollection(request, context, provider) }
            let kind = try Self.kind(context.parameters.get("collection") ?? "")
            let id = context.parameters.get("id") ?? ""
            var found = try await store.get(provider: provider.uid, kind: kind, id: id)
            if found == nil { found = try await store.list(provider: provider.uid, kind: kind, name: id).first }
            guard let record = found else {
                throw HTTPError(
                    .notFound, message: "\(kind.rawValue.dropLast()) '\(id)' not found in provider \(provider.name)")
            }
            return Self.json(Self.item(record, provider: provider))
        }
    }

    private func providerList(
        _ request: Request, _ context: InventoryRequestContext, type: String?
    ) async throws
        -> Response
    {
        let caller = try context.requireCaller()
        let detail = try Self.detail(request)
        var visible: [String: [JSONValue]] = ["ec2": [], "openshift": []]
        for provider in await allProviders() where type == nil || provider.type == type {
            if await authorizer.authorize(caller, namespace: provider.namespace, name: provider.name) == .allowed {
                var body = Self.envelope(provider)
                if detail > 0 { for (key, value) in try await counts(provider) { body[key] = value } }
                visible[provider.type, default: []].append(body)
            }
        }
        if let type { return Self.json(.array(visible[type] ?? [])) }
        return Self.json(.object(visible.mapValues { .array($0) }))
    }

    /// Every provider with an inventory: the EC2 ones being collected and the cluster's OpenShift ones.
    private func allProviders() async -> [InventoryProvider] {
        await providers.providers() + (await cluster?.providers() ?? [])
    }

    /// The counts `get provider` shows: `vmCount`, `networkCount`, … per collection.
    private func counts(_ provider: InventoryProvider) async throws -> [String: JSONValue] {
        if provider.type == "openshift" {
            guard let cluster else { return [:] }
            return await Self.clusterCounts(cluster)
        }
        let counts = try await store.counts(provider: provider.uid)
        return Dictionary(
            uniqueKeysWithValues: InventoryKind.allCases.map {
                ("\($0.rawValue.dropLast())Count", JSONValue.number(Double(counts[$0] ?? 0)))
            })
    }

    /// An OpenShift provider's collection, or one item of it (by UID or name); `namespace` and `name` narrow the
    /// list as upstream's do, and `query` filters it like the EC2 collections.
    private func clusterCollection(
        _ request: Request, _ context: InventoryRequestContext, _ provider: InventoryProvider
    )
        async throws -> Response
    {
        let name = context.parameters.get("collection") ?? ""
        guard let collection = ClusterCollection(rawValue: name) else {
            throw HTTPError(
                .notFound,
                message: "no collection '\(name)'; use "
                    + ClusterCollection.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let cluster, let objects = await cluster.objects(collection) else {
            throw HTTPError(
                .serviceUnavailable,
                message: "the cluster's \(collection.rawValue) are being read; try again in a few seconds")
        }
        let parameters = try Self.formParameters(request.uri.query)
        let detail = try Self.detail(request)
        func value(_ key: String) -> String? { parameters.first { $0.0 == key }?.1 }
        var items: [JSONValue] = []
        for object in objects {
            let metadata = object["metadata"] ?? [:]
            if let id = context.parameters.get("id"),
                metadata["uid"]?.stringValue != id && metadata["name"]?.stringValue != id
            {
                continue
            }
            if let namespace = value("namespace"), metadata["namespace"]?.stringValue != namespace { continue }
            if let wanted = value("name"), metadata["name"]?.stringValue != wanted { continue }
            let instance =
                collection == .vms
                ? await cluster.instance(
                    namespace: metadata["namespace"]?.stringValue ?? "", name: metadata["name"]?.stringValue ?? "")
                : nil
            items.append(
                Self.clusterItem(object, collection: collection, provider: provider, detail: detail, instance: instance)
            )
        }
        items.sort {
            ($0["namespace"]?.stringValue ?? "", $0["name"]?.stringValue ?? "") < (
                $1["namespace"]?.stringValue ?? "", $1["name"]?.stringValue ?? ""
            )
        }
        if let id = context.parameters.get("id") {
            guard let item = items.first else {
                throw HTTPError(
                    .notFound, message: "\(collection.rawValue) '\(id)' not found in provider \(provider.name)")
            }
            return Self.json(item)
        }
        if let text = value("query"), !text.isEmpty {
            let (selected, timeLimit) = (items, queryTimeLimit)
            return try await run { Self.json(.array(try Self.select(selected, query: text, timeLimit: timeLimit))) }
        }
        return Self.json(.array(items))
    }

    private func authorizedProvider(
        _ request: Request, _ context: InventoryRequestContext, _ selector: ProviderSelector
    ) async throws -> InventoryProvider {
        let caller = try context.requireCaller()
        let known = await allProviders()
        let found: InventoryProvider?
        let label: String
        switch selector {
        case .upstream(let type, let id):
            found = known.first { ($0.uid == id || $0.name == id) && $0.type == type }
            label = "'\(id)'"
        case .namespaced(let namespace, let name):
            found = known.first { $0.namespace == namespace && $0.name == name }
            label = "\(namespace)/\(name)"
        }
        guard let provider = found else {
            throw HTTPError(
                .notFound, message: "provider \(label) is not in the inventory (is it an EC2 provider, and Ready?)")
        }
        switch await authorizer.authorize(caller, namespace: provider.namespace, name: provider.name) {
        case .allowed: break
        case .unauthenticated: throw HTTPError(.unauthorized, message: "the bearer token is not valid")
        case .forbidden(let reason): throw HTTPError(.forbidden, message: reason)
        case .unavailable(let reason): throw HTTPError(.serviceUnavailable, message: reason)
        }
        // Until its first pass the store holds nothing for the provider: an empty answer would be wrong.
        guard provider.passes > 0 else {
            throw HTTPError(
                .serviceUnavailable,
                message: "the inventory of provider \(provider.name) is being "
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

    static func kind(_ collection: String) throws -> InventoryKind {
        guard let kind = InventoryKind(rawValue: collection) else {
            throw HTTPError(
                .notFound,
                message: "no collection '\(collection)'; use vms, volumes, networks, storages, snapshots or zones")
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
            "revision": .number(Double(provider.passes)),
            "selfLink": .string("providers/\(provider.type)/\(provider.uid)"),
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
