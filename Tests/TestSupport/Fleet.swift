import Foundation

/// The fixture fleet of `shared/acceptance/query-cases.md`, seeded into one moto account by `scripts/seed-fleet`.
public struct Fleet: Sendable {
    /// One seeded instance.
    public struct Instance: Sendable {
        public let name: String
        public let id: String
        public let type: String
        public let subnet: String
        public let volumeIDs: [String]
    }

    /// The moto account the fleet lives in.
    public let account: String
    /// Instances by Name tag (the unnamed one under its instance ID).
    public let instances: [String: Instance]
    public let vpc: String

    /// Seeds the fleet into the environment's isolated account (with that account's IAM user), so this suite
    /// never sees the shared fleet's changes, nor they its.
    public static func seed(in environment: LocalEnvironment) async throws -> Fleet {
        let account = environment.isolatedAccount
        let keys = environment.credentials(account: account)
        let result = try await ProcessRunner.run(
            [
                "scripts/seed-fleet", "--endpoint", environment.awsEndpoint.absoluteString, "--account-id", account,
                "--json",
            ], environment: ["AWS_ACCESS_KEY_ID": keys.accessKeyID, "AWS_SECRET_ACCESS_KEY": keys.secretAccessKey])
        guard result.status == 0, let data = result.stdout.data(using: .utf8),
            let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let instances = root["instances"] as? [String: [String: Any]]
        else {
            throw ControlAPIError(status: Int(result.status), body: result.stderr, url: URL(string: "file:seed-fleet")!)
        }
        var byName: [String: Instance] = [:]
        for (key, value) in instances {
            let volumes = (value["volumes"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            byName[key] = Instance(
                name: key, id: value["id"] as? String ?? "", type: value["type"] as? String ?? "",
                subnet: value["subnet"] as? String ?? "", volumeIDs: volumes)
        }
        let vpc = (root["vpc"] as? String) ?? ((root["vpc"] as? [String: Any])?["id"] as? String) ?? ""
        return Fleet(account: account, instances: byName, vpc: vpc)
    }

    /// The instance with this Name tag.
    public subscript(name: String) -> Instance { instances[name]! }
}
