import ArgumentParser
import AsyncHTTPClient
import Foundation
import KubernetesClient
import MTVAPI
import NIOCore
import NIOSSL
import Synchronization

/// Where the inventory is and how to reach it, in the order the CLI looks: `--inventory-url` or
/// `MTV_INVENTORY_URL`; the aggregated API through the cluster's API server (the APIService
/// `v1beta1.inventory.forklift.konveyor.io`, when Available); an OpenShift Route labelled
/// `app=forklift,service=forklift-inventory` in the MTV namespace, as the upstream tools find it.
struct InventoryOptions: ParsableArguments {
    @Option(help: "The inventory service URL (default: MTV_INVENTORY_URL, else the aggregated API, else the Route).")
    var inventoryURL: String?

    @Flag(help: "Do not verify the inventory's TLS certificate (also MTV_INVENTORY_INSECURE_SKIP_TLS=true).")
    var inventoryInsecureSkipTls = false

    /// The namespace where the upstream tools look for the inventory's Route.
    @Option(help: "The MTV namespace, where the inventory's Route is (default: MTV_NAMESPACE, else openshift-mtv).")
    var mtvNamespace: String?

    var insecure: Bool {
        inventoryInsecureSkipTls
            || ["true", "1", "yes"].contains(
                ProcessInfo.processInfo.environment["MTV_INVENTORY_INSECURE_SKIP_TLS"]?.lowercased() ?? "")
    }

    /// How to reach the inventory; the error names the three ways when none is there.
    func transport(
        client: KubernetesClient, configuration: KubernetesConfiguration
    ) async throws -> InventoryReader.Transport {
        // An empty MTV_INVENTORY_URL counts as unset, as shells write "unset" in env files.
        let fromEnvironment = ProcessInfo.processInfo.environment["MTV_INVENTORY_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let text = inventoryURL ?? fromEnvironment {
            guard let base = URL(string: text), ["http", "https"].contains(base.scheme ?? ""), base.host != nil else {
                throw InventoryMessages.badURL(text)
            }
            return try await direct(base, client: client, configuration: configuration)
        }
        var unavailable: String?
        switch try await Self.availability(client: client) {
        case .available: return .aggregated(client)
        case .unavailable(let why): unavailable = why
        case .absent: break
        }
        let namespace = mtvNamespace ?? ProcessInfo.processInfo.environment["MTV_NAMESPACE"] ?? "openshift-mtv"
        if let host = try await Self.routeHost(client: client, namespace: namespace) {
            return try await direct(URL(string: "https://\(host)")!, client: client, configuration: configuration)
        }
        throw unavailable.map { InventoryMessages.unavailable($0, namespace: namespace) }
            ?? InventoryMessages.notFound(namespace: namespace)
    }

    private func direct(
        _ base: URL, client: KubernetesClient, configuration: KubernetesConfiguration
    ) async throws
        -> InventoryReader.Transport
    {
        .direct(
            base: base, token: try await client.bearerToken(),
            http: try InventoryReader.httpClient(trusting: configuration.certificateAuthority, insecure: insecure))
    }

    enum Availability { case available, unavailable(String), absent }

    /// Whether the inventory's APIService is registered and Available.
    static func availability(client: KubernetesClient) async throws -> Availability {
        let service: JSONValue
        do {
            service = try await client.get(.apiServices, name: InventoryAPI.apiService)
        } catch let error as KubernetesError where error.isNotFound || error.isForbidden {
            return .absent
        }
        let conditions = service[path: ["status", "conditions"]]?.arrayValue ?? []
        guard let available = conditions.first(where: { $0["type"]?.stringValue == "Available" }) else {
            return .unavailable("no Available condition yet")
        }
        if available["status"]?.stringValue == "True" { return .available }
        return .unavailable(
            [available["reason"]?.stringValue, available["message"]?.stringValue].compactMap { $0 }
                .joined(separator: ": "))
    }

    /// The host of the inventory's Route, as the upstream tools find it; nil off OpenShift or without one.
    static func routeHost(client: KubernetesClient, namespace: String) async throws -> String? {
        do {
            let routes = try await client.list(
                .routes, namespace: namespace,
                options: ListOptions(labelSelector: "app=forklift,service=forklift-inventory"))
            return routes.items.lazy.compactMap { $0[path: ["spec", "host"]]?.stringValue }.first { !$0.isEmpty }
        } catch let error as KubernetesError where error.isNotFound || error.isForbidden {
            return nil
        }
    }
}

/// Reads a Ready EC2 provider's inventory from the controller's inventory service, as the caller.
struct InventoryReader {
    let provider: Provider
    let transport: Transport

