import AsyncHTTPClient
import Foundation
import MTVAPI
import NIOCore
import Retries

/// One event of a watch stream.
public struct WatchEvent: Sendable, Equatable {
    /// What happened.
    public enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
        case error = "ERROR"
    }

    public var kind: Kind
    /// The object (a `Status` for errors; only metadata.resourceVersion for bookmarks).
    public var object: JSONValue

    /// The object's resourceVersion.
    public var resourceVersion: String? { object[path: ["metadata", "resourceVersion"]]?.stringValue }
}

/// Splits a byte stream into newline-terminated lines, however the bytes are chunked.
struct LineSplitter {
    private var pending: [UInt8] = []

    /// Adds a chunk; returns the lines it completed, without their newlines.
    mutating func feed(_ chunk: some Sequence<UInt8>) -> [[UInt8]] {
        pending.append(contentsOf: chunk)
        var lines: [[UInt8]] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(pending[start..<newline])
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { lines.append(line) }
            start = newline + 1
        }
        pending.removeFirst(start)
        return lines
    }
}

extension KubernetesClient {
    /// One watch request: events until the server ends the stream (or `timeoutSeconds` pass).
    /// An expired resourceVersion arrives as an `.error` event carrying a 410 `Status`.
    public func watchOnce(
        _ resource: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions(),
        resourceVersion: String?, timeoutSeconds: Int = 300, bookmarks: Bool = true
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        var items = options.queryItems
        items.append(("watch", "true"))
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        items.append(("timeoutSeconds", String(timeoutSeconds)))
        if bookmarks { items.append(("allowWatchBookmarks", "true")) }
        let query = items
        let path = resource.path(namespace: namespace)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let request = try await makeRequest(.GET, path, query: query, body: nil, contentType: "")
                    let response = try await http.execute(request, timeout: .seconds(Int64(timeoutSeconds) + 30))
                    guard response.status.code == 200 else {
                        let body = try await response.body.collect(upTo: 1 << 20)
                        throw KubernetesError.from(
                            status: Int(response.status.code), body: Array(body.readableBytesView),
                            request: "WATCH \(path)")
                    }
                    var splitter = LineSplitter()
                    for try await chunk in response.body {
                        for line in splitter.feed(chunk.readableBytesView) {
                            let value = try JSONValue(parsing: Data(line))
                            guard let type = value["type"]?.stringValue, let kind = WatchEvent.Kind(rawValue: type)
                            else { continue }
                            continuation.yield(WatchEvent(kind: kind, object: value["object"] ?? .null))
                        }
                    }
                    continuation.finish()
                } catch let error as KubernetesError {
                    continuation.finish(throwing: error)
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(
                        throwing: KubernetesError(
                            code: 0, reason: KubernetesError.Reason.connection, message: "\(error)",
                            request: "WATCH \(path)"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A watch that survives disconnects: it resumes from the last resourceVersion it saw (bookmarks included),
    /// with backoff between attempts. It ends by throwing a 410 Gone error when the server no longer has that
    /// version; the caller then lists again (`Informer` does this).
    public func watch(
        _ resource: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions(),
        from resourceVersion: String, timeoutSeconds: Int = 300
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var version = resourceVersion
                var failures = 0
                while !Task.isCancelled {
                    do {
                        let stream = watchOnce(
                            resource, namespace: namespace, options: options, resourceVersion: version,
                            timeoutSeconds: timeoutSeconds)
                        for try await event in stream {
                            failures = 0
                            if event.kind == .error {
                                let code = event.object["code"]?.intValue ?? 0
                                throw KubernetesError(
                                    code: code, reason: event.object["reason"]?.stringValue ?? "Unknown",
                                    message: event.object["message"]?.stringValue ?? "", request: "WATCH \(resource)")
                            }
                            if let next = event.resourceVersion { version = next }
                            if event.kind != .bookmark { continuation.yield(event) }
                        }
                    } catch let error as KubernetesError where error.isGone {
                        continuation.finish(throwing: error)
                        return
                    } catch let error as KubernetesError where !error.isRetryable {
                        continuation.finish(throwing: error)
                        return
                    } catch {
                        failures += 1
                    }
                    try? await KubernetesClient.reconnectBackoff.sleep(retry: failures)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
