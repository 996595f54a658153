import AsyncHTTPClient
import Foundation
import Logging
import MTVAPI
import NIOCore
import NIOHTTP1
import NIOSSL
import Retries

/// A client for the Kubernetes API: typed and untyped REST verbs, the status subresource, patches and watches.
///
/// One instance owns one HTTP connection pool; call `shutdown()` when done.
public final class KubernetesClient: Sendable {
    public let configuration: KubernetesConfiguration
    let http: HTTPClient
    let credentials: RequestCredentials
    let logger: Logger
    /// Attempts for a request that fails with a retryable error.
    let maxAttempts: Int
    /// How long an ordinary request may take, in seconds.
    let requestTimeout: Int64
    /// The waits between attempts of one request.
    static let requestBackoff = Backoff(base: 0.1, cap: 8)
    /// The waits between attempts of a write that must land (`retrying`).
    static let writeBackoff = Backoff(base: 0.25, cap: 10)
    /// The waits before a watch or an informer connects again after a failure.
    static let reconnectBackoff = Backoff(base: 0.2, cap: 10)

    /// Creates a client; throws when the TLS material does not parse.
    public init(
        configuration: KubernetesConfiguration, logger: Logger = Logger(label: "kubernetes"), maxAttempts: Int = 5,
        requestTimeout: Int64 = 30
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.maxAttempts = maxAttempts
        self.requestTimeout = requestTimeout
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = configuration.certificateAuthority {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if case .clientCertificate(let certificate, let key) = configuration.authentication {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw KubernetesConfigurationError("the kubeconfig's certificate or key does not parse as PEM: \(error)")
        }
        if configuration.insecureSkipTLSVerify { tls.certificateVerification = .none }
        var httpConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
        httpConfiguration.timeout = .init(connect: .seconds(10), read: nil)
        httpConfiguration.httpVersion = .http1Only
        // Every watch holds an HTTP/1 connection for its lifetime; the default of 8 per host would leave a
        // controller's ordinary requests queued behind its watches.
        httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        credentials = RequestCredentials(configuration.authentication)
    }

    /// The bearer token this client sends (from the kubeconfig, a token file or an exec plugin), if any; other
    /// services that trust the API server's tokens (the inventory) accept it too.
    public func bearerToken() async throws -> String? {
        try await credentials.token()
    }

    /// Closes the connection pool.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    deinit {
        // A client dropped without shutdown() (its task was cancelled first) closes its connections instead of
        // leaking them; after shutdown() this is a no-op whose error is ignored.
        _ = http.shutdown() as EventLoopFuture<Void>
    }

    // MARK: Untyped verbs

    /// Reads one object.
    public func get(
        _ resource: ResourceType, name: String, namespace: String? = nil, subresource: String? = nil
    )
        async throws -> JSONValue
    {
        try await send(.GET, resource.path(namespace: namespace, name: name, subresource: subresource))
    }

