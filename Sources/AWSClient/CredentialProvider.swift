import AWSSigV4
import Foundation

/// A source of AWS credentials. Providers are asked for every request, so they cache what is costly to get.
public protocol CredentialProvider: Sendable {
    /// The credentials to sign the next request with.
    func credentials() async throws -> AWSCredentials
}

/// Fixed credentials, such as the keys of a provider Secret.
public struct StaticCredentialProvider: CredentialProvider {
    let value: AWSCredentials

    /// Creates a provider that always returns these credentials.
    public init(_ credentials: AWSCredentials) {
        self.value = credentials
    }

    public func credentials() async throws -> AWSCredentials { value }
}

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: CredentialProvider {
    let environment: [String: String]

    /// Reads from `environment` (the process environment by default).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func credentials() async throws -> AWSCredentials {
        let key = environment["AWS_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment["AWS_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (key, secret) {
        case (let key?, let secret?):
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
        case (nil, nil):
            throw CredentialsNotFound("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        case (nil, _):
            throw AWSConfigurationError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both")
        case (_, nil):
            throw AWSConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both")
        }
    }
}

/// Says a provider has nothing to offer, so a chain moves on to the next one; any other error stops the chain.
public struct CredentialsNotFound: Error, Sendable, CustomStringConvertible {
    /// Why this provider had no credentials.
    public var reason: String

    /// Creates the error with the reason the chain reports if every provider comes up empty.
    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// Tries providers in order and returns the first credentials found.
public struct CredentialChain: CredentialProvider {
    let providers: [any CredentialProvider]

    /// Creates a chain.
    public init(_ providers: [any CredentialProvider]) {
        self.providers = providers
    }

    /// The standard chain: environment, shared files and profiles, then web identity.
    public static func standard(
        environment: [String: String] = ProcessInfo.processInfo.environment, region: AWSRegion,
        time: any TimeSource = SystemTimeSource()
    ) -> CredentialChain {
        var providers: [any CredentialProvider] = [EnvironmentCredentialProvider(environment: environment)]
        providers.append(ProfileCredentialProvider(environment: environment, region: region, time: time))
        if let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], let role = environment["AWS_ROLE_ARN"] {
            providers.append(
                WebIdentityCredentialProvider(
                    tokenFile: tokenFile, roleARN: role, sessionName: environment["AWS_ROLE_SESSION_NAME"],
                    region: region, environment: environment, time: time))
        }
        return CredentialChain(providers)
    }

    public func credentials() async throws -> AWSCredentials {
        var reasons: [String] = []
        for provider in providers {
            do {
                return try await provider.credentials()
            } catch let notFound as CredentialsNotFound {
                reasons.append(notFound.reason)
            }
        }
        throw AWSConfigurationError(
            "no AWS credentials found (\(reasons.joined(separator: "; "))); set AWS_ACCESS_KEY_ID and "
                + "AWS_SECRET_ACCESS_KEY, AWS_PROFILE with a shared credentials file, or AWS_WEB_IDENTITY_TOKEN_FILE "
                + "and AWS_ROLE_ARN")
    }
}

/// Keeps expiring credentials until shortly before they expire, and fetches new ones once for all waiting callers.
public actor CachingCredentialProvider: CredentialProvider {
    let upstream: any CredentialProvider
    let refreshMargin: Double
    let time: any TimeSource
    private var cached: AWSCredentials?
    private var inFlight: Task<AWSCredentials, any Error>?

    /// Wraps `upstream`; credentials are renewed `refreshMargin` seconds before their expiration.
    public init(
        _ upstream: any CredentialProvider, refreshMargin: Double = 300, time: any TimeSource = SystemTimeSource()
    ) {
        self.upstream = upstream
        self.refreshMargin = refreshMargin
        self.time = time
    }

    public func credentials() async throws -> AWSCredentials {
        if let cached, !needsRefresh(cached) { return cached }
        if let inFlight { return try await inFlight.value }
        let task = Task { try await upstream.credentials() }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh
    }

    private func needsRefresh(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(time.date()) <= refreshMargin
    }
}
