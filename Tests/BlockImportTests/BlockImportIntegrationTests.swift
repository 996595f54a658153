import AWSClient
import AWSSigV4
import BlockImport
import Crypto
import Foundation
import TestSupport
import Testing

/// The EBS direct API client and the importer against the EC2 proxy, whose volumes have content: a copy equals its
/// snapshot, a second round fetches only the changed blocks, a corrupted block is fetched again, and a killed
/// importer resumes without fetching what it wrote.
@Suite(
    "Block import against the EBS direct APIs", .serialized, .skipped(unless: .localEnvironment),
    Requirement.localEnvironment, .integrationTimeLimit)
struct BlockImportIntegrationTests {
    /// A sandbox with a 1 GiB volume of its own (16 allocated blocks) and a snapshot of it.
    struct Disk {
        let sandbox: AWSSandbox
        let ec2: EC2Client
        let ebs: EBSClient
        let volume: String
        let directory: URL

        /// A completed snapshot of the volume as it is now.
        func snapshot() async throws -> String {
            let snapshot = try await ec2.createSnapshot(volumeID: volume)
            try await waitUntil(seconds: 30) {
                try await ec2.describeSnapshots(ids: [snapshot.snapshotID]).first?.state == "completed"
            }
            return snapshot.snapshotID
        }

        /// What the proxy says the snapshot's whole image hashes to.
        func expectedSHA256(_ snapshot: String) async throws -> String {
            let answer = try await ControlAPI.call(
                "GET", sandbox.control.base.appending(path: "snapshots/\(snapshot)/sha256"))
            return try #require((answer as? [String: Any])?["sha256"] as? String)
        }

        /// GetSnapshotBlock calls since the counters were reset.
        func blockCalls() async throws -> Int { try await sandbox.control.calls()["GetSnapshotBlock"] ?? 0 }

        /// An importer of `snapshot` (since `base`) journalling beside `image`.
        func importer(_ snapshot: String, base: String? = nil, image: URL, parallel: Int = 4) -> BlockImporter {
            BlockImporter(
                client: ebs, options: .init(snapshotID: snapshot, baseSnapshotID: base, parallel: parallel),
                journal: ImportJournal(path: image.path + ".journal", snapshotID: snapshot))
        }

        func run(_ importer: BlockImporter, into image: URL) async throws -> BlockImporter.Progress {
            try await importer.run(open: { try BlockTarget(path: image.path, imageBytes: $0) })
        }
    }

    static func withDisk(_ body: (Disk) async throws -> Void) async throws {
        let environment = try #require(LocalEnvironment.current)
        let sandbox = try await AWSSandbox()
        defer { sandbox.stop() }
        let region = try AWSRegion("us-east-1")
        let credentials = StaticCredentialProvider(environment.credentials)
        let ec2 = EC2Client(region: region, credentials: credentials, endpoint: sandbox.url)
        let volume = try await ec2.createVolume(
            CreateVolumeInput(availabilityZone: "us-east-1a", size: 1, volumeType: "gp3"))
        try await waitUntil(seconds: 30) {
            try await ec2.describeVolumes(ids: [volume.volumeID]).first?.state == "available"
        }
        let directory = FileManager.default.temporaryDirectory.appending(path: "blocks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(
            Disk(
                sandbox: sandbox, ec2: ec2,
                ebs: EBSClient(region: region, credentials: credentials, endpoint: sandbox.url),
                volume: volume.volumeID, directory: directory))
    }

