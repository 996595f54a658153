import Foundation
import KubernetesClient

/// Runs a program to completion and returns what it printed.
public enum ProcessRunner {
    /// The repository's root, found from this file's location.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appending(path: "Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// The result of a run.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `arguments[0]` (a path, or a name looked up on PATH) with the rest as arguments, `input` on stdin.
    ///
    /// The process is started, read and waited for on threads of its own: tests run on Swift's cooperative pool,
    /// which has one thread per core, and a blocking wait there would stall every other test of the process.
    /// Standard output and standard error are read at the same time, so neither pipe can fill up and hang the child.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil
    )
        async throws -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = repositoryRoot
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let errors = Collected()
                let done = DispatchSemaphore(value: 0)
                Thread {
                    errors.data = PipeReader.readAll(err.fileHandleForReading)
                    done.signal()
                }.start()
                if let stdin, let input {
                    try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                    try? stdin.fileHandleForWriting.close()
                }
                let outData = PipeReader.readAll(out.fileHandleForReading)
                done.wait()
                process.waitUntilExit()
                continuation.resume(
                    returning: Result(
                        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                        stderr: String(decoding: errors.data, as: UTF8.self)))
            }.start()
        }
    }

    /// Bytes one reader thread hands to another (ordered by a semaphore).
    private final class Collected: @unchecked Sendable {
        var data = Data()
    }
}
