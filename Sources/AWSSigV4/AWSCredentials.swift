import Foundation

/// An AWS access key pair, with the session token that temporary credentials carry.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?

    /// Creates credentials from an access key pair, an optional session token and its expiry.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

extension AWSCredentials: CustomStringConvertible, CustomDebugStringConvertible {
    /// Names the access key only; the secret and the token never reach logs or output.
    public var description: String { "AWSCredentials(accessKeyID: \(accessKeyID), secret: <redacted>)" }

    /// Same as `description`, so `dump` and debug prints stay redacted too.
    public var debugDescription: String { description }
}