    /// Reads one page of a collection.
    public func list(
        _ resource: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions()
    )
        async throws -> ObjectList<JSONValue>
    {
        let value = try await send(.GET, resource.path(namespace: namespace), query: options.queryItems)
        return ObjectList(
            items: value["items"]?.arrayValue ?? [],
            resourceVersion: value[path: ["metadata", "resourceVersion"]]?.stringValue ?? "",
            continueToken: value[path: ["metadata", "continue"]]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Reads a whole collection, following `continue` tokens.
    public func listAll(
        _ resource: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions()
    )
        async throws -> ObjectList<JSONValue>
    {
        var restarts = 0
        while true {
            var options = options
            var items: [JSONValue] = []
            var resourceVersion = ""
            do {
                repeat {
                    let page = try await list(resource, namespace: namespace, options: options)
                    items += page.items
                    resourceVersion = page.resourceVersion
                    options.continueToken = page.continueToken
                } while options.continueToken != nil
                return ObjectList(items: items, resourceVersion: resourceVersion, continueToken: nil)
            } catch let error as KubernetesError where error.isGone && options.continueToken != nil && restarts < 3 {
                // The snapshot behind the continue token expired: list again from the start, as kubectl does.
                restarts += 1
            }
        }
    }

    /// GETs a path outside the resource API (an aggregated API's REST paths): the body of a 2xx answer.
    public func getRaw(_ path: String, query: [(String, String)] = []) async throws -> [UInt8] {
        try await sendRaw(.GET, path, query: query)
    }

    /// Creates an object (`metadata.generateName` gives it a unique name).
    public func create(
        _ resource: ResourceType, _ object: JSONValue, namespace: String? = nil, dryRun: Bool = false
    )
        async throws -> JSONValue
    {
        try await send(
            .POST, resource.path(namespace: namespace ?? object[path: ["metadata", "namespace"]]?.stringValue),
            query: dryRun ? [("dryRun", "All")] : [], body: object, repeatable: dryRun || resource.isReview)
    }

    /// Replaces an object; a stale `metadata.resourceVersion` gets 409 Conflict.
    public func replace(
        _ resource: ResourceType, _ object: JSONValue, subresource: String? = nil
    ) async throws
        -> JSONValue
    {
        let (name, namespace) = try Self.identity(of: object)
        return try await send(
            .PUT, resource.path(namespace: namespace, name: name, subresource: subresource), body: object)
    }

    /// Patches an object (or its status with `subresource: "status"`).
    public func patch(
        _ resource: ResourceType, name: String, namespace: String? = nil, _ patch: Patch, subresource: String? = nil
    ) async throws -> JSONValue {
        try await send(
            .PATCH, resource.path(namespace: namespace, name: name, subresource: subresource), body: patch.body,
            contentType: patch.contentType)
    }

    /// Deletes an object; returns without error when it is already gone only if `ignoreNotFound`.
    public func delete(
        _ resource: ResourceType, name: String, namespace: String? = nil, options: DeleteOptions = DeleteOptions(),
        ignoreNotFound: Bool = false
    ) async throws {
        do {
            _ = try await send(
                .DELETE, resource.path(namespace: namespace, name: name), body: options.body(kind: "DeleteOptions"))
        } catch let error as KubernetesError where ignoreNotFound && error.isNotFound {
            return
        }
    }

    /// Deletes every object of a collection that matches the selectors.
    public func deleteCollection(
        _ resource: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions()
    )
        async throws
    {
        _ = try await send(.DELETE, resource.path(namespace: namespace), query: options.queryItems)
    }

    /// A pod's log, optionally only its last lines.
    public func logs(
        pod: String, namespace: String, container: String? = nil, tailLines: Int? = nil
    ) async throws
        -> String
    {
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        let bytes = try await sendRaw(
            .GET, ResourceType.pods.path(namespace: namespace, name: pod, subresource: "log"), query: query)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Transport

    static func identity(of object: JSONValue) throws -> (name: String, namespace: String?) {
        guard let name = object[path: ["metadata", "name"]]?.stringValue, !name.isEmpty else {
            throw KubernetesError(code: 0, reason: "Invalid", message: "the object has no metadata.name", request: "")
        }
        return (name, object[path: ["metadata", "namespace"]]?.stringValue)
    }

    /// Sends a request and reads its JSON answer; `repeatable` marks a POST that changes nothing (a review, a dry
    /// run), so a lost connection may be retried like a GET.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        contentType: String = "application/json", repeatable: Bool = false
    ) async throws -> JSONValue {
        let bytes = try await sendRaw(
            method, path, query: query, body: body, contentType: contentType, repeatable: repeatable)
        guard !bytes.isEmpty else { return .null }
        do {
            return try JSONValue(parsing: Data(bytes))
        } catch {
            throw KubernetesError(
                code: 0, reason: "MalformedResponse", message: "the answer is not JSON: \(error)",
                request: "\(method.rawValue) \(path)")
        }
    }

    /// Sends a request, retrying what is safe to repeat; answers the body of a 2xx.
    func sendRaw(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        contentType: String = "application/json", repeatable: Bool = false
    ) async throws -> [UInt8] {
        let label = "\(method.rawValue) \(path)"
        var attempt = 1
        while true {
            do {
                let (status, bytes) = try await execute(
                    method, path, query: query, body: body, contentType: contentType, timeout: requestTimeout)
                guard (200..<300).contains(status) else {
                    throw KubernetesError.from(status: status, body: bytes, request: label)
                }
                return bytes
            } catch let error as KubernetesError {
                // A create that timed out may have happened; only throttling, refusals and requests that were never
                // written (a pooled connection the server had closed) are safe to repeat.
                let safe =
                    method != .POST || repeatable || error.code == 429 || error.code == 503
                    || error.reason == KubernetesError.Reason.notSent
                guard error.isRetryable, safe, attempt < maxAttempts else { throw error }
                logger.debug("retrying", metadata: ["request": "\(label)", "reason": "\(error.reason)"])
                try await Self.requestBackoff.sleep(retry: attempt)
                attempt += 1
            }
        }
    }

    /// One HTTP exchange; transport failures become `KubernetesError` with code 0.
    func execute(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: JSONValue?, contentType: String,
        timeout: Int64
    ) async throws -> (Int, [UInt8]) {
        let request = try await makeRequest(method, path, query: query, body: body, contentType: contentType)
        do {
            let response = try await http.execute(request, timeout: .seconds(timeout))
            var buffer = try await response.body.collect(upTo: 256 << 20)
            return (Int(response.status.code), buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw KubernetesError(
                code: 0, reason: KubernetesError.Reason.timeout, message: "no answer within \(timeout)s",
                request: "\(method.rawValue) \(path)")
        } catch let error as NIOSSLError {
            throw KubernetesError(
                code: 0, reason: KubernetesError.Reason.tls,
                message:
                    "TLS with \(configuration.server.absoluteString) failed (\(error)): the server's certificate is "
                    + "not trusted; set the cluster's certificate-authority in the kubeconfig",
                request: "\(method.rawValue) \(path)")
        } catch ChannelError.ioOnClosedChannel {
            throw KubernetesError(
                code: 0, reason: KubernetesError.Reason.notSent,
                message:
                    "the connection to \(configuration.server.absoluteString) was closed before the request was sent",
                request: "\(method.rawValue) \(path)")
        } catch {
            throw KubernetesError(
                code: 0, reason: KubernetesError.Reason.connection,
                message: "cannot reach \(configuration.server.absoluteString): \(error)",
                request: "\(method.rawValue) \(path)")
        }
    }

    func makeRequest(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: JSONValue?, contentType: String
    ) async throws -> HTTPClientRequest {
        var url = configuration.server.absoluteString
        while url.hasSuffix("/") { url.removeLast() }
        url += path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            let encoded = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            url += "?" + encoded
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "kubectl-mtv/0.1")
        if let token = try await credentials.token() {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: Array(body.serialized())))
        }
        return request
    }
}
