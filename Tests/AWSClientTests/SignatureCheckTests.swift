import AWSSigV4
import Foundation
import TestSupport
import Testing

@testable import AWSClient

/// moto started with `INITIAL_NO_AUTH_ACTION_COUNT` verifies signatures with botocore's own signer: an oracle.
@Suite("Signatures checked by moto", .timeLimit(.minutes(2)))
struct SignatureCheckTests {
    @Test("the right secret works; a wrong one fails with AuthFailure at once, without retries")
    func rightAndWrongSecret() async throws {
        let moto = try await MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
        defer { moto.stop() }
        let region = try AWSRegion("us-east-1")

        // The three unauthenticated calls create a user with a key and a policy.
        let iam = AWSQueryClient(
            service: "iam", apiVersion: "2010-05-08", region: region, endpoint: moto.url,
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyID: "AKIDBOOT", secretAccessKey: "x")))
        var user = QueryParameters()
        user.set("UserName", "mig")
        _ = try await iam.execute("CreateUser", user)
        let key = try await iam.execute("CreateAccessKey", user)
        let accessKey = try #require(key.at("CreateAccessKeyResult", "AccessKey"))
        var policy = user
        policy.set("PolicyName", "describe")
        policy.set(
            "PolicyDocument",
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*"}]}"#)
        _ = try await iam.execute("PutUserPolicy", policy)

        let keyID = try #require(accessKey.string("AccessKeyId"))
        let secret = try #require(accessKey.string("SecretAccessKey"))
        let good = EC2Client(
            region: region, credentials: StaticCredentialProvider(AWSCredentials(accessKeyID: keyID, secretAccessKey: secret)),
            endpoint: moto.url)
        let vpcs = try await good.describeVpcs()
        #expect(!vpcs.isEmpty)

        let bad = EC2Client(
            region: region,
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyID: keyID, secretAccessKey: "wrong-secret")),
            endpoint: moto.url)
        let error = await #expect(throws: AWSError.self) { try await bad.describeVpcs() }
        #expect(error?.code == "AuthFailure")
        #expect(bad.query.retryBudgetAvailable == RetryPolicy().budgetCapacity, "an auth failure is never retried")
        #expect(error?.description.contains("wrong-secret") == false)
    }
}
