import Foundation
import Hummingbird
import HummingbirdTesting
import MTVAPI
import Testing

@testable import Inventory

/// The inventory's routes in process: the paths (upstream and aggregated), authentication by the middleware,
/// authorization per provider, query errors, and what a provider not collected yet answers. The authorizer stands in
/// for the API server's TokenReview and SubjectAccessReview, which the end-to-end tests exercise for real.
@Suite("Inventory routes", .timeLimit(.minutes(1)))
struct InventoryRouterTests {
    /// Tokens: `reader` may read every provider, `outsider` none, anything else is not a valid token.
    struct TokenAuthorizer: InventoryAuthorizer {
        func authorize(_ caller: InventoryCaller, namespace: String, name: String) async -> AuthorizationDecision {
            switch caller {
            case .token("reader"): .allowed
            case .token("outsider"): .forbidden("outsider cannot get providers in \(namespace)")
            default: .unauthenticated
            }
        }
    }

    struct Providers: InventoryProviderSource {
        let list: [InventoryProvider]
        func providers() async -> [InventoryProvider] { list }
    }

    static let collected = InventoryProvider(uid: "uid-1", name: "ec2", namespace: "team", passes: 1)
    static let fresh = InventoryProvider(uid: "uid-2", name: "new", namespace: "team", passes: 0)

    /// The routes over a store holding two VMs of the collected provider.
    func withRoutes(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let store = try InventoryStore()
        let vms = [("i-1", "web-1", "running"), ("i-2", "db-1", "stopped")].map { id, name, state in
            InventoryRecord(
                kind: .vm, id: id, name: name,
                object: ["id": .string(id), "name": .string(name), "State": ["Name": .string(state)]])
        }
        try await store.replace(provider: "uid-1", records: [.vm: vms])
        let service = InventoryService(
            store: store, providers: Providers(list: [Self.collected, Self.fresh]), authorizer: TokenAuthorizer())
        let router = Router(context: InventoryRequestContext.self)
        service.register(on: router)
        try await Application(router: router).test(.router, test)
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    /// The body as JSON (null when it is not JSON, which the expectations then catch).
    static func json(_ response: TestResponse) -> JSONValue {
        (try? JSONValue(parsing: Data(buffer: response.body))) ?? .null
    }

    @Test("both paths of a collection answer the upstream envelope, and name= and query= select on the server")
    func collections() async throws {
        try await withRoutes { client in
            for path in ["/providers/ec2/uid-1/vms", "\(InventoryAPI.prefix)/namespaces/team/providers/ec2/vms"] {
                try await client.execute(uri: path, method: .get, headers: Self.bearer("reader")) { response in
                    #expect(response.status == .ok, "\(path)")
                    let names = Self.json(response).arrayValue?.compactMap { $0["name"]?.stringValue }
                    #expect(names?.sorted() == ["db-1", "web-1"], "\(path)")
                }
            }
            try await client.execute(
                uri: "/providers/ec2/uid-1/vms?query=where%20State.Name%20%3D%20%27running%27", method: .get,
                headers: Self.bearer("reader")
            ) { response in
                #expect(Self.json(response).arrayValue?.compactMap { $0["name"]?.stringValue } == ["web-1"])
            }
            try await client.execute(uri: "/providers/ec2/uid-1/vms/db-1", method: .get, headers: Self.bearer("reader"))
            {
                response in
                #expect(Self.json(response)["id"]?.stringValue == "i-2", "an item by name as well as by ID")
            }
        }
    }

    @Test("no token, a bad token, and identity headers without the front proxy's certificate are 401 on every route")
    func authentication() async throws {
        try await withRoutes { client in
            let paths = [
                "/providers", "/providers/ec2", "/providers/ec2/uid-1/vms",
                "\(InventoryAPI.prefix)/namespaces/team/providers/ec2/vms",
            ]
            for path in paths {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(path)")
                    #expect(String(buffer: response.body).contains("a bearer token is required"), "\(path)")
                }
                try await client.execute(uri: path, method: .get, headers: [.init("X-Remote-User")!: "admin"]) {
                    response in
                    #expect(response.status == .unauthorized, "\(path)")
                    #expect(String(buffer: response.body).contains("accepted only from the API server's front proxy"))
                }
            }
            try await client.execute(uri: "/providers/ec2/uid-1/vms", method: .get, headers: Self.bearer("stolen")) {
                response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("a caller who may not read a provider gets 403 for it and does not see it in the list")
    func authorization() async throws {
        try await withRoutes { client in
            try await client.execute(uri: "/providers/ec2/uid-1/vms", method: .get, headers: Self.bearer("outsider")) {
                response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("outsider cannot get providers in team"))
            }
            try await client.execute(uri: "/providers/ec2", method: .get, headers: Self.bearer("outsider")) {
                response in
                #expect(response.status == .ok)
                #expect(Self.json(response).arrayValue?.isEmpty == true)
            }
            try await client.execute(uri: "/providers/ec2", method: .get, headers: Self.bearer("reader")) { response in
                #expect(
                    Self.json(response).arrayValue?.compactMap { $0["uid"]?.stringValue }.sorted() == [
                        "uid-1", "uid-2",
                    ])
            }
        }
    }

    @Test(
        "a bad query is 400 naming the problem; an unknown collection or provider 404; a first pass still running 503")
    func errors() async throws {
        try await withRoutes { client in
            try await client.execute(
                uri: "/providers/ec2/uid-1/vms?query=where%20%28", method: .get, headers: Self.bearer("reader")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(!String(buffer: response.body).isEmpty)
            }
            try await client.execute(uri: "/providers/ec2/uid-1/gpus", method: .get, headers: Self.bearer("reader")) {
                response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("no collection 'gpus'"))
            }
            try await client.execute(uri: "/providers/ec2/uid-9/vms", method: .get, headers: Self.bearer("reader")) {
                response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("provider 'uid-9' is not in the inventory"))
            }
            try await client.execute(uri: "/providers/ec2/uid-2/vms", method: .get, headers: Self.bearer("reader")) {
                response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("being collected for the first time"))
            }
        }
    }
}
