/// An error from an AWS call: the service's own error, a transport failure, or a timeout.
///
/// One type for every failure of a call, so callers decide on `kind` (or `isRetryable`, `isNotFound`, …) and show
/// `description`, which names the code, the message and the call.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The AWS error code (`InvalidVolume.NotFound`), or a client-side code (`RequestTimeout`, `ConnectionError`).
    public var code: AWSErrorCode
    /// The service's message, or a bounded excerpt of a non-XML body.
    public var message: String
    /// The call, as `service:Action` (`ec2:CreateVolume`).
    public var operation: String
    /// The HTTP status of the response, when there was one.
    public var httpStatus: Int?
    /// The service's request ID, when it sent one.
    public var requestID: String?

    /// Creates an error value.
    public init(
        code: AWSErrorCode, message: String, operation: String, httpStatus: Int? = nil, requestID: String? = nil
    ) {
        self.code = code
        self.message = message
        self.operation = operation
        self.httpStatus = httpStatus
        self.requestID = requestID
    }

    /// Names the call, the code, the status and the message; carries no credential.
    public var description: String {
        var text = "\(operation) failed: \(code)"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        if !message.isEmpty { text += ": \(message)" }
        if let requestID, requestID != "request-id" { text += " [request \(requestID)]" }
        return text
    }

    /// What the error means for the caller, decided here and nowhere else.
    public var kind: AWSErrorKind {
        if AWSErrorCode.authentication.contains(code) { return .authentication }
        if AWSErrorCode.throttling.contains(code) || httpStatus == 429 { return .throttling }
        if AWSErrorCode.transient.contains(code) { return .transient }
        if code == .retryBudgetExhausted || code == .deadlineExceeded { return .retriesExhausted }
        if let httpStatus, [500, 502, 503, 504].contains(httpStatus), !AWSErrorCode.permanent.contains(code) {
            return .transient
        }
        if code.rawValue.hasSuffix("NotFound") || code.rawValue.hasSuffix("NotFoundException") { return .notFound }
        return .permanent
    }

    /// Throttling: the call may succeed later, and the client should slow down.
    public var isThrottling: Bool { kind == .throttling }

    /// Transient: throttling, server errors, timeouts and broken connections; worth another attempt now.
    public var isRetryable: Bool { kind == .throttling || kind == .transient }

    /// Permanent: retrying the same call cannot help (bad credentials, missing permission, bad input, not found).
    public var isPermanent: Bool { !isRetryable }

    /// Whether the error says the resource does not exist (`InvalidVolume.NotFound`, …).
    public var isNotFound: Bool { kind == .notFound }

    /// Whether AWS refused the credentials themselves (an unknown or deleted key, a wrong secret, an expired
    /// token), as opposed to what they may do.
    public var isAuthentication: Bool { kind == .authentication }
}

/// What an AWS error means for whoever made the call.
public enum AWSErrorKind: Sendable, Equatable {
    /// AWS asks the client to slow down; retry after a backoff.
    case throttling
    /// A server error, a timeout or a broken connection; retry.
    case transient
    /// The client gave up on a transient cause (its retry budget or the call's deadline); a later call may succeed.
    case retriesExhausted
    /// The credentials themselves were refused.
    case authentication
    /// The resource does not exist.
    case notFound
    /// Retrying the same call cannot help.
    case permanent
}

/// An AWS error code: the service's own string (kept as sent, since AWS adds codes over time), with names for the
/// codes the client and the pipeline act on.
public struct AWSErrorCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    /// Wraps a code as AWS sent it.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a literal code.
    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }

    /// A connection that failed or was reset (client-side).
    public static let connectionError: Self = "ConnectionError"
    /// One attempt that took longer than its timeout (client-side; AWS uses the same name).
    public static let attemptTimeout: Self = "RequestTimeout"
    /// A call whose deadline passed, retries included (client-side).
    public static let deadlineExceeded: Self = "DeadlineExceeded"
    /// An endpoint whose TLS certificate is not trusted, or not for its name (client-side): permanent until the
    /// provider's trust settings change.
    public static let untrustedCertificate: Self = "UntrustedCertificate"
    /// A call refused because the retry budget is spent (client-side).
    public static let retryBudgetExhausted: Self = "RetryBudgetExhausted"
    /// An answer the client could not read (client-side).
    public static let malformedResponse: Self = "MalformedResponse"
    /// The credentials were not accepted.
    public static let authFailure: Self = "AuthFailure"
    /// A block whose data does not match the checksum AWS sent with it (client-side); fetching it again helps.
    public static let checksumMismatch: Self = "ChecksumMismatch"

    static let authentication: Set<Self> = [
        authFailure, "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId",
        "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException", "InvalidToken",
    ]
    static let throttling: Set<Self> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
        "RequestThrottled", "SlowDown", "EC2ThrottledException", "PriorRequestNotComplete",
    ]
    static let transient: Set<Self> = [
        attemptTimeout, "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
        "Unavailable", "InsufficientInstanceCapacity", "KMSInternalException", "DependencyTimeoutException",
        "InternalServerException", checksumMismatch, connectionError,
    ]
    static let permanent: Set<Self> = [authFailure, "UnauthorizedOperation", "AccessDenied"]
}

/// A problem with the client's own configuration (region, endpoint, credentials), found before any call.
public struct AWSConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and what to do about it; never a credential value.
    public var message: String

    /// Creates a configuration error with a message a person can act on.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
