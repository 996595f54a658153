import AWSClient
import AWSSigV4
import Foundation

/// The local environment a test run was started with (`scripts/with-devenv`, which `make test` uses):
/// moto behind the EC2 proxy, the fake cluster, and their control URLs, read from `MTV_DEVENV_DIR/env.sh`.
public struct LocalEnvironment: Sendable {
    /// The variables `scripts/devenv up` wrote.
    public let variables: [String: String]

    /// The environment of this test run; nil when the tests run without one.
    public static let current: LocalEnvironment? = {
        guard let directory = ProcessInfo.processInfo.environment["MTV_DEVENV_DIR"],
            let text = try? String(contentsOfFile: "\(directory)/env.sh", encoding: .utf8)
        else { return nil }
        var variables: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            variables[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
                .trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        return LocalEnvironment(variables: variables)
    }()

    /// The EC2 proxy's URL (what `AWS_ENDPOINT_URL` points at).
    public var awsEndpoint: URL { URL(string: variables["AWS_ENDPOINT_URL"]!)! }
    /// The proxy's control API.
    public var proxyControl: URL { URL(string: variables["EC2_PROXY_CONTROL_URL"]!)! }
    /// moto itself, for resets.
    public var motoURL: URL { URL(string: variables["MOTO_URL"]!)! }
    /// The fake cluster's kubeconfig (admin token, HTTPS with the devenv's CA).
    public var kubeconfig: String { variables["KUBECONFIG"]! }
    /// The fake cluster's control API.
    public var fakeKubeControl: URL { URL(string: variables["FAKE_KUBE_CONTROL_URL"]!)! }
    /// The devenv's directory.
    public var directory: String { variables["MTV_DEVENV_DIR"]! }
    /// The serving certificate and key `scripts/devenv` issued (from the cluster's CA, for 127.0.0.1 and the
    /// controller's Service), which test controllers serve HTTPS with.
    public var servingCertificate: (certificate: String, key: String) {
        ("\(directory)/tls/server.crt", "\(directory)/tls/server.key")
    }

    /// The IAM users file every moto of the run checks signatures with (`scripts/moto-server --iam-users`).
    public var iamUsers: String? { variables["MTV_IAM_USERS"] }

    /// The source IAM user's keys (account 123456789012, where the fixture fleet lives).
    public var credentials: AWSCredentials {
        AWSCredentials(
            accessKeyID: variables["AWS_ACCESS_KEY_ID"]!, secretAccessKey: variables["AWS_SECRET_ACCESS_KEY"]!)
    }

    /// An account of its own for a suite whose resources must not mix with the shared fleet.
    public var isolatedAccount: String { variables["MTV_ISOLATED_ACCOUNT"]! }

    /// A second target account for migrations across accounts (snapshots and KMS keys are shared with it).
    public var crossAccount: String { variables["MTV_CROSS_ACCOUNT"]! }

    /// The keys of an IAM user of `account` (moto takes a request's account from its key).
    public func credentials(account: String) -> AWSCredentials {
        switch account {
        case isolatedAccount:
            AWSCredentials(
                accessKeyID: variables["MTV_ISOLATED_KEY_ID"]!, secretAccessKey: variables["MTV_ISOLATED_SECRET"]!)
        case crossAccount:
            AWSCredentials(
                accessKeyID: variables["MTV_CROSS_KEY_ID"]!, secretAccessKey: variables["MTV_CROSS_SECRET"]!)
        default: credentials
        }
    }

    /// An EC2 client for one moto account.
    public func ec2(
        account: String, policy: RetryPolicy = RetryPolicy(), time: any TimeSource = SystemTimeSource()
    )
        throws -> EC2Client
    {
        EC2Client(
            region: try AWSRegion("us-east-1"), credentials: StaticCredentialProvider(credentials(account: account)),
            endpoint: awsEndpoint, policy: policy, time: time, headers: [("x-moto-account-id", account)])
    }

    /// An STS client for one moto account.
    public func sts(account: String) throws -> STSClient {
        STSClient(
            region: try AWSRegion("us-east-1"), credentials: StaticCredentialProvider(credentials(account: account)),
            endpoint: awsEndpoint, headers: [("x-moto-account-id", account)])
    }
}
