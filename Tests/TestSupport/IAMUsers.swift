import AWSClient
import AWSSigV4
import Foundation

/// IAM users and keys on a moto that checks signatures, made and removed through its IAM API, signed with keys
/// of the local environment's users.
public struct IAMUsers: Sendable {
    let client: AWSQueryClient

    /// An IAM client for `endpoint`, signing with `credentials`.
    public init(endpoint: URL, credentials: AWSCredentials) throws {
        client = AWSQueryClient(
            service: "iam", apiVersion: "2010-05-08", region: try AWSRegion("us-east-1"), endpoint: endpoint,
            credentials: StaticCredentialProvider(credentials))
    }

    /// Creates a user allowed everything.
    public func createUser(_ name: String) async throws {
        var user = QueryParameters()
        user.set("UserName", name)
        _ = try await client.execute("CreateUser", user)
        var policy = user
        policy.set("PolicyName", "everything")
        policy.set(
            "PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        _ = try await client.execute("PutUserPolicy", policy)
    }

    /// A new key pair of the user.
    public func createKey(user name: String) async throws -> AWSCredentials {
        var user = QueryParameters()
        user.set("UserName", name)
        let answer = try await client.execute("CreateAccessKey", user)
        guard let key = answer.at("CreateAccessKeyResult", "AccessKey"), let id = key.string("AccessKeyId"),
            let secret = key.string("SecretAccessKey")
        else { throw ControlAPIError(status: 0, body: "CreateAccessKey returned no key", url: client.endpoint) }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret)
    }

    /// Deletes one of the user's keys: requests signed with it fail from now on.
    public func deleteKey(user name: String, keyID: String) async throws {
        var parameters = QueryParameters()
        parameters.set("UserName", name)
        parameters.set("AccessKeyId", keyID)
        _ = try await client.execute("DeleteAccessKey", parameters)
    }
}
