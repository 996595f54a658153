import AWSClient
import AWSSigV4
import BlockImport
import Foundation

/// `mtv-block-importer`: copies an EBS snapshot's blocks into a PVC, run by the controller in a pod. Everything
/// comes from the environment, so no key ever shows in the pod's arguments; progress goes to standard output as
/// one JSON object per line (the controller reads the last), problems to standard error.
///
/// - `MTV_SNAPSHOT_ID` (required), `MTV_BASE_SNAPSHOT_ID` (a warm round: only the blocks changed since it)
/// - `MTV_TARGET`: a block device, or a file (`MTV_TARGET_MODE=file`, made sparse at the volume's size)
/// - `MTV_JOURNAL` (default `MTV_TARGET.journal` for a file; required for a device)
/// - `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`; `MTV_EBS_ENDPOINT` overrides
///   `https://ebs.<region>.amazonaws.com`
/// - `MTV_PARALLEL` (fetches at once, 1–64, default 8), `MTV_BATCH` (blocks made durable and journalled together,
///   default 64)
@main
struct BlockImporterCommand {
    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        do {
            let progress = try await run(environment)
            FileHandle.standardError.write(
                Data("imported \(progress.blocksDone) blocks (\(progress.blocksFetched) fetched)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("mtv-block-importer: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ environment: [String: String]) async throws -> BlockImporter.Progress {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let snapshot = value("MTV_SNAPSHOT_ID") else {
            throw ImportError.configuration("MTV_SNAPSHOT_ID is not set")
        }
        guard let targetPath = value("MTV_TARGET") else { throw ImportError.configuration("MTV_TARGET is not set") }
        let file = value("MTV_TARGET_MODE") == "file"
        guard let journalPath = value("MTV_JOURNAL") ?? (file ? targetPath + ".journal" : nil) else {
            throw ImportError.configuration("MTV_JOURNAL is not set; a block device needs a journal path")
        }
        guard let key = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw ImportError.configuration("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set")
        }
        let region = try AWSRegion(value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "")
        let endpoint = try value("MTV_EBS_ENDPOINT").map { try AWSEndpoint.validated($0, source: "MTV_EBS_ENDPOINT") }
        guard let parallel = Int(value("MTV_PARALLEL") ?? "8") else {
            throw ImportError.configuration("MTV_PARALLEL must be a number from 1 to 64")
        }
        guard let batch = Int(value("MTV_BATCH") ?? "64"), batch >= 1 else {
            throw ImportError.configuration("MTV_BATCH must be a number of blocks, at least 1")
        }
        let client = EBSClient(
            region: region,
            credentials: StaticCredentialProvider(
                AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))),
            endpoint: endpoint)
        let importer = BlockImporter(
            client: client,
            options: .init(
                snapshotID: snapshot, baseSnapshotID: value("MTV_BASE_SNAPSHOT_ID"), parallel: parallel, batch: batch),
            journal: ImportJournal(path: journalPath, snapshotID: snapshot))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try await importer.run(open: { try BlockTarget(path: targetPath, imageBytes: file ? $0 : nil) }) {
            progress in
            if let line = try? encoder.encode(progress) {
                FileHandle.standardOutput.write(line + Data("\n".utf8))
            }
        }
    }
}
