/// An error from an AWS call: the service's own error, a transport failure, or a timeout.
///
/// One type for every failure of a call, so callers decide on `isRetryable`/`isPermanent` and show `description`,
/// which names the code, the message and the call. Codes are open strings because AWS adds codes over time;
/// the well-known ones have static names below.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The AWS error code (`InvalidVolume.NotFound`), or a client-side code (`RequestTimeout`, `ConnectionError`).
    public var code: String
    /// The service's message, or a bounded excerpt of a non-XML body.
    public var message: String
    /// The call, as `service:Action` (`ec2:CreateVolume`).
    public var operation: String
    /// The HTTP status of the response, when there was one.
    public var httpStatus: Int?
    /// The service's request ID, when it sent one.
    public var requestID: String?

    /// Creates an error value.
    public init(code: String, message: String, operation: String, httpStatus: Int? = nil, requestID: String? = nil) {
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

    /// Throttling: the call may succeed later, and the client should slow down.
    public var isThrottling: Bool { Self.throttlingCodes.contains(code) || httpStatus == 429 }

    /// Transient: throttling, server errors, timeouts and broken connections; worth another attempt.
    public var isRetryable: Bool {
        if isThrottling || Self.transientCodes.contains(code) { return true }
        if let httpStatus, [500, 502, 503, 504].contains(httpStatus), !Self.permanentCodes.contains(code) {
            return true
        }
        return false
    }

    /// Permanent: retrying the same call cannot help (bad credentials, missing permission, bad input, not found).
    public var isPermanent: Bool { !isRetryable }

    /// Whether the error says the resource does not exist (`InvalidVolume.NotFound`, …).
    public var isNotFound: Bool { code.hasSuffix("NotFound") }

    /// Whether AWS refused the credentials themselves (an unknown or deleted key, a wrong secret, an expired
    /// token), as opposed to what they may do.
    public var isAuthentication: Bool { Self.authenticationCodes.contains(code) }

    static let authenticationCodes: Set<String> = [
        "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId",
        "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException", "InvalidToken",
    ]

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
        "RequestThrottled", "SlowDown", "EC2ThrottledException", "PriorRequestNotComplete",
    ]
    static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
        "Unavailable", "InsufficientInstanceCapacity", AWSError.connectionErrorCode, AWSError.attemptTimeoutCode,
    ]
    static let permanentCodes: Set<String> = ["AuthFailure", "UnauthorizedOperation", "AccessDenied"]

    /// The client-side code for a connection that failed or was reset.
    public static let connectionErrorCode = "ConnectionError"
    /// The client-side code for one attempt that took longer than its timeout.
    public static let attemptTimeoutCode = "RequestTimeout"
    /// The client-side code for a call whose deadline passed, retries included.
    public static let deadlineExceededCode = "DeadlineExceeded"
    /// The client-side code for an endpoint whose TLS certificate is not trusted (or not for its name): permanent
    /// until the provider's trust settings change.
    public static let untrustedCertificateCode = "UntrustedCertificate"
    /// The client-side code for a call refused because the retry budget is spent.
    public static let retryBudgetExhaustedCode = "RetryBudgetExhausted"
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
