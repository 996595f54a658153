import AWSClient
import AWSSigV4
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A moto server of a test's own: it checks signatures with the local environment's IAM users, as the shared one
/// does, unless the test asks for other settings.
public final class MotoServer: @unchecked Sendable {
    /// Where the server listens.
    public let url: URL
    private let process: ManagedProcess

    /// Starts `scripts/moto-server` on a loopback port the kernel picks (written to a port file once it listens, so
    /// no other server of the test run can take the port first), with extra environment variables. With
    /// `iamUsers` (by default the local environment's users file) moto checks every signature against those users.
    public init(
        environment: [String: String] = [:], iamUsers: String? = LocalEnvironment.current?.iamUsers
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "moto-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (process, port) = try await StartupGate.shared.admit {
            let process = try ManagedProcess(
                ["scripts/moto-server", "-H", "127.0.0.1", "--port-file", "\(directory)/port"]
                    + (iamUsers.map { ["--iam-users", $0] } ?? []),
                environment: environment, log: "\(directory)/moto.log")
            return (process, try await process.waitForFile("\(directory)/port"))
        }
        self.process = process
        url = URL(string: "http://127.0.0.1:\(port)")!
    }

    /// Stops the server by its PID: SIGINT, then SIGKILL if it lingers.
    public func stop() {
        process.stop(signal: SIGINT)
    }
}

extension MotoServer {
    /// A moto that checks signatures (`INITIAL_NO_AUTH_ACTION_COUNT`), with an IAM user allowed EC2 Describe and
    /// STS calls; returns the server and the user's key pair.
    public static func withSignatureChecking() async throws -> (server: MotoServer, keyID: String, secret: String) {
        let moto = try await MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"], iamUsers: nil)
        let iam = AWSQueryClient(
            service: "iam", apiVersion: "2010-05-08", region: try AWSRegion("us-east-1"), endpoint: moto.url,
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyID: "AKIDBOOT", secretAccessKey: "x")))
        var user = QueryParameters()
        user.set("UserName", "mig")
        _ = try await iam.execute("CreateUser", user)
        let key = try await iam.execute("CreateAccessKey", user)
        var policy = user
        policy.set("PolicyName", "describe")
        policy.set(
            "PolicyDocument",
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","sts:GetCallerIdentity"],"Resource":"*"}]}"#
        )
        _ = try await iam.execute("PutUserPolicy", policy)
        guard let accessKey = key.at("CreateAccessKeyResult", "AccessKey"), let id = accessKey.string("AccessKeyId"),
            let secret = accessKey.string("SecretAccessKey")
        else {
            moto.stop()
            throw ControlAPIError(status: 0, body: "moto did not return an access key", url: moto.url)
        }
        return (moto, id, secret)
    }
}
