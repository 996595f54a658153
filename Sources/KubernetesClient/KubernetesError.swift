import Foundation
import MTVAPI

/// An error answer from the API server (its `Status`), or a failure to reach it.
public struct KubernetesError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status; 0 when no answer came.
    public var code: Int
    /// The `Status` reason (`NotFound`, `Conflict`, …), or a client-side reason.
    public var reason: String
    /// The server's message.
    public var message: String
    /// The verb and path of the request.
    public var request: String

    /// Creates an error.
    public init(code: Int, reason: String, message: String, request: String) {
        self.code = code
        self.reason = reason
        self.message = message
        self.request = request
    }

    public var description: String {
        code == 0 ? "\(request): \(message)" : "\(request): \(reason) (\(code)): \(message)"
    }

    public var isNotFound: Bool { reason == Reason.notFound || (code == 404 && reason != Reason.gone) }
    public var isAlreadyExists: Bool { reason == Reason.alreadyExists }
    public var isConflict: Bool { code == 409 && reason != Reason.alreadyExists }
    public var isGone: Bool { code == 410 || reason == Reason.gone || reason == Reason.expired }
    public var isInvalid: Bool { code == 422 || reason == Reason.invalid }
    public var isForbidden: Bool { code == 403 }
    public var isUnauthorized: Bool { code == 401 }

    /// Worth another attempt: throttling, server errors, timeouts and broken connections.
    public var isRetryable: Bool { [0, 429, 500, 502, 503, 504].contains(code) && reason != Reason.tls }

    /// The `Status` reasons Kubernetes uses.
    public enum Reason {
        public static let notFound = "NotFound"
        public static let alreadyExists = "AlreadyExists"
        public static let conflict = "Conflict"
        public static let invalid = "Invalid"
        public static let forbidden = "Forbidden"
        public static let unauthorized = "Unauthorized"
        public static let tooManyRequests = "TooManyRequests"
        public static let gone = "Gone"
        public static let expired = "Expired"
        public static let badRequest = "BadRequest"
        public static let connection = "ConnectionError"
        /// The pooled connection was closed before the request was written: nothing reached the server.
        public static let notSent = "NotSent"
        public static let timeout = "Timeout"
        /// The server's certificate is not trusted (or the TLS handshake failed); retrying cannot help.
        public static let tls = "TLSError"
    }

    /// Builds the error from a response body (a `Status` object when the server sent one).
    static func from(status: Int, body: [UInt8], request: String) -> KubernetesError {
        if let value = try? JSONValue(parsing: .init(body)), value["kind"]?.stringValue == "Status" {
            return KubernetesError(
                code: value["code"]?.intValue ?? status, reason: value["reason"]?.stringValue ?? "Unknown",
                message: value["message"]?.stringValue ?? "", request: request)
        }
        // Servers behind the API server (aggregated APIs, proxied services) may answer `{"error": {"message"}}`.
        if let message = try? JSONValue(parsing: .init(body))[path: ["error", "message"]]?.stringValue {
            return KubernetesError(code: status, reason: "HTTP\(status)", message: message, request: request)
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return KubernetesError(code: status, reason: "HTTP\(status)", message: text, request: request)
    }
}
