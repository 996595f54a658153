import BlockImport
import Foundation
import Testing

/// The journal and the target of an import, on real files.
@Suite("Block import: journal and target")
struct ImportJournalTests {
    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appending(path: "import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("a journal returns what it recorded for its snapshot, and ignores other rounds and a torn last line")
    func journal() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appending(path: "journal").path
        let round1 = ImportJournal(path: path, snapshotID: "snap-1")
        #expect(round1.completed().isEmpty, "no journal yet")
        try round1.record([0, 7, 9])
        try round1.record([])
        try round1.record([12])
        let round2 = ImportJournal(path: path, snapshotID: "snap-2")
        try round2.record([7])
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("snap-1 13,14".utf8))  // a crash in the middle of a line
        try handle.close()
        #expect(round1.completed() == [0, 7, 9, 12])
        #expect(round2.completed() == [7])
    }

    @Test("an image file is made sparse at the volume's size and each write lands at its offset")
    func imageTarget() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appending(path: "disk.img").path
        let target = try BlockTarget(path: path, imageBytes: 8 << 20)
        try target.write([UInt8](repeating: 0xAB, count: 4), at: 5 << 20)
        try target.synchronize()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count == 8 << 20)
        #expect(data[(5 << 20)..<((5 << 20) + 4)].allSatisfy { $0 == 0xAB })
        #expect(data[0..<(5 << 20)].allSatisfy { $0 == 0 })
        #expect(throws: ImportError.self) {
            try BlockTarget(path: directory.appending(path: "none/x").path, imageBytes: nil)
        }
    }
}
