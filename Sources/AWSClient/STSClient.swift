import AWSSigV4
import AsyncHTTPClient
import Foundation
import Logging

/// Who a set of credentials belongs to.
public struct CallerIdentity: Codable, Sendable, Equatable {
    public var account: String
    public var arn: String
    public var userID: String

    enum CodingKeys: String, CodingKey {
        case account = "Account"
        case arn = "Arn"
        case userID = "UserId"
    }
}

/// The STS calls: who am I, and web identity federation.
public struct STSClient: Sendable {
    /// The STS API version every request sends.
    public static let apiVersion = "2011-06-15"
    /// The transport this client sends through.
    public let query: AWSQueryClient

    /// Creates a client; nil `credentials` sends unsigned requests (enough for AssumeRoleWithWebIdentity).
    public init(
        region: AWSRegion, credentials: (any CredentialProvider)?, endpoint: URL? = nil, http: HTTPClient = .shared,
        policy: RetryPolicy = RetryPolicy(), time: any TimeSource = SystemTimeSource(),
        headers: [(String, String)] = [],
        trust: EndpointTrust = .system, logger: Logger = Logger(label: "aws.sts")
    ) {
        query = AWSQueryClient(
            service: "sts", apiVersion: Self.apiVersion, region: region,
            endpoint: endpoint ?? region.endpoint(service: "sts"), credentials: credentials, http: http,
            policy: policy, time: time, headers: headers, trust: trust, logger: logger)
    }

    /// The account, ARN and user ID of the calling credentials.
    public func getCallerIdentity() async throws -> CallerIdentity {
        let root = try await query.execute("GetCallerIdentity")
        guard let result = root.child("GetCallerIdentityResult"), let account = result.string("Account") else {
            throw AWSError(
                code: .malformedResponse, message: "no Account in the answer", operation: "sts:GetCallerIdentity")
        }
        return CallerIdentity(account: account, arn: result.string("Arn") ?? "", userID: result.string("UserId") ?? "")
    }

    /// Exchanges an OIDC token for temporary credentials of `roleARN`.
    public func assumeRoleWithWebIdentity(
        roleARN: String, sessionName: String, token: String, duration: Int? = nil
    )
        async throws -> AWSCredentials
    {
        var parameters = QueryParameters()
        parameters.set("RoleArn", roleARN)
        parameters.set("RoleSessionName", sessionName)
        parameters.set("WebIdentityToken", token)
        parameters.set("DurationSeconds", duration)
        let root = try await query.execute("AssumeRoleWithWebIdentity", parameters)
        guard let credentials = root.at("AssumeRoleWithWebIdentityResult", "Credentials"),
            let key = credentials.string("AccessKeyId"), let secret = credentials.string("SecretAccessKey")
        else {
            throw AWSError(
                code: .malformedResponse, message: "no Credentials in the answer",
                operation: "sts:AssumeRoleWithWebIdentity")
        }
        let expiration = credentials.string("Expiration").flatMap { try? Date($0, strategy: .iso8601) }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: credentials.string("SessionToken"),
            expiration: expiration)
    }
}

/// Credentials for a role, from an OIDC token file: how pods on ROSA and EKS (IRSA) get AWS access.
/// The token file is re-read for every exchange because the kubelet rotates it.
public struct WebIdentityCredentialProvider: CredentialProvider {
    let tokenFile: String
    let roleARN: String
    let sessionName: String
    let sts: STSClient

    /// Creates a provider; the STS endpoint follows `AWS_ENDPOINT_URL_STS`/`AWS_ENDPOINT_URL` when set.
    public init(
        tokenFile: String, roleARN: String, sessionName: String?, region: AWSRegion,
        environment: [String: String] = ProcessInfo.processInfo.environment, time: any TimeSource = SystemTimeSource()
    ) {
        self.tokenFile = tokenFile
        self.roleARN = roleARN
        self.sessionName = sessionName ?? "mtv-\(Int(time.date().timeIntervalSince1970))"
        let endpoint = try? AWSEndpoint.resolve(service: "sts", region: region, environment: environment)
        sts = STSClient(region: region, credentials: nil, endpoint: endpoint, time: time)
    }

    public func credentials() async throws -> AWSCredentials {
        guard let data = FileManager.default.contents(atPath: tokenFile),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !token.isEmpty
        else {
            throw AWSConfigurationError(
                "cannot read the web identity token file \(tokenFile) (AWS_WEB_IDENTITY_TOKEN_FILE); check that it "
                    + "exists, is readable and is not empty")
        }
        return try await sts.assumeRoleWithWebIdentity(roleARN: roleARN, sessionName: sessionName, token: token)
    }
}
