import AWSClient
import AWSSigV4
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A moto server of a test's own, for settings the shared environment does not have (signature checking).
public final class MotoServer: @unchecked Sendable {
    /// Where the server listens.
    public let url: URL
    private let process: ManagedProcess

    /// Starts `python3 -m moto.server` on a free loopback port with extra environment variables and waits for it.
    public init(environment: [String: String] = [:]) async throws {
        let port = try Self.freePort()
        process = try ManagedProcess(
            ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", "\(port)"], environment: environment)
        url = URL(string: "http://127.0.0.1:\(port)")!
        for _ in 0..<200 {
                if reachable() { return }
            if !process.isRunning { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        stop()
        throw ControlAPIError(status: 0, body: "moto did not start", url: url)
    }

    /// Stops the server by its PID: SIGINT (what moto's server handles), then SIGKILL if it lingers.
    public func stop() {
        process.stop(signal: SIGINT)
    }

    /// Whether something accepts connections on the server's port.
    private func reachable() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(url.port ?? 0).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }


    /// A loopback port nobody listens on right now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw ControlAPIError(status: 0, body: "no free port", url: URL(string: "tcp://")!) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension MotoServer {
    /// A moto that checks signatures (`INITIAL_NO_AUTH_ACTION_COUNT`), with an IAM user allowed EC2 Describe and
    /// STS calls; returns the server and the user's key pair.
    public static func withSignatureChecking() async throws -> (server: MotoServer, keyID: String, secret: String) {
        let moto = try await MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
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
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","sts:GetCallerIdentity"],"Resource":"*"}]}"#)
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
