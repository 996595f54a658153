import MTVAPI

/// Encrypted volumes across accounts: the target account creates volumes from the source's snapshots only when it
/// may use their KMS key, and never when AWS manages the key.
extension PlanValidator {
    /// What the reconciler found out about a KMS key that encrypts a plan's volumes.
    public enum KeyAccess: Sendable, Equatable {
        /// The target account may use the key.
        case usable
        /// AWS manages the key for EBS (`alias/aws/ebs`): it cannot be shared with another account.
        case awsManaged
        /// The target account may not use the key, with what KMS answered.
        case notUsable(String)
    }

    /// The encrypted disks of an instance record, with their KMS key (nil when the inventory does not say).
    static func encryptedDisks(_ record: JSONValue) -> [(volume: String, key: String?)] {
        (record["disks"]?.arrayValue ?? []).compactMap { disk in
            guard disk["encrypted"]?.boolValue == true else { return nil }
            return (disk["volumeId"]?.stringValue ?? "", disk["kmsKeyId"]?.stringValue)
        }
    }

    /// The keys of the encrypted volumes of `records` (each once, in order): what the reconciler must look up.
    public static func keysToCheck(_ records: [JSONValue]) -> [String] {
        var keys: [String] = []
        for key in records.flatMap(encryptedDisks).compactMap(\.key) where !keys.contains(key) { keys.append(key) }
        return keys
    }

    func checkKeys(_ record: JSONValue, _ found: inout Findings) {
        guard crossAccount else { return }
        let item = Self.item(record)
        for (volume, key) in Self.encryptedDisks(record) {
            switch key.flatMap({ keys[$0] }) {
            case .usable:
                continue
            case .awsManaged:
                found.critical(
                    "EncryptedVolumeKeyNotShareable", "AWSManagedKey",
                    "volumes encrypted with the AWS-managed key aws/ebs, which AWS never shares with another account: "
                        + "copy their snapshots with a customer-managed key the target account may use, or migrate "
                        + "within one account", item: "\(item): \(volume)")
            case .notUsable(let why):
                found.critical(
                    "EncryptedVolumeKeyNotUsable", "KeyNotShared",
                    "volumes whose KMS key the target account may not use: allow the target account kms:DescribeKey, "
                        + "kms:Decrypt, kms:CreateGrant and kms:ReEncrypt* in the key's policy",
                    item: "\(item): \(volume) (\(key ?? "")): \(why)")
            case nil:
                found.warn(
                    "EncryptedVolumeKey", "KeyNotChecked",
                    "encrypted volumes whose KMS key could not be checked yet: the target account must be allowed to "
                        + "use it (AWS-managed keys cannot be shared)", item: "\(item): \(volume)")
            }
        }
    }
}
