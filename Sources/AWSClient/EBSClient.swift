import AWSSigV4
import AsyncHTTPClient
import Crypto
import Foundation
import Logging

/// One page of a snapshot's allocated blocks (ListSnapshotBlocks), or of the blocks that differ between two
/// snapshots of one volume (ListChangedBlocks).
public struct SnapshotBlockPage: Sendable, Equatable {
    /// A block and the token that reads it from the snapshot the page is about.
    public struct Block: Sendable, Equatable {
        public var index: Int
        /// Reads the block from the (second) snapshot; nil when a changed block is gone from the second snapshot.
        public var token: String?
    }

    public var blocks: [Block]
    /// The size of every block in bytes (524,288 on AWS).
    public var blockSize: Int
    /// The size of the snapshot's volume in GiB.
    public var volumeSizeGiB: Int
    public var nextToken: String?
}

/// The EBS direct APIs that read snapshots block by block (REST-JSON, SigV4 service `ebs`), through the same call
/// stages as the other clients: signed, retried with the same budgets, errors typed. Every block read is checked
/// against the SHA-256 AWS sends with it; a mismatch is retried like a transient error.
public struct EBSClient: Sendable {
    /// The most entries one page may ask for.
    public static let maxPageSize = 10_000
    /// The largest block AWS serves (512 KiB); a larger answer is refused unread.
    public static let maxBlockBytes = 512 * 1024

    public let region: AWSRegion
    public let endpoint: URL
    let stages: CallStages

    /// Creates a client for `region`; `endpoint` overrides `https://ebs.<region>.amazonaws.com`.
    public init(
        region: AWSRegion, credentials: any CredentialProvider, endpoint: URL? = nil, http: HTTPClient = .shared,
        policy: RetryPolicy = RetryPolicy(), time: any TimeSource = SystemTimeSource(), trust: EndpointTrust = .system,
        logger: Logger = Logger(label: "aws.ebs")
    ) {
        self.region = region
        let endpoint = endpoint ?? region.endpoint(service: "ebs")
        self.endpoint = endpoint
        stages = CallStages(
            service: "ebs", region: region, endpoint: endpoint, credentials: credentials, http: http, policy: policy,
            time: time, headers: [], trust: trust, logger: logger, contentType: "application/json")
    }

    /// One page of the allocated blocks of a snapshot, from `startingBlockIndex` or a previous page's `nextToken`.
    public func listSnapshotBlocks(
        snapshotID: String, startingBlockIndex: Int? = nil, nextToken: String? = nil, maxResults: Int? = nil
    ) async throws -> SnapshotBlockPage {
        let listed = try await get(
            Listed.self, "ListSnapshotBlocks", path: ["snapshots", snapshotID, "blocks"],
            query: Self.pageQuery(startingBlockIndex, nextToken, maxResults))
        return listed.page(listed.blocks)
    }

    /// One page of the blocks of `second` that differ from `first` (both snapshots of one volume's lineage); without
    /// `first`, every allocated block of `second`.
    public func listChangedBlocks(
        from first: String?, to second: String, startingBlockIndex: Int? = nil, nextToken: String? = nil,
        maxResults: Int? = nil
    ) async throws -> SnapshotBlockPage {
        var query = Self.pageQuery(startingBlockIndex, nextToken, maxResults)
        if let first { query.append(("firstSnapshotId", first)) }
        let listed = try await get(
            Listed.self, "ListChangedBlocks", path: ["snapshots", second, "changedblocks"], query: query)
        return listed.page(listed.changedBlocks)
    }

    /// Every block a snapshot holds (since `first`, when given), following `NextToken`; at most as many pages as the
    /// volume has blocks, so an endpoint that echoes a token cannot keep the loop going.
    public func blocks(of snapshotID: String, since first: String? = nil) async throws -> SnapshotBlockPage {
        var page = try await listChangedOrAll(first, snapshotID, nextToken: nil)
        var all = page
        var seen: Set<String> = []
        while let token = page.nextToken {
            guard seen.insert(token).inserted, all.blocks.count <= max(all.volumeSizeGiB, 1) * 2048 else {
                throw AWSError(
                    code: .malformedResponse, message: "the block list of \(snapshotID) does not end",
                    operation: first == nil ? "ebs:ListSnapshotBlocks" : "ebs:ListChangedBlocks")
            }
            page = try await listChangedOrAll(first, snapshotID, nextToken: token)
            all.blocks += page.blocks
        }
        all.nextToken = nil
        return all
    }

