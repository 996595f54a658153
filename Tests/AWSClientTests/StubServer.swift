import Foundation
import Hummingbird
import Logging
import NIOCore

/// An in-process HTTP server that answers Query-protocol requests from a script, for what moto cannot show:
/// paging, echoed tokens, slow answers, scripted error sequences.
actor StubServer {
    /// One scripted answer.
    struct Reply: Sendable {
        var status: Int = 200
        var body: String
        var delay: Double = 0
    }

    typealias Handler = @Sendable (_ action: String, _ parameters: [String: String], _ call: Int) -> Reply

    private let handler: Handler
    private var calls: [(action: String, parameters: [String: String], headers: [String: String])] = []
    private var task: Task<Void, any Error>?

    init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// Every request so far.
    var requests: [(action: String, parameters: [String: String], headers: [String: String])] { calls }

    private func record(_ action: String, _ parameters: [String: String], _ headers: [String: String]) -> Int {
        calls.append((action, parameters, headers))
        return calls.count
    }

    /// Starts listening on a free loopback port; returns the base URL.
    func start() async throws -> URL {
        let router = Router()
        router.post("/") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let form = String(buffer: body)
            var parameters: [String: String] = [:]
            for pair in form.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
                parameters[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let call = await self.record(parameters["Action"] ?? "", parameters, headers)
            let reply = self.handler(parameters["Action"] ?? "", parameters, call)
            if reply.delay > 0 { try await Task.sleep(nanoseconds: UInt64(reply.delay * 1e9)) }
            return Response(
                status: .init(code: reply.status), headers: [.contentType: "text/xml"],
                body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Self.quietLogger)
        task = Task { try await app.run() }
        var iterator = stream.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        return URL(string: "http://127.0.0.1:\(port)/")!
    }

    /// Stops the server.
    func stop() {
        task?.cancel()
    }

    /// Runs `body` with a started server and stops it afterwards.
    static func with<T: Sendable>(
        _ handler: @escaping Handler, _ body: (StubServer, URL) async throws -> T
    ) async throws -> T {
        let server = StubServer(handler)
        let url = try await server.start()
        defer { Task { await server.stop() } }
        return try await body(server, url)
    }

    /// Cancelling the server task is how tests stop it; its shutdown complaints are noise.
    static let quietLogger: Logger = {
        var logger = Logger(label: "stub")
        logger.logLevel = .critical
        return logger
    }()

    /// An EC2 error envelope.
    static func ec2Error(_ code: String, _ message: String = "injected") -> String {
        "<Response><Errors><Error><Code>\(code)</Code><Message>\(message)</Message></Error></Errors>"
            + "<RequestID>req-1</RequestID></Response>"
    }
}
