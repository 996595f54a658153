import Foundation
import KubernetesClient
import MTVAPI
import TestSupport
import Testing

/// Migrations whose volumes are made elsewhere than the instances live: another region, another account, and
/// encrypted volumes whose keys decide whether that may happen.
extension MigrationEndToEndTests {
    /// The cross account's keys as `create provider` flags, with the cluster's worker zone.
    static var crossAccountTarget: [String] {
        let keys = LocalEnvironment.current?.credentials(account: LocalEnvironment.current?.crossAccount ?? "")
        return [
            "--target-access-key-id", keys?.accessKeyID ?? "", "--target-secret-access-key",
            keys?.secretAccessKey ?? "",
        ]
    }

    /// The step of a VM's pipeline called `name`.
    static func step(_ vm: VMStatus, _ name: String) -> PipelineStep? {
        vm.pipeline.first { $0.name == name }
    }

    @Test("instances in us-west-2 move to a cluster in us-east-1: copies carry the disks across, nothing is left")
    func acrossRegions() async throws {
        try await Self.withSandbox(
            stateDelays: "stop=0.5,snapshot=1,volume=0.5,copy=1", region: "us-west-2"
        ) { scenario, sandbox in
            let provider = try await scenario.client.get(Provider.self, name: "my-ec2", namespace: scenario.namespace)
            #expect(provider.spec.settings?["target-region"] == "us-east-1", "the workers' region")
            let id = try #require(sandbox.instances["web-2"])
            let namespace = "\(scenario.namespace)-regions"
            let migration = try await Self.migrate(
                scenario, plan: "across", ["--vms", id, "--target-namespace", namespace])
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration.status))")
            let vm = try #require(migration.status?.vms?.first)
            let copy = try #require(Self.step(vm, "CopySnapshots"))
            #expect(copy.phase == "Completed" && copy.progress.completed == copy.progress.total)
            let copyIDs = Set((copy.tasks ?? []).compactMap { $0.annotations?["copy"] })
            #expect(copyIDs.count == 1)

