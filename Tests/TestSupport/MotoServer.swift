import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A moto server of a test's own, for settings the shared environment does not have (signature checking).
public final class MotoServer: @unchecked Sendable {
    /// Where the server listens.
    public let url: URL
    private let process: Process

    /// Starts `python3 -m moto.server` on a free loopback port with extra environment variables and waits for it.
    public init(environment: [String: String] = [:]) async throws {
        let port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", "\(port)"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
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
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        for _ in 0..<40 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
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

    deinit { stop() }

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
