import AWSSigV4
import Foundation
import TestSupport
import Testing

@testable import AWSClient

/// moto started with `INITIAL_NO_AUTH_ACTION_COUNT` verifies signatures with botocore's own signer: an oracle.
@Suite("Signatures checked by moto", .integrationTimeLimit)
struct SignatureCheckTests {
    @Test("the right secret works; a wrong one fails with AuthFailure at once, without retries")
    func rightAndWrongSecret() async throws {
        let (moto, keyID, secret) = try await MotoServer.withSignatureChecking()
        defer { moto.stop() }
        let region = try AWSRegion("us-east-1")
        let good = EC2Client(
            region: region,
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyID: keyID, secretAccessKey: secret)),
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
