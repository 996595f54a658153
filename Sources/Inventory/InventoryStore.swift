import Foundation
import GRDB
import MTVAPI

/// The EC2 inventory in SQLite: one table of records keyed by (provider, kind, id), each pass written in one
/// transaction that updates what changed, adds what is new and removes what vanished. Every access is async: GRDB
/// runs it on its own queue, so up to a hundred VM tasks reading at once never block Swift's cooperative threads.
public final class InventoryStore: Sendable {
    private let database: DatabaseQueue

    /// What a pass changed.
    public struct PassSummary: Sendable, Equatable {
        public var added = 0
        public var updated = 0
        public var removed = 0
        public var unchanged = 0
    }

    /// Opens (and migrates) the store at `path`, or an in-memory one.
    public init(path: String? = nil) throws {
        database = try path.map { try DatabaseQueue(path: $0) } ?? DatabaseQueue()
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE record (
                        provider TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
                        revision INTEGER NOT NULL, object TEXT NOT NULL, PRIMARY KEY (provider, kind, id));
                    CREATE INDEX record_by_name ON record (provider, kind, name);
                    CREATE TABLE pass (
                        provider TEXT PRIMARY KEY, revision INTEGER NOT NULL, completed TEXT NOT NULL);
                    """)
        }
        return migrator
    }

    /// Replaces a provider's records of the given kinds with `records`, in one transaction.
    @discardableResult
    public func replace(
        provider: String, records: [InventoryKind: [InventoryRecord]], completed: Date = Date()
    )
        async throws -> PassSummary
    {
        try await database.write { db in
            var summary = PassSummary()
            for (kind, items) in records {
                var existing: [String: (revision: Int, object: String)] = [:]
                for row in try Row.fetchAll(
                    db, sql: "SELECT id, revision, object FROM record WHERE provider = ? AND kind = ?",
                    arguments: [provider, kind.rawValue])
                {
                    existing[row["id"]] = (row["revision"], row["object"])
                }
                var seen = Set<String>()
                for item in items {
                    seen.insert(item.id)
                    let text = String(decoding: item.object.serialized(), as: UTF8.self)
                    if let old = existing[item.id] {
                        guard old.object != text else {
                            summary.unchanged += 1
                            continue
                        }
                        try db.execute(
                            sql:
                                "UPDATE record SET name = ?, revision = ?, object = ? WHERE provider = ? AND kind = ? AND id = ?",
                            arguments: [item.name, old.revision + 1, text, provider, kind.rawValue, item.id])
                        summary.updated += 1
                    } else {
                        try db.execute(
                            sql:
                                "INSERT INTO record (provider, kind, id, name, revision, object) VALUES (?, ?, ?, ?, 1, ?)",
                            arguments: [provider, kind.rawValue, item.id, item.name, text])
                        summary.added += 1
                    }
                }
                for id in existing.keys where !seen.contains(id) {
                    try db.execute(
                        sql: "DELETE FROM record WHERE provider = ? AND kind = ? AND id = ?",
                        arguments: [provider, kind.rawValue, id])
                    summary.removed += 1
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO pass (provider, revision, completed) VALUES (?, 1, ?)
                    ON CONFLICT(provider) DO UPDATE SET revision = revision + 1, completed = excluded.completed
                    """,
                arguments: [provider, ISO8601DateFormatter().string(from: completed)])
            return summary
        }
    }

    /// A provider's records of one kind, by name.
    public func list(provider: String, kind: InventoryKind, name: String? = nil) async throws -> [InventoryRecord] {
        try await database.read { db in
            let rows: [Row]
            if let name {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM record WHERE provider = ? AND kind = ? AND name = ? ORDER BY name, id",
                    arguments: [provider, kind.rawValue, name])
            } else {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM record WHERE provider = ? AND kind = ? ORDER BY name, id",
                    arguments: [provider, kind.rawValue])
            }
            return try rows.map(Self.record)
        }
    }

    /// One record by ID.
    public func get(provider: String, kind: InventoryKind, id: String) async throws -> InventoryRecord? {
        try await database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM record WHERE provider = ? AND kind = ? AND id = ?",
                arguments: [provider, kind.rawValue, id]
            ).map(Self.record)
        }
    }

    /// How many records of each kind a provider has.
    public func counts(provider: String) async throws -> [InventoryKind: Int] {
        try await database.read { db in
            var counts: [InventoryKind: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT kind, COUNT(*) AS n FROM record WHERE provider = ? GROUP BY kind",
                arguments: [provider])
            {
                if let kind = InventoryKind(rawValue: row["kind"]) { counts[kind] = row["n"] }
            }
            return counts
        }
    }

    /// The number of completed passes for a provider (0: never collected).
    public func passes(provider: String) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT revision FROM pass WHERE provider = ?", arguments: [provider]) ?? 0
        }
    }

    /// Forgets a provider.
    public func remove(provider: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM record WHERE provider = ?", arguments: [provider])
            try db.execute(sql: "DELETE FROM pass WHERE provider = ?", arguments: [provider])
        }
    }

    private static func record(_ row: Row) throws -> InventoryRecord {
        let text: String = row["object"]
        return InventoryRecord(
            kind: InventoryKind(rawValue: row["kind"]) ?? .vm, id: row["id"], name: row["name"],
            revision: row["revision"], object: try JSONValue(parsing: Data(text.utf8)))
    }
}