            let east = try await Self.tagged(sandbox, scenario, id, region: "us-east-1")
            #expect(east.volumes.count == 1, "the new volume is in the cluster's region")
            #expect(east.volumes.allSatisfy { copyIDs.contains($0["SnapshotId"]?.stringValue ?? "") })
            #expect(east.volumes.first?["AvailabilityZone"]?.stringValue?.hasPrefix("us-east-1") == true)
            #expect(east.snapshots.isEmpty, "the copies are deleted")
            let west = try await Self.tagged(sandbox, scenario, id, region: "us-west-2")
            #expect(
                west.snapshots.isEmpty && west.volumes.isEmpty, "the snapshots are deleted, no volume is made there")
            _ = try await Self.vm(scenario, namespace, "web-2")
        }
    }

    @Test("a target account of its own: the snapshots are shared with it, its volumes are made, nothing stays shared")
    func acrossAccounts() async throws {
        let environment = try #require(LocalEnvironment.current)
        let cross = environment.crossAccount
        try await Self.withSandbox(target: Self.crossAccountTarget) { scenario, sandbox in
            let id = try #require(sandbox.instances["web-2"])
            let namespace = "\(scenario.namespace)-accounts"
            let migration = try await Self.migrate(
                scenario, plan: "accounts", ["--vms", id, "--target-namespace", namespace])
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration.status))")
            let vm = try #require(migration.status?.vms?.first)
            #expect(Self.step(vm, "ShareSnapshots")?.phase == "Completed")
            let snapshotIDs = Set(
                (Self.step(vm, "CreateSnapshots")?.tasks ?? []).compactMap { $0.annotations?["snapshot"] })
            #expect(snapshotIDs.count == 1)

            let target = try await Self.tagged(sandbox, scenario, id, account: cross)
            #expect(target.volumes.count == 1, "the volume belongs to the target account")
            #expect(target.volumes.allSatisfy { snapshotIDs.contains($0["SnapshotId"]?.stringValue ?? "") })
            let source = try await Self.tagged(sandbox, scenario, id)
            #expect(source.volumes.isEmpty && source.snapshots.isEmpty, "nothing is made or kept in the source account")
            let restorable = try await Self.aws(
                sandbox, scenario, ["describe-snapshots", "--restorable-by-user-ids", cross], account: cross)
            let shared = (restorable["Snapshots"]?.arrayValue ?? []).filter {
                $0["OwnerId"]?.stringValue != cross
            }
            #expect(shared.isEmpty, "nothing of the source account stays shared with the target: \(shared)")
            _ = try await Self.vm(scenario, namespace, "web-2")
        }
    }

    @Test(
        "across accounts, an AWS-managed or unshared key blocks the plan; a shared one passes and target-kms-key re-encrypts"
    )
    func encryptedAcrossAccounts() async throws {
        let environment = try #require(LocalEnvironment.current)
        let cross = environment.crossAccount
        var keys: (source: String, target: String) = ("", "")
        try await Self.withSandbox(
            target: Self.crossAccountTarget,
            prepare: { sandbox in keys = try await Self.prepareEncryptedInstances(sandbox, crossAccount: cross) }
        ) { scenario, sandbox in
            try await waitUntil(seconds: 30) {
                let listed = try await scenario.inventory("vm", "-p", "my-ec2", "-o", "json")
                return listed.stdout.contains("enc-managed") && listed.stdout.contains("enc-cmk")
            }
            let blocked = try await scenario.mtv(
                "create", "plan", "blocked", "--source", "my-ec2", "--vms", "enc-managed,enc-cmk")
            #expect(blocked.status == 0, "\(blocked.stderr)")
            var conditions: [Condition] = []
            try await waitUntil(seconds: 30) {
                conditions =
                    try await scenario.client.get(Plan.self, name: "blocked", namespace: scenario.namespace).status?
                    .conditions ?? []
                return conditions.contains { $0.type == "EncryptedVolumeKeyNotUsable" }
            }
            let managed = conditions.first { $0.type == "EncryptedVolumeKeyNotShareable" }
            #expect(managed?.category == "Critical" && managed?.items?.first?.contains("enc-managed") == true)
            let unshared = conditions.first { $0.type == "EncryptedVolumeKeyNotUsable" }
            #expect(unshared?.category == "Critical" && unshared?.items?.first?.contains(keys.source) == true)
            #expect(!conditions.contains { $0.type == "Ready" })

            // The key's owner lets the target account use it: a new plan of that VM is Ready and migrates, and the
            // target's own key encrypts the new volume.
            let policy =
                #"{"Version":"2012-10-17","Statement":["#
                + #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},"#
                + #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\#(cross):root"},"Action":["kms:DescribeKey","kms:Decrypt","kms:CreateGrant","kms:ReEncrypt*"],"Resource":"*"}]}"#
            _ = try await Self.aws(
                sandbox, scenario,
                ["put-key-policy", "--key-id", keys.source, "--policy-name", "default", "--policy", policy],
                service: "kms")
            let missing = try await scenario.mtv("patch", "provider", "my-ec2", "--target-kms-key", "alias/missing")
            #expect(missing.status == 0, "\(missing.stderr)")
            let refused = try await scenario.waitFor(provider: "my-ec2", condition: "ConnectionTestFailed")
            let failure = refused.status?.conditions?.first { $0.type == "ConnectionTestFailed" }
            #expect(failure?.reason == "TargetKMSKeyNotUsable" && failure?.message?.contains("alias/missing") == true)
            let patched = try await scenario.mtv("patch", "provider", "my-ec2", "--target-kms-key", keys.target)
            #expect(patched.status == 0, "\(patched.stderr)")
            _ = try await scenario.waitFor(provider: "my-ec2", condition: "Ready")
            let id = try #require(
                try await Self.aws(
                    sandbox, scenario,
                    ["describe-instances", "--filters", "Name=tag:Name,Values=enc-cmk"]
                )["Reservations"]?.arrayValue?.first?["Instances"]?.arrayValue?.first?["InstanceId"]?.stringValue)
            let namespace = "\(scenario.namespace)-keys"
            let migration = try await Self.migrate(
                scenario, plan: "shared-key", ["--vms", "enc-cmk", "--target-namespace", namespace])
            #expect(
                migration.status?.conditions?.isTrue("Succeeded") == true, "\(String(describing: migration.status))")
            let made = try await Self.tagged(sandbox, scenario, id, account: cross)
            #expect(made.volumes.count == 1)
            #expect(made.volumes.first?["Encrypted"] == .bool(true))
            #expect(made.volumes.first?["KmsKeyId"]?.stringValue == keys.target, "\(made.volumes)")
        }
    }

    /// Two instances with an encrypted volume each, `enc-managed` under the AWS-managed EBS key and `enc-cmk` under a
    /// customer-managed key of the source account that the cross account may not use yet, and a key of the cross
    /// account; returns both keys' ARNs.
    static func prepareEncryptedInstances(
        _ sandbox: AWSSandbox, crossAccount: String
    ) async throws -> (source: String, target: String) {
        let environment = try #require(LocalEnvironment.current)
        func cli(_ arguments: [String], service: String = "ec2", account: String? = nil) async throws -> JSONValue {
            var variables = environment.variables
            if let account {
                let keys = environment.credentials(account: account)
                variables["AWS_ACCESS_KEY_ID"] = keys.accessKeyID
                variables["AWS_SECRET_ACCESS_KEY"] = keys.secretAccessKey
            }
            let result = try await sandbox.aws(
                arguments + ["--output", "json"], service: service, environment: variables)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return try JSONValue(parsing: Data(result.stdout.utf8))
        }
        let sourceKey = try #require(
            try await cli(["create-key", "--description", "source data"], service: "kms")[path: ["KeyMetadata", "Arn"]]?
                .stringValue)
        let targetKey = try #require(
            try await cli(["create-key", "--description", "migrated data"], service: "kms", account: crossAccount)[
                path: ["KeyMetadata", "Arn"]]?.stringValue)
        let image = try #require(
            try await cli(["describe-images", "--owners", "amazon"])["Images"]?.arrayValue?.first?["ImageId"]?
                .stringValue)
        for (name, key) in [("enc-managed", nil), ("enc-cmk", sourceKey)] as [(String, String?)] {
            let ebs =
                "{\"VolumeSize\":8,\"VolumeType\":\"gp3\",\"Encrypted\":true"
                + (key.map { ",\"KmsKeyId\":\"\($0)\"" } ?? "") + "}"
            _ = try await cli([
                "run-instances", "--image-id", image, "--instance-type", "t3.micro", "--count", "1",
                "--block-device-mappings", "[{\"DeviceName\":\"/dev/sdf\",\"Ebs\":\(ebs)}]",
                "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=\(name)}]",
            ])
        }
        return (sourceKey, targetKey)
    }
}
