import AWSSigV4
import Foundation
import Testing

@testable import AWSClient

private let credentials = StaticCredentialProvider(
    AWSCredentials(accessKeyID: "AKIDSTUB", secretAccessKey: "stub-secret-value"))

private func ec2(
    _ url: URL, policy: RetryPolicy = RetryPolicy(), time: any TimeSource = VirtualTimeSource()
)
    throws -> EC2Client
{
    EC2Client(region: try AWSRegion("us-east-1"), credentials: credentials, endpoint: url, policy: policy, time: time)
}

private let oneVolume = """
    <DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>
    <volumeSet><item><volumeId>vol-1</volumeId><size>8</size><volumeType>gp3</volumeType><status>available</status>
    </item></volumeSet></DescribeVolumesResponse>
    """

@Suite("AWS Query client against a stub server")
struct AWSQueryClientTests {
    @Test("throttling and 5xx are retried, then the call succeeds")
    func retriesTransientErrors() async throws {
        try await StubServer.with({ _, _, call in
            switch call {
            case 1: .init(status: 503, body: StubServer.ec2Error("RequestLimitExceeded"))
            case 2: .init(status: 500, body: StubServer.ec2Error("InternalError"))
            case 3: .init(status: 502, body: "<html>bad gateway</html>")
            default: .init(body: oneVolume)
            }
        }) { server, url in
            let time = VirtualTimeSource()
            let volumes = try await ec2(url, time: time).describeVolumes()
            #expect(volumes.map(\.volumeID) == ["vol-1"])
            #expect(await server.requests.count == 4)
            #expect(time.recordedSleeps.count == 3)
        }
    }

    @Test("permanent errors are not retried and carry the code, the call and the request ID")
    func permanentErrorsFailAtOnce() async throws {
        try await StubServer.with({ _, _, _ in
            .init(status: 403, body: StubServer.ec2Error("UnauthorizedOperation", "You are not authorized"))
        }) { server, url in
            let error = await #expect(throws: AWSError.self) { try await ec2(url).stopInstances(ids: ["i-1"]) }
            #expect(error?.code == "UnauthorizedOperation")
            #expect(error?.operation == "ec2:StopInstances")
            #expect(error?.requestID == "req-1")
            #expect(error?.description.contains("You are not authorized") == true)
            #expect(await server.requests.count == 1)
        }
    }

    @Test("every attempt is signed anew")
    func eachAttemptSigned() async throws {
        try await StubServer.with({ _, _, call in
            call == 1 ? .init(status: 503, body: StubServer.ec2Error("RequestLimitExceeded")) : .init(body: oneVolume)
        }) { server, url in
            var policy = RetryPolicy(baseDelay: 2)
            policy.jitter = { 1 }
            _ = try await ec2(url, policy: policy, time: VirtualTimeSource()).describeVolumes()
            let requests = await server.requests
            let dates = requests.compactMap { $0.headers["x-amz-date"] }
            try #require(dates.count == 2)
            #expect(dates[0] != dates[1])
            #expect(requests.allSatisfy { $0.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256") == true })
        }
    }

    @Test("the retry budget stops a storm against a failing endpoint")
    func retryBudgetStopsStorm() async throws {
        try await StubServer.with({ _, _, _ in .init(status: 500, body: StubServer.ec2Error("InternalError")) }) {
            server, url in
            let policy = RetryPolicy(maxAttempts: 10, budgetCapacity: 20, retryCost: 5)
            let client = try ec2(url, policy: policy)
            let error = await #expect(throws: AWSError.self) { try await client.describeVolumes() }
            #expect(error?.code == AWSErrorCode.retryBudgetExhausted)
            #expect(error?.message.contains("InternalError") == true)
            #expect(await server.requests.count == 5)
            // The next call gets one attempt only: the budget is spent.
            _ = await #expect(throws: AWSError.self) { try await client.describeVolumes() }
            #expect(await server.requests.count == 6)
        }
    }

