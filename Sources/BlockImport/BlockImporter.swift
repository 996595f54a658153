import AWSClient
import Foundation

/// Copies the blocks of one EBS snapshot, or only those changed since a base snapshot of the same volume, into a
/// target: never an unallocated block (the target stays sparse), every block checked against its checksum (the
/// client fetches a mismatching one again), a bounded number of fetches in flight, and progress made durable in a
/// journal so that a restarted import skips what it wrote.
public struct BlockImporter: Sendable {
    /// What to import and how.
    public struct Options: Sendable {
        public var snapshotID: String
        /// The snapshot the target already holds (a previous round of a warm migration); nil copies every block.
        public var baseSnapshotID: String?
        /// Blocks fetched at once.
        public var parallel: Int
        /// Blocks made durable and journalled together.
        public var batch: Int

        /// Options for `snapshotID` (since `baseSnapshotID`), 8 fetches at once, a journal line per 64 blocks.
        public init(snapshotID: String, baseSnapshotID: String? = nil, parallel: Int = 8, batch: Int = 64) {
            self.snapshotID = snapshotID
            self.baseSnapshotID = baseSnapshotID
            self.parallel = parallel
            self.batch = batch
        }
    }

    /// How far an import is.
    public struct Progress: Sendable, Codable, Equatable {
        public var blocksDone = 0
        public var blocksTotal = 0
        public var bytesDone: Int64 = 0
        public var bytesTotal: Int64 = 0
        /// Blocks this process fetched from AWS (not those a journal said were done, nor zeroed ones).
        public var blocksFetched = 0
        public var volumeBytes: Int64 = 0
        public var done = false
    }

    let client: EBSClient
    let options: Options
    let journal: ImportJournal

    /// An importer reading through `client`, journalling in `journal`.
    public init(client: EBSClient, options: Options, journal: ImportJournal) {
        self.client = client
        self.options = options
        self.journal = journal
    }

    /// Runs the import into the target `open` gives for the volume's size in bytes; `report` sees the progress after
    /// each batch and at the end.
    public func run(
        open: (Int64) throws -> BlockTarget, report: (Progress) -> Void = { _ in }
    ) async throws -> Progress {
        guard options.parallel >= 1, options.parallel <= 64, options.batch >= 1 else {
            throw ImportError.configuration("parallel must be 1 to 64 and batch at least 1")
        }
        let listing = try await client.blocks(of: options.snapshotID, since: options.baseSnapshotID)
        let blockSize = Int64(listing.blockSize)
        guard blockSize > 0, blockSize <= EBSClient.maxBlockBytes else {
            throw ImportError.configuration("snapshot \(options.snapshotID) has blocks of \(blockSize) bytes")
        }
        var progress = Progress()
        progress.volumeBytes = Int64(listing.volumeSizeGiB) << 30
        let target = try open(progress.volumeBytes)
        let done = journal.completed()
        let todo = listing.blocks.filter { !done.contains($0.index) }
        if let outside = todo.first(where: { $0.index < 0 || Int64($0.index) * blockSize >= progress.volumeBytes }) {
            throw ImportError.configuration(
                "block \(outside.index) of \(options.snapshotID) lies outside its \(listing.volumeSizeGiB) GiB volume")
        }
        progress.blocksTotal = listing.blocks.count
        progress.bytesTotal = Int64(listing.blocks.count) * blockSize
        progress.blocksDone = progress.blocksTotal - todo.count
        progress.bytesDone = Int64(progress.blocksDone) * blockSize
        report(progress)

        var pending: [Int] = []
        try await withThrowingTaskGroup(of: (index: Int, fetched: Bool).self) { group in
            var next = todo.makeIterator()
            func start() {
                guard let block = next.next() else { return }
                group.addTask {
                    let data: [UInt8]
                    if let token = block.token {
                        data = try await fetch(block.index, token: token)
                    } else {
                        data = [UInt8](repeating: 0, count: Int(blockSize))  // gone from the second snapshot
                    }
                    try target.write(data, at: Int64(block.index) * blockSize)
                    return (block.index, block.token != nil)
                }
            }
            for _ in 0..<options.parallel { start() }
            while let finished = try await group.next() {
                pending.append(finished.index)
                if finished.fetched { progress.blocksFetched += 1 }
                progress.blocksDone += 1
                progress.bytesDone += blockSize
                if pending.count >= options.batch {
                    try target.synchronize()
                    try journal.record(pending)
                    pending.removeAll()
                    report(progress)
                }
                start()
            }
        }
        try target.synchronize()
        try journal.record(pending)
        progress.done = true
        report(progress)
        return progress
    }

    /// One block; a token AWS no longer accepts (tokens expire) is listed again once from that block.
    private func fetch(_ index: Int, token: String) async throws -> [UInt8] {
        do {
            return try await client.getSnapshotBlock(snapshotID: options.snapshotID, index: index, token: token)
        } catch let error as AWSError where error.code == "ValidationException" {
            let page =
                options.baseSnapshotID == nil
                ? try await client.listSnapshotBlocks(
                    snapshotID: options.snapshotID, startingBlockIndex: index, maxResults: 100)
                : try await client.listChangedBlocks(
                    from: options.baseSnapshotID, to: options.snapshotID, startingBlockIndex: index, maxResults: 100)
            guard let fresh = page.blocks.first(where: { $0.index == index })?.token, fresh != token else {
                throw error
            }
            return try await client.getSnapshotBlock(snapshotID: options.snapshotID, index: index, token: fresh)
        }
    }
}
