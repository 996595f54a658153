import AWSSigV4
import Foundation
import Testing

@testable import AWSClient

@Suite("Regions, endpoints and credentials")
struct ConfigurationTests {
    @Test(
        "well-formed region names are accepted",
        arguments: ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1"])
    func goodRegions(name: String) throws {
        #expect(try AWSRegion(name).name == name)
    }

    @Test(
        "malformed region names are refused with a hint",
        arguments: ["", "us-east", "US-EAST-1", "useast1", "us-east-1a"])
    func badRegions(name: String) {
        let error = #expect(throws: AWSConfigurationError.self) { try AWSRegion(name) }
        #expect(error?.message.contains("like us-east-1") == true)
    }

    @Test("endpoints follow the region, China included")
    func defaultEndpoints() throws {
        #expect(
            try AWSEndpoint.resolve(service: "ec2", region: AWSRegion("eu-west-1")).absoluteString
                == "https://ec2.eu-west-1.amazonaws.com")
        #expect(
            try AWSEndpoint.resolve(service: "ec2", region: AWSRegion("cn-north-1")).absoluteString
                == "https://ec2.cn-north-1.amazonaws.com.cn")
    }

    @Test("an explicit URL beats the service variable, which beats AWS_ENDPOINT_URL")
    func endpointPrecedence() throws {
        let region = try AWSRegion("us-east-1")
        let environment = ["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:2"]
        #expect(try AWSEndpoint.resolve(service: "ec2", region: region, environment: environment).port == 2)
        #expect(try AWSEndpoint.resolve(service: "sts", region: region, environment: environment).port == 1)
        #expect(
            try AWSEndpoint.resolve(service: "ec2", region: region, explicit: "http://h:3", environment: environment)
                .port == 3)
        // Without `environment`, the variables are not consulted (a caller must allow them).
        #expect(try AWSEndpoint.resolve(service: "ec2", region: region).host == "ec2.us-east-1.amazonaws.com")
    }

    @Test("a malformed endpoint is refused, naming where it came from", arguments: ["ftp://x", "not a url", "http://"])
    func badEndpoints(text: String) throws {
        let error = #expect(throws: AWSConfigurationError.self) {
            try AWSEndpoint.resolve(
                service: "ec2", region: try AWSRegion("us-east-1"), environment: ["AWS_ENDPOINT_URL": text])
        }
        #expect(error?.message.contains("AWS_ENDPOINT_URL") == true)
    }

    @Test("environment credentials, with a session token")
    func environmentCredentials() async throws {
        let provider = EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "tok",
        ])
        let credentials = try await provider.credentials()
        #expect(
            credentials == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: "env-secret", sessionToken: "tok"))
    }

    @Test("half a key pair in the environment is an error that names the missing variable")
    func halfEnvironmentPair() async {
        let provider = EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKIDENV"])
        let error = await #expect(throws: AWSConfigurationError.self) { try await provider.credentials() }
        #expect(error?.message.contains("AWS_SECRET_ACCESS_KEY") == true)
        #expect(error?.message.contains("AKIDENV") == false)
    }

    @Test("profiles come from the credentials and config files; AWS_PROFILE picks one")
    func profiles() async throws {
        let directory = try temporaryDirectory()
        try """
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = default-secret
        # a comment
        [work]
        aws_access_key_id=AKIDWORK
        aws_secret_access_key=work-secret
        aws_session_token = work-token
        """.write(toFile: "\(directory)/credentials", atomically: true, encoding: .utf8)
        try """
        [profile other]
        aws_access_key_id = AKIDOTHER
        aws_secret_access_key = other-secret
        region = eu-west-1
        """.write(toFile: "\(directory)/config", atomically: true, encoding: .utf8)
        let base = [
            "AWS_SHARED_CREDENTIALS_FILE": "\(directory)/credentials", "AWS_CONFIG_FILE": "\(directory)/config",
        ]
        let region = try AWSRegion("us-east-1")

        let byDefault = try await ProfileCredentialProvider(environment: base, region: region).credentials()
        #expect(byDefault.accessKeyID == "AKIDDEFAULT")
        let work = try await ProfileCredentialProvider(
            environment: base.merging(["AWS_PROFILE": "work"]) { $1 },
            region: region
        ).credentials()
        #expect(work.sessionToken == "work-token")
        let other = try await ProfileCredentialProvider(
            environment: base.merging(["AWS_PROFILE": "other"]) { $1 },
            region: region
        ).credentials()
        #expect(other.accessKeyID == "AKIDOTHER")
    }

    @Test("a named profile that does not exist is an error, not a silent fallback")
    func missingProfile() async throws {
        let directory = try temporaryDirectory()
        try "[default]\naws_access_key_id = A\naws_secret_access_key = s\n"
            .write(toFile: "\(directory)/credentials", atomically: true, encoding: .utf8)
        let provider = ProfileCredentialProvider(
            environment: [
                "AWS_SHARED_CREDENTIALS_FILE": "\(directory)/credentials", "AWS_PROFILE": "nope",
                "HOME": directory,
            ],
            region: try AWSRegion("us-east-1"))
        let error = await #expect(throws: AWSConfigurationError.self) { try await provider.credentials() }
        #expect(error?.message.contains("'nope'") == true)
    }

    @Test("an unreadable or malformed file gives one clear error naming the file")
    func unreadableProfileFile() async throws {
        let directory = try temporaryDirectory()
        let region = try AWSRegion("us-east-1")
        let missing = ProfileCredentialProvider(
            environment: ["AWS_SHARED_CREDENTIALS_FILE": "\(directory)/absent"], region: region)
        let missingError = await #expect(throws: AWSConfigurationError.self) { try await missing.credentials() }
        #expect(missingError?.message.contains("\(directory)/absent") == true)

        try "[default\naws_access_key_id = A\n".write(toFile: "\(directory)/bad", atomically: true, encoding: .utf8)
        let malformed = ProfileCredentialProvider(
            environment: ["AWS_SHARED_CREDENTIALS_FILE": "\(directory)/bad"],
            region: region)
        let malformedError = await #expect(throws: AWSConfigurationError.self) { try await malformed.credentials() }
        #expect(malformedError?.message.contains("line 1") == true)
    }

    @Test("the chain says what it tried when nothing yields credentials")
    func emptyChain() async throws {
        let directory = try temporaryDirectory()
        let chain = CredentialChain.standard(environment: ["HOME": directory], region: try AWSRegion("us-east-1"))
        let error = await #expect(throws: AWSConfigurationError.self) { try await chain.credentials() }
        #expect(error?.message.contains("no AWS credentials found") == true)
        #expect(error?.message.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test("expiring credentials are renewed before they expire, and only then")
    func cachingRefresh() async throws {
        final class Counter: CredentialProvider, @unchecked Sendable {
            let lock = NSLock()
            var calls = 0
            let time: VirtualTimeSource
            init(time: VirtualTimeSource) { self.time = time }
            func credentials() async throws -> AWSCredentials {
                let call = lock.withLock {
                    calls += 1; return calls
                }
                return AWSCredentials(
                    accessKeyID: "AKID\(call)", secretAccessKey: "s", expiration: time.date().addingTimeInterval(3600))
            }
        }
        let time = VirtualTimeSource()
        let upstream = Counter(time: time)
        let cache = CachingCredentialProvider(upstream, refreshMargin: 300, time: time)
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        time.advance(by: 3000)
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        time.advance(by: 400)
        #expect(try await cache.credentials().accessKeyID == "AKID2")
    }

    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appending(path: "aws-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