    @Test("a slow endpoint ends in a timeout within the call's attempts, not after the answer arrives")
    func deadlineBoundsTheCall() async throws {
        try await StubServer.with({ _, _, _ in .init(status: 200, body: oneVolume, delay: 5) }) { server, url in
            let policy = RetryPolicy(maxAttempts: 10, attemptTimeout: 0.3, callDeadline: 1)
            let error = await #expect(throws: AWSError.self) {
                try await ec2(url, policy: policy, time: SystemTimeSource()).describeVolumes()
            }
            #expect([AWSErrorCode.deadlineExceeded, AWSErrorCode.attemptTimeout].contains(error?.code ?? ""))
            // Each attempt waits at most 0.3 s of the 1 s deadline, so at most four attempts reach the server,
            // far fewer than the ten the policy would allow.
            #expect(await server.requests.count <= 4)
        }
    }

    @Test("pagination follows NextToken and stops on an echoed token")
    func paginationStopsOnEchoedToken() async throws {
        try await StubServer.with({ _, parameters, _ in
            let token = parameters["NextToken"]
            let (id, next): (String, String) =
                switch token {
                case nil: ("vol-1", "<nextToken>t1</nextToken>")
                case "t1": ("vol-2", "<nextToken>t2</nextToken>")
                default: ("vol-3", "<nextToken>t2</nextToken>")  // echoes the token it was given
                }
            return .init(
                body: "<DescribeVolumesResponse><volumeSet><item><volumeId>\(id)</volumeId><size>1</size>"
                    + "<volumeType>gp3</volumeType><status>available</status></item></volumeSet>\(next)"
                    + "</DescribeVolumesResponse>")
        }) { server, url in
            let volumes = try await ec2(url).describeVolumes()
            #expect(volumes.map(\.volumeID) == ["vol-1", "vol-2", "vol-3"])
            let requests = await server.requests
            #expect(requests.map { $0.parameters["NextToken"] } == [nil, "t1", "t2"])
            #expect(requests.allSatisfy { $0.parameters["MaxResults"] == "500" })
        }
    }

    @Test("ID lists are split into calls of at most 200 IDs, without MaxResults")
    func idsAreChunked() async throws {
        try await StubServer.with({ _, _, _ in .init(body: "<DescribeInstancesResponse/>") }) { server, url in
            let ids = (1...450).map { "i-\($0)" }
            _ = try await ec2(url).describeInstances(ids: ids)
            let requests = await server.requests
            #expect(requests.count == 3)
            #expect(requests[0].parameters["InstanceId.200"] == "i-200")
            #expect(requests[2].parameters["InstanceId.50"] == "i-450")
            #expect(requests.allSatisfy { $0.parameters["MaxResults"] == nil })
        }
    }

    @Test("a non-XML error body becomes an error with the status and an excerpt")
    func nonXMLErrorBody() async throws {
        try await StubServer.with({ _, _, _ in .init(status: 404, body: "<!doctype html><p>Not Found</p>") }) {
            _, url in
            let error = await #expect(throws: AWSError.self) { try await ec2(url).describeVpcs() }
            #expect(error?.code == "HTTP404")
            #expect(error?.httpStatus == 404)
            #expect(error?.message.contains("Not Found") == true)
        }
    }

    @Test("an answer that does not fit its shape is a MalformedResponse naming the field, not retried")
    func answerOutOfShape() async throws {
        let body = oneVolume.replacingOccurrences(of: "<size>8</size>", with: "<size>eight</size>")
        try await StubServer.with({ _, _, _ in .init(body: body) }) { server, url in
            let error = await #expect(throws: AWSError.self) { try await ec2(url).describeVolumes() }
            #expect(error?.code == .malformedResponse)
            #expect(error?.operation == "ec2:DescribeVolumes")
            #expect(error?.message.contains("Size: \"eight\" is not a valid Int") == true)
            #expect(await server.requests.count == 1)
        }
    }

    @Test("a closed port is a connection error, retried and then reported")
    func connectionRefused() async throws {
        let policy = RetryPolicy(maxAttempts: 3, attemptTimeout: 0.5)
        let client = try ec2(URL(string: "http://127.0.0.1:9")!, policy: policy)
        let error = await #expect(throws: AWSError.self) { try await client.describeVpcs() }
        #expect(error?.code == AWSErrorCode.connectionError)
    }

    @Test("DescribeVolumeStatus decodes each volume's status (moto does not implement it)")
    func volumeStatus() async throws {
        try await StubServer.with({ action, parameters, _ in
            guard action == "DescribeVolumeStatus", parameters["VolumeId.1"] == "vol-1" else {
                return .init(status: 400, body: StubServer.ec2Error("InvalidParameterValue"))
            }
            return .init(
                body: "<DescribeVolumeStatusResponse><volumeStatusSet><item><volumeId>vol-1</volumeId>"
                    + "<availabilityZone>us-east-1c</availabilityZone><volumeStatus><status>impaired</status>"
                    + "</volumeStatus></item></volumeStatusSet></DescribeVolumeStatusResponse>")
        }) { _, url in
            let status = try await ec2(url).describeVolumeStatus(ids: ["vol-1"])
            #expect(status.map(\.status) == ["impaired"])
            #expect(status.first?.availabilityZone == "us-east-1c")
        }
    }

    @Test("web identity: the token file is exchanged through STS, unsigned")
    func webIdentityExchange() async throws {
        let expiry = "2030-01-01T00:00:00Z"
        try await StubServer.with({ action, parameters, _ in
            guard action == "AssumeRoleWithWebIdentity", parameters["WebIdentityToken"] == "oidc-token" else {
                return .init(status: 400, body: StubServer.ec2Error("InvalidIdentityToken"))
            }
            return .init(
                body: "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
                    + "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>web-secret</SecretAccessKey>"
                    + "<SessionToken>web-token</SessionToken><Expiration>\(expiry)</Expiration></Credentials>"
                    + "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>")
        }) { server, url in
            let tokenFile = FileManager.default.temporaryDirectory.appending(path: "token-\(UUID().uuidString)")
            try "oidc-token\n".write(to: tokenFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: tokenFile) }
            let provider = WebIdentityCredentialProvider(
                tokenFile: tokenFile.path, roleARN: "arn:aws:iam::123456789012:role/mtv", sessionName: "test",
                region: try AWSRegion("us-east-1"), environment: ["AWS_ENDPOINT_URL_STS": url.absoluteString])
            let credentials = try await provider.credentials()
            #expect(credentials.accessKeyID == "ASIAWEB")
            #expect(credentials.sessionToken == "web-token")
            #expect(credentials.expiration == ISO8601DateFormatter().date(from: expiry))
            let request = try #require(await server.requests.first)
            #expect(request.headers["authorization"] == nil)
            #expect(request.parameters["RoleArn"] == "arn:aws:iam::123456789012:role/mtv")
        }
    }
}
