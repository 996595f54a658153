import AWSSigV4
import Foundation
import Testing

@testable import AWSClient

/// The KMS client speaks JSON 1.1 through the Query clients' stages: signed, retried, errors typed.
@Suite("KMS client against a stub server")
struct KMSClientTests {
    static func client(_ url: URL) throws -> KMSClient {
        KMSClient(
            region: try AWSRegion("us-east-1"),
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyID: "AKIDSTUB", secretAccessKey: "stub")),
            endpoint: url, time: VirtualTimeSource())
    }

    @Test("DescribeKey: a signed JSON request naming its target; a KMS-internal error is retried; AWS keys are known")
    func describeKey() async throws {
        try await StubServer.with({ _, _, call in
            call == 1
                ? .init(status: 500, body: #"{"__type":"KMSInternalException","message":"try again"}"#)
                : .init(
                    body: #"{"KeyMetadata":{"KeyId":"k-1","Arn":"arn:aws:kms:us-east-1:1:key/k-1","KeyManager":"AWS","#
                        + #""KeyState":"Enabled","Enabled":true}}"#)
        }) { server, url in
            let key = try await Self.client(url).describeKey("alias/aws/ebs")
            #expect(key.isAWSManaged && key.arn == "arn:aws:kms:us-east-1:1:key/k-1" && key.enabled == true)
            let requests = await server.requests
            #expect(requests.count == 2)
            let headers = try #require(requests.last?.headers)
            #expect(headers["x-amz-target"] == "TrentService.DescribeKey")
            #expect(headers["content-type"] == "application/x-amz-json-1.1")
            #expect(headers["authorization"]?.contains("/us-east-1/kms/aws4_request") == true)
        }
    }

    @Test("an error answer keeps its code without the namespace; NotFoundException is a not-found")
    func errors() async throws {
        try await StubServer.with({ _, _, _ in
            .init(
                status: 400,
                body: #"{"__type":"com.amazonaws.kms#NotFoundException","message":"Key 'arn:x' does not exist"}"#)
        }) { _, url in
            let error = await #expect(throws: AWSError.self) { try await Self.client(url).describeKey("arn:x") }
            #expect(error?.code == "NotFoundException" && error?.isNotFound == true)
            #expect(error?.operation == "kms:DescribeKey" && error?.message == "Key 'arn:x' does not exist")
        }
        try await StubServer.with({ _, _, _ in .init(body: "not json") }) { _, url in
            let error = await #expect(throws: AWSError.self) { try await Self.client(url).describeKey("k") }
            #expect(error?.code == .malformedResponse)
        }
    }
}