    /// The SHA-256 of a file, read in 4 MiB pieces.
    static func sha256(_ file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hash = SHA256()
        while let piece = try handle.read(upToCount: 4 << 20), !piece.isEmpty { hash.update(data: piece) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    @Test("a snapshot copied block by block equals it, and a second round fetches only the blocks written since")
    func fullThenChanged() async throws {
        try await Self.withDisk { disk in
            let first = try await disk.snapshot()
            let listed = try await disk.ebs.blocks(of: first)
            #expect(listed.volumeSizeGiB == 1 && listed.blockSize == 512 * 1024)
            #expect(listed.blocks.count == 16 && listed.blocks.map(\.index) == listed.blocks.map(\.index).sorted())

            let image = disk.directory.appending(path: "disk.img")
            try await disk.sandbox.control.resetCalls()
            let full = try await disk.run(disk.importer(first, image: image), into: image)
            #expect(full.done && full.blocksTotal == 16 && full.blocksFetched == 16)
            #expect(try await disk.blockCalls() == 16)
            #expect(try Self.sha256(image) == (try await disk.expectedSHA256(first)))
            let allocated = try FileManager.default.attributesOfItem(atPath: image.path)[.size] as? Int
            #expect(allocated == 1 << 30, "the image has the volume's size")

            // The guest writes three blocks, one of them new; the next round copies exactly those.
            try await ControlAPI.call(
                "POST", disk.sandbox.control.base.appending(path: "volumes/\(disk.volume)/write"),
                ["blocks": [listed.blocks[3].index, listed.blocks[9].index, 2047]])
            let second = try await disk.snapshot()
            try await disk.sandbox.control.resetCalls()
            let delta = try await disk.run(disk.importer(second, base: first, image: image), into: image)
            #expect(delta.blocksTotal == 3 && delta.blocksFetched == 3)
            #expect(try await disk.blockCalls() == 3)
            #expect(try Self.sha256(image) == (try await disk.expectedSHA256(second)))
        }
    }

    @Test("a block whose data does not match its checksum is fetched again; the copy is still exact")
    func corruptedBlock() async throws {
        try await Self.withDisk { disk in
            let snapshot = try await disk.snapshot()
            try await disk.sandbox.control.armFault([
                "action": "ebs:GetSnapshotBlock", "kind": "corrupt", "count": 2,
            ])
            try await disk.sandbox.control.resetCalls()
            let image = disk.directory.appending(path: "disk.img")
            let progress = try await disk.run(disk.importer(snapshot, image: image, parallel: 1), into: image)
            #expect(progress.blocksFetched == 16)
            #expect(try await disk.blockCalls() == 18, "two blocks fetched twice")
            #expect(try Self.sha256(image) == (try await disk.expectedSHA256(snapshot)))
        }
    }

    @Test("the importer killed mid-copy resumes from its journal; what it wrote is not fetched again")
    func killedImporterResumes() async throws {
        try await Self.withDisk { disk in
            let environment = try #require(LocalEnvironment.current)
            let snapshot = try await disk.snapshot()
            let image = disk.directory.appending(path: "disk.img")
            let binary = ProcessRunner.repositoryRoot.appending(path: ".build/debug/mtv-block-importer").path
            let variables = [
                "MTV_SNAPSHOT_ID": snapshot, "MTV_TARGET": image.path, "MTV_TARGET_MODE": "file",
                "MTV_EBS_ENDPOINT": disk.sandbox.url.absoluteString, "MTV_PARALLEL": "1", "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": environment.credentials.accessKeyID,
                "AWS_SECRET_ACCESS_KEY": environment.credentials.secretAccessKey,
            ]
            // Slow blocks, one at a time, each journalled: the first run is killed after four.
            try await disk.sandbox.control.armFault(["action": "ebs:GetSnapshotBlock", "kind": "latency", "ms": 300])
            let log = disk.directory.appending(path: "first.log").path
            let first = try ManagedProcess(
                [binary], environment: variables.merging(["MTV_BATCH": "1"]) { $1 }, log: log)
            try await waitUntil(seconds: 60) {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return text.contains("\"blocksDone\":4")
            }
            first.crash()
            let journalled = ImportJournal(path: image.path + ".journal", snapshotID: snapshot).completed()
            #expect(journalled.count >= 4 && journalled.count < 16, "\(journalled)")

            try await disk.sandbox.control.clearFaults()
            try await disk.sandbox.control.resetCalls()
            let result = try await ProcessRunner.run([binary], environment: variables)
            #expect(result.status == 0, "\(result.stderr)")
            let last = try #require(result.stdout.split(separator: "\n").last)
            let progress = try JSONDecoder().decode(BlockImporter.Progress.self, from: Data(last.utf8))
            #expect(progress.done && progress.blocksDone == 16)
            #expect(progress.blocksFetched == 16 - journalled.count)
            #expect(try await disk.blockCalls() == 16 - journalled.count)
            #expect(try Self.sha256(image) == (try await disk.expectedSHA256(snapshot)))
            #expect(!result.stdout.contains(environment.credentials.secretAccessKey))
            #expect(!result.stderr.contains(environment.credentials.secretAccessKey))
        }
    }

    @Test("the importer refuses a missing setting by name, and another account's unshared snapshot is not found")
    func refusals() async throws {
        try await Self.withDisk { disk in
            let environment = try #require(LocalEnvironment.current)
            let binary = ProcessRunner.repositoryRoot.appending(path: ".build/debug/mtv-block-importer").path
            let missing = try await ProcessRunner.run([binary], environment: ["MTV_TARGET": "/tmp/x"])
            #expect(missing.status != 0 && missing.stderr.contains("MTV_SNAPSHOT_ID is not set"))

            let snapshot = try await disk.snapshot()
            let stranger = EBSClient(
                region: try AWSRegion("us-east-1"),
                credentials: StaticCredentialProvider(environment.credentials(account: environment.crossAccount)),
                endpoint: disk.sandbox.url)
            let error = await #expect(throws: AWSError.self) { try await stranger.blocks(of: snapshot) }
            #expect(error?.code == "ResourceNotFoundException" && error?.isNotFound == true)
        }
    }
}
