import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// JSON calls to the control APIs of the local environment (the EC2 proxy's `/__proxy`, the fake cluster's
/// `/__fake`) and to moto's own `/moto-api`.
public enum ControlAPI {
    /// A client that trusts the devenv's CA (the fake cluster serves its control API over the same HTTPS port).
    static let client: HTTPClient = {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let path = LocalEnvironment.current?.variables["FAKE_KUBE_CA"],
            let certificates = try? NIOSSLCertificate.fromPEMFile(path)
        {
            tls.trustRoots = .certificates(certificates)
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }()

    /// Sends `body` as JSON and returns the decoded answer (nil for an empty body).
    @discardableResult
    public static func call(_ method: String, _ url: URL, _ body: [String: Any]? = nil) async throws -> Any? {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: body))))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw ControlAPIError(status: Int(response.status.code), body: String(buffer: bytes), url: url)
        }
        guard bytes.readableBytes > 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))
    }
}

extension ControlAPI {
    /// The HTTP status of a GET, with an optional bearer token.
    public static func status(_ url: URL, bearer: String?) async throws -> Int {
        var request = HTTPClientRequest(url: url.absoluteString)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 64 << 20)
        return Int(response.status.code)
    }

    /// GETs a URL, with an optional bearer token; returns the status and the body as text.
    public static func answer(_ url: URL, bearer: String?) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url.absoluteString)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    /// GETs a URL with extra headers, presenting a client certificate (PEM files) when given one; returns the
    /// status and the body as text.
    public static func answer(
        _ url: URL, headers: [String: String], clientCertificate: (certificate: String, key: String)? = nil
    ) async throws -> (status: Int, body: String) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let path = LocalEnvironment.current?.variables["FAKE_KUBE_CA"] {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
        }
        if let clientCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificate.certificate).map {
                .certificate($0)
            }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientCertificate.key, format: .pem))
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await http.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            try await http.shutdown()
            return (Int(response.status.code), String(buffer: bytes))
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// GETs a plain-text answer, with an optional bearer token.
    public static func text(_ url: URL, bearer: String? = nil) async throws -> String {
        var request = HTTPClientRequest(url: url.absoluteString)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return String(buffer: bytes)
    }
}

/// A control call that did not succeed.
public struct ControlAPIError: Error, CustomStringConvertible {
    public let status: Int
    public let body: String
    public let url: URL

    public var description: String { "\(url) answered \(status): \(body)" }
}

/// The EC2 proxy's control API: faults, counters, state timings.
public struct ProxyControl: Sendable {
    public let base: URL

    /// Creates a client for the proxy's control URL.
    public init(base: URL) {
        self.base = base
    }

    /// Arms a fault, e.g. `["action": "CreateVolume", "code": "RequestLimitExceeded", "status": 503, "count": 2]`.
    public func armFault(_ fault: [String: Any]) async throws {
        try await ControlAPI.call("POST", base.appending(path: "faults"), fault)
    }

    /// Removes every armed fault.
    public func clearFaults() async throws {
        try await ControlAPI.call("DELETE", base.appending(path: "faults"))
    }

    /// Calls per Action so far (for one moto account when given).
    public func calls(account: String? = nil) async throws -> [String: Int] {
        var url = base.appending(path: "calls")
        if let account { url.append(queryItems: [URLQueryItem(name: "account", value: account)]) }
        let answer = try await ControlAPI.call("GET", url)
        let counts = (answer as? [String: Any])?["by_action"] as? [String: Any] ?? [:]
        return counts.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// Answers with an injected fault per Action so far.
    public func injectedFaults() async throws -> [String: Int] {
        let answer = try await ControlAPI.call("GET", base.appending(path: "calls"))
        let counts = (answer as? [String: Any])?["injected"] as? [String: Any] ?? [:]
        return counts.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// Zeroes the call counters and the log; faults and timings stay.
    public func resetCalls() async throws {
        try await ControlAPI.call("POST", base.appending(path: "calls/reset"))
    }

    /// Sets how long state changes take, in seconds (`stop`, `start`, `snapshot`, `volume`).
    public func setTimings(_ timings: [String: Double]) async throws {
        try await ControlAPI.call("POST", base.appending(path: "timings"), timings)
    }

    /// Everything back to defaults (faults, counters, timings); moto keeps its state.
    public func reset() async throws {
        try await ControlAPI.call("POST", base.appending(path: "reset"), [:])
    }
}