    /// One block's data, checked against the SHA-256 AWS sends (`x-amz-Checksum`, base64) and its length
    /// (`x-amz-Data-Length`); a block that does not match is fetched again.
    public func getSnapshotBlock(snapshotID: String, index: Int, token: String) async throws -> [UInt8] {
        let operation = "ebs:GetSnapshotBlock"
        let url = try url(
            path: ["snapshots", snapshotID, "blocks", String(index)],
            query: [("blockToken", token)])
        return try await stages.call(operation, method: "GET", url: url) { answer in
            guard (200..<300).contains(answer.status) else { throw JSONProtocol.error(answer, operation: operation) }
            guard answer.body.count <= Self.maxBlockBytes else {
                throw AWSError(
                    code: .malformedResponse, message: "block \(index) has \(answer.body.count) bytes",
                    operation: operation)
            }
            let length = answer.headers.first(name: "x-amz-Data-Length").flatMap { Int($0) }
            let expected = answer.headers.first(name: "x-amz-Checksum")
            let actual = Data(SHA256.hash(data: answer.body)).base64EncodedString()
            guard length == nil || length == answer.body.count, let expected, expected == actual else {
                throw AWSError(
                    code: .checksumMismatch,
                    message: "block \(index) of \(snapshotID): \(answer.body.count) bytes with SHA-256 \(actual), "
                        + "AWS sent \(length.map(String.init) ?? "?") bytes with \(expected ?? "no checksum")",
                    operation: operation)
            }
            return answer.body
        }
    }

    private func listChangedOrAll(
        _ first: String?, _ second: String, nextToken: String?
    ) async throws
        -> SnapshotBlockPage
    {
        guard let first else {
            return try await listSnapshotBlocks(snapshotID: second, nextToken: nextToken, maxResults: Self.maxPageSize)
        }
        return try await listChangedBlocks(
            from: first, to: second, nextToken: nextToken, maxResults: Self.maxPageSize)
    }

    private func get<T: Decodable & Sendable>(
        _ type: T.Type, _ action: String, path: [String], query: [(String, String)]
    ) async throws -> T {
        let operation = "ebs:\(action)"
        let url = try url(path: path, query: query)
        return try await stages.call(operation, method: "GET", url: url) { answer in
            try JSONProtocol.decode(T.self, answer, operation: operation)
        }
    }

    /// The endpoint with `path` and `query`, each name and value percent-encoded as SigV4 canonicalises them.
    private func url(path: [String], query: [(String, String)]) throws -> URL {
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)
        var base = components?.percentEncodedPath ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        components?.percentEncodedPath = base + "/" + path.map { URIEncoding.encode($0) }.joined(separator: "/")
        components?.percentEncodedQuery =
            query.isEmpty
            ? nil : query.map { "\(URIEncoding.encode($0))=\(URIEncoding.encode($1))" }.joined(separator: "&")
        guard let url = components?.url else {
            throw AWSConfigurationError("cannot build an EBS direct API URL on \(endpoint.absoluteString)")
        }
        return url
    }

    private static func pageQuery(_ start: Int?, _ token: String?, _ maxResults: Int?) -> [(String, String)] {
        var query: [(String, String)] = []
        if let maxResults { query.append(("maxResults", String(min(maxResults, maxPageSize)))) }
        if let token { query.append(("pageToken", token)) }
        if let start { query.append(("startingBlockIndex", String(start))) }
        return query
    }
}

/// A ListSnapshotBlocks or ListChangedBlocks answer as AWS sends it.
private struct Listed: Decodable, Sendable {
    struct Entry: Decodable, Sendable {
        var index: Int
        var token: String?
        var secondToken: String?

        enum CodingKeys: String, CodingKey {
            case index = "BlockIndex"
            case token = "BlockToken"
            case secondToken = "SecondBlockToken"
        }
    }

    var blocks: [Entry]?
    var changedBlocks: [Entry]?
    var blockSize: Int?
    var volumeSize: Int?
    var nextToken: String?

    enum CodingKeys: String, CodingKey {
        case blocks = "Blocks"
        case changedBlocks = "ChangedBlocks"
        case blockSize = "BlockSize"
        case volumeSize = "VolumeSize"
        case nextToken = "NextToken"
    }

    /// The page of `entries` (the blocks of one snapshot, or those changed in the second).
    func page(_ entries: [Entry]?) -> SnapshotBlockPage {
        SnapshotBlockPage(
            blocks: (entries ?? []).map { .init(index: $0.index, token: $0.secondToken ?? $0.token) },
            blockSize: blockSize ?? EBSClient.maxBlockBytes, volumeSizeGiB: volumeSize ?? 0,
            nextToken: nextToken.flatMap { $0.isEmpty ? nil : $0 })
    }
}
