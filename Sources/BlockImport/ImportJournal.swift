import Foundation

/// The blocks an import has written and made durable, kept in a small file beside the data so that an importer
/// started again (its pod restarted) skips them. One line per batch: the indexes, comma-separated, for the
/// snapshot the line names; lines of another snapshot (an earlier round) are ignored. A torn last line is ignored.
public struct ImportJournal: Sendable {
    public let path: String
    public let snapshotID: String
    /// The most bytes a journal may hold; a larger one is not read (the import starts over, which is safe).
    public static let maximumBytes = 64 << 20

    /// A journal of `snapshotID`'s import at `path`.
    public init(path: String, snapshotID: String) {
        self.path = path
        self.snapshotID = snapshotID
    }

    /// The block indexes recorded for this snapshot (empty when there is no journal yet).
    public func completed() -> Set<Int> {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: Self.maximumBytes + 1), data.count <= Self.maximumBytes else {
            return []
        }
        var done = Set<Int>()
        let prefix = "\(snapshotID) "
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        where line.hasPrefix(prefix) && line.hasSuffix(";") {
            for item in line.dropFirst(prefix.count).dropLast().split(separator: ",") {
                if let index = Int(item) { done.insert(index) }
            }
        }
        return done
    }

    /// Appends `indexes` and makes the line durable; call it only after the blocks themselves are durable.
    public func record(_ indexes: [Int]) throws {
        guard !indexes.isEmpty else { return }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ImportError.journal("cannot create the journal \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ImportError.journal("cannot open the journal \(path)")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\(snapshotID) \(indexes.map(String.init).joined(separator: ","));\n".utf8))
        try handle.synchronize()
    }
}

/// Why an import stopped, in words a person (or the controller reading the pod's log) can act on.
public enum ImportError: Error, CustomStringConvertible, Equatable {
    case configuration(String)
    case target(String)
    case journal(String)

    public var description: String {
        switch self {
        case .configuration(let message), .target(let message), .journal(let message): message
        }
    }
}
