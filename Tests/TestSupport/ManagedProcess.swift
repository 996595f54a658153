import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A server process a test starts and stops by its PID.
public final class ManagedProcess: @unchecked Sendable {
    private let process = Process()

    /// Starts `arguments[0]` (a path or a name on PATH); output goes to `log` when given.
    public init(_ arguments: [String], environment: [String: String] = [:], log: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = FileHandle(forWritingAtPath: log)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
    }

    /// The process ID.
    public var pid: Int32 { process.processIdentifier }

    /// Whether it still runs.
    public var isRunning: Bool { process.isRunning }

    /// Waits until `path` holds text (a port file), or fails when the process exits or time runs out.
    public func waitForFile(_ path: String, seconds: Double = 30) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard process.isRunning else { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        stop()
        throw ControlAPIError(status: 0, body: "process \(pid) did not write \(path)", url: URL(fileURLWithPath: path))
    }

    /// Asks it to stop (`signal`, SIGTERM by default), then SIGKILLs it after two seconds.
    public func stop(signal: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        for _ in 0..<40 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Kills it at once, as a crash would.
    public func crash() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Starts of the Python servers tests launch (moto, the EC2 proxy: a couple of CPU-seconds of imports each), at
/// most one per core at a time. When every test of several suites starts its own server at once, the starts share
/// the cores and each takes many times as long as alone (seen on 2 cores: nine at once, none listening after 30 s).
public actor StartupGate {
    /// The gate every test of the process shares.
    public static let shared = StartupGate(width: max(1, ProcessInfo.processInfo.activeProcessorCount))
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { free = width }

    /// Runs `start` (launch a server and wait for its port file) when a core is free for it.
    public nonisolated func admit<T: Sendable>(_ start: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await start()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