    /// How requests reach the inventory.
    enum Transport {
        /// Straight to the service (a URL or a Route), with the caller's bearer token.
        case direct(base: URL, token: String?, http: HTTPClient)
        /// Through the API server's aggregation layer, with the caller's kubeconfig credentials.
        case aggregated(KubernetesClient)
    }

    /// Finds the provider (it must be an EC2 provider and Ready) and the inventory service.
    static func open(
        client: KubernetesClient, configuration: KubernetesConfiguration, provider name: String, namespace: String,
        options: InventoryOptions
    ) async throws -> InventoryReader {
        let found: Provider
        do {
            found = try await client.get(Provider.self, name: name, namespace: namespace)
        } catch let error as KubernetesError where error.isNotFound {
            throw ProviderMessages.notFound([name], in: [namespace])
        }
        guard found.spec.type == "ec2" else {
            throw ProviderMessages.notEC2(name, type: found.spec.type)
        }
        guard found.status?.conditions?.isTrue(ConditionType.ready) == true else {
            let reason = found.status?.conditions?.first { $0.category == Condition.Category.critical }
            throw ProviderMessages.notReady(
                name, namespace: namespace, problem: reason.map { "\($0.reason ?? $0.type): \($0.message ?? "")" })
        }
        return InventoryReader(
            provider: found, transport: try await options.transport(client: client, configuration: configuration))
    }

    /// An HTTP client that trusts the system's roots and the cluster's CA (the inventory's certificate may come
    /// from either), or nothing at all when the caller said so. Like `HTTPClient.shared`, it lives as long as the
    /// process (a command makes one).
    static func httpClient(trusting clusterCA: [UInt8]?, insecure: Bool) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if insecure {
            tls.certificateVerification = .none
        } else if let clusterCA {
            do {
                tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMBytes(clusterCA))]
            } catch {
                throw InventoryMessages.badClusterCA("\(error)")
            }
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        openClients.withLock { $0.append(client) }
        return client
    }

    /// The clients `httpClient` made, kept so they are never deinitialised while open.
    private static let openClients = Mutex<[HTTPClient]>([])

    /// `text` percent-encoded for a query string value: only unreserved characters stay as they are.
    static func formEncoded(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(
                charactersIn:
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }

    /// The records of one collection (`vms`, `volumes`, `networks`, …), filtered on the server by `query`; each
    /// is the envelope's object with the envelope's id and name.
    func records(_ collection: String, query: String? = nil) async throws -> [JSONValue] {
        let parameters = [("detail", "4")] + (query.map { [("query", $0)] } ?? [])
        let body: [UInt8]
        switch transport {
        case .aggregated(let client):
            let path =
                "\(InventoryAPI.prefix)/namespaces/\(provider.metadata.namespace ?? "")/providers/"
                + "\(provider.metadata.name ?? "")/\(collection)"
            do {
                body = try await client.getRaw(path, query: parameters)
            } catch let error as KubernetesError {
                throw error.code == 0
                    ? InventoryMessages.unreachableThroughAPIServer(error.message)
                    : InventoryMessages.answered(error.code, error.message)
            }
        case .direct(let base, let token, let http):
            let path = "providers/ec2/\(provider.metadata.uid ?? "")/\(collection)"
            body = try await Self.get(base.appending(path: path), parameters, token: token, http: http)
        }
        guard let items = (try? JSONValue(parsing: Data(body)))?.arrayValue else {
            throw InventoryMessages.notAList(String(decoding: body.prefix(200), as: UTF8.self))
        }
        return items.map { item in
            var object = item["object"] ?? [:]
            object["id"] = item["id"]
            object["name"] = item["name"]
            return object
        }
    }

    /// One GET straight to the service: the body of a 200, or an error with the service's message.
    static func get(
        _ url: URL, _ parameters: [(String, String)], token: String?, http: HTTPClient
    ) async throws -> [UInt8] {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        // Form encoding leaves `+` alone, but servers read it as a space: send it as %2B.
        components.percentEncodedQueryItems = parameters.map { URLQueryItem(name: $0.0, value: formEncoded($0.1)) }
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(60))
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw InventoryMessages.unreachable(url.deletingLastPathComponent().absoluteString, "\(error)")
        }
        guard response.status.code == 200 else {
            let value = try? JSONValue(parsing: Data(body.readableBytesView))
            let message = value?[path: ["error", "message"]]?.stringValue ?? String(buffer: body)
            throw InventoryMessages.answered(Int(response.status.code), message)
        }
        return Array(body.readableBytesView)
    }
}
