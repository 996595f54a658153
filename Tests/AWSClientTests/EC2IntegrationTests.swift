import AWSSigV4
import Foundation
import TestSupport
import Testing

@testable import AWSClient

/// Every EC2 and STS operation against moto through the EC2 proxy, on the fixture fleet in an account of its own.
/// Serialized: the state-change tests change the proxy's state timings, which are global.
@Suite(
    "EC2 operations on the fixture fleet", .serialized,
    .skipped(unless: .localEnvironment), Requirement.localEnvironment, .integrationTimeLimit)
struct EC2IntegrationTests {
    let environment = LocalEnvironment.current!
    let fleet: Fleet
    let ec2: EC2Client
    let proxy: ProxyControl

    init() async throws {
        fleet = try await Fleet.seed(in: environment)
        ec2 = try environment.ec2(account: fleet.account)
        proxy = ProxyControl(base: environment.proxyControl)
    }

    @Test("DescribeInstances: all, by filter, by ID, with devices, interfaces and tags")
    func describeInstances() async throws {
        let all = try await ec2.describeInstances()
        #expect(Set(all.compactMap(\.name)) == ["web-1", "web-2", "db-1", "win-1", "arm-1"])
        #expect(all.count == 6)

        let web = try await ec2.describeInstances(filters: [.tag("tier", "web")])
        #expect(Set(web.compactMap(\.name)) == ["web-1", "web-2"])

        let db = try #require(try await ec2.describeInstances(ids: [fleet["db-1"].id]).first)
        #expect(db.instanceType == "r5.large")
        #expect(db.state.name == "running")
        #expect(db.blockDeviceMappings.compactMap(\.ebs?.volumeID).sorted() == fleet["db-1"].volumeIDs.sorted())
        #expect(db.networkInterfaces.first?.macAddress != nil)
        #expect(db.networkInterfaces.first?.subnetID == fleet["db-1"].subnet)
        #expect(db.placement?.availabilityZone?.hasPrefix("us-east-1") == true)
        #expect(db.ownerID == fleet.account)

        let windows = try #require(try await ec2.describeInstances(ids: [fleet["win-1"].id]).first)
        #expect(windows.platform == "windows")
        let arm = try #require(try await ec2.describeInstances(ids: [fleet["arm-1"].id]).first)
        #expect(arm.architecture == "arm64")
        #expect(arm.publicIPAddress != nil)
    }

    @Test("a missing instance is a permanent NotFound error naming the call")
    func missingInstance() async throws {
        let error = await #expect(throws: AWSError.self) {
            try await ec2.describeInstances(ids: ["i-0123456789abcdef0"])
        }
        #expect(error?.isNotFound == true)
        #expect(error?.operation == "ec2:DescribeInstances")
    }

    @Test("DescribeInstanceTypes and DescribeImages give sizing and boot data")
    func typesAndImages() async throws {
        let types = try await ec2.describeInstanceTypes(["t3.medium", "r5.large", "c6g.large", "m5.xlarge"])
        let byName = Dictionary(uniqueKeysWithValues: types.map { ($0.instanceType, $0) })
        #expect(byName["t3.medium"]?.defaultVCpus == 2)
        #expect(byName["t3.medium"]?.memorySizeMiB == 4096)
        #expect(byName["r5.large"]?.memorySizeMiB == 16384)
        #expect(byName["m5.xlarge"]?.defaultVCpus == 4)
        #expect(byName["c6g.large"]?.architectures == ["arm64"])
        #expect(byName["m5.xlarge"]?.supportedBootModes.contains("legacy-bios") == true)

        let instances = try await ec2.describeInstances()
        let imageIDs = Array(Set(instances.compactMap(\.imageID)))
        let images = try await ec2.describeImages(ids: imageIDs)
        #expect(Set(images.map(\.imageID)) == Set(imageIDs))
        #expect(images.contains { $0.platform == "windows" })
    }

    @Test("volumes, subnets, VPCs and zones (volume status: see the stub test; moto 5.2.1 lacks it)")
    func describeStorageAndNetwork() async throws {
        let attached = try await ec2.describeVolumes(filters: [EC2Filter("attachment.instance-id", [fleet["db-1"].id])])
        #expect(Set(attached.map(\.volumeType)) == ["gp3", "io1"])
        #expect(attached.first { $0.volumeType == "io1" }?.size == 500)
        #expect(attached.first { $0.volumeType == "io1" }?.iops != nil)

        let subnets = try await ec2.describeSubnets(filters: [EC2Filter("vpc-id", [fleet.vpc])])
        #expect(subnets.count >= 2)
        #expect(Set(subnets.compactMap(\.availabilityZone)).count >= 2)
        let vpcs = try await ec2.describeVpcs(ids: [fleet.vpc])
        #expect(vpcs.map(\.vpcID) == [fleet.vpc])
        let zones = try await ec2.describeAvailabilityZones()
        #expect(zones.map(\.zoneName).contains("us-east-1c"))
    }

    @Test("stop and start an instance; DescribeInstances sees stopping, then stopped")
    func stopAndStart() async throws {
        try await proxy.setTimings(["stop": 3.0])  // long enough to be seen stopping on a loaded machine
        defer { Task { try? await proxy.setTimings(["stop": 0]) } }
        let id = fleet["web-1"].id
        let changes = try await ec2.stopInstances(ids: [id])
        #expect(changes.first?.currentState == "stopping")
        var seen: [String] = []
        try await waitUntil(seconds: 30) {
            seen += try await ec2.describeInstances(ids: [id]).map(\.state.name)
            return seen.last == "stopped"
        }
        #expect(seen.first == "stopping")
        #expect(seen.last == "stopped")
        let started = try await ec2.startInstances(ids: [id])
        #expect(started.first?.previousState == "stopped")
    }

    @Test("CreateSnapshots snapshots every volume at once; tags find them; DescribeSnapshots sees progress")
    func snapshotsOfAnInstance() async throws {
        try await proxy.setTimings(["snapshot": 3.0])  // long enough to be seen pending on a loaded machine
        defer { Task { try? await proxy.setTimings(["snapshot": 0]) } }
        let instance = fleet["web-1"]
        let tags = [Tag("forklift.konveyor.io/vmID", instance.id), Tag("forklift.konveyor.io/migration", "m-1")]
        let created = try await ec2.createSnapshots(
            instanceID: instance.id, tagSpecifications: [TagSpecification(resourceType: "snapshot", tags: tags)])
        #expect(Set(created.compactMap(\.volumeID)) == Set(instance.volumeIDs))

        let byTag = try await ec2.describeSnapshots(filters: [
            .tag("forklift.konveyor.io/vmID", instance.id), EC2Filter("owner-id", [fleet.account]),
        ])
        #expect(Set(byTag.map(\.snapshotID)) == Set(created.map(\.snapshotID)))
        var progress: [Int] = []
        try await waitUntil(seconds: 30) {
            let snapshots = try await ec2.describeSnapshots(ids: created.map(\.snapshotID))
            progress += snapshots.compactMap(\.progressPercent)
            return snapshots.allSatisfy { $0.state == "completed" }
        }
        #expect(progress.contains { $0 < 100 })
        #expect(progress.last == 100)

        for snapshot in created { try await ec2.deleteSnapshot(id: snapshot.snapshotID) }
        let gone = await #expect(throws: AWSError.self) {
            try await ec2.describeSnapshots(ids: [created[0].snapshotID])
        }
        #expect(gone?.isNotFound == true)
    }

    @Test("CreateVolume from a snapshot keeps type and size; the same ClientToken never makes a second volume")
    func createVolumeIdempotent() async throws {
        let source = try #require(
            try await ec2.describeVolumes(ids: fleet["db-1"].volumeIDs).first { $0.volumeType == "io1" })
        let snapshot = try await ec2.createSnapshot(volumeID: source.volumeID, tags: [Tag("purpose", "test")])
        let input = CreateVolumeInput(
            availabilityZone: "us-east-1c", snapshotID: snapshot.snapshotID, size: source.size,
            volumeType: source.volumeType, iops: source.iops, clientToken: "mig-uid-\(source.volumeID)",
            tagSpecifications: [
                TagSpecification(resourceType: "volume", tags: [Tag("forklift.konveyor.io/volume", source.volumeID)])
            ])
        let first = try await ec2.createVolume(input)
        let second = try await ec2.createVolume(input)
        #expect(first.volumeID == second.volumeID)
        #expect(first.volumeType == "io1" && first.size == 500)
        let tagged = try await ec2.describeVolumes(filters: [.tag("forklift.konveyor.io/volume", source.volumeID)])
        #expect(tagged.map(\.volumeID) == [first.volumeID])
        try await waitUntil(seconds: 30) {
            try await ec2.describeVolumes(ids: [first.volumeID]).first?.state == "available"
        }
        try await ec2.deleteVolume(id: first.volumeID)
        let gone = await #expect(throws: AWSError.self) {
            try await waitUntil(seconds: 30) { try await ec2.describeVolumes(ids: [first.volumeID]).isEmpty }
        }
        #expect(gone?.isNotFound == true, "a deleted volume is NotFound")
        try await ec2.deleteSnapshot(id: snapshot.snapshotID)
    }

    @Test("sharing a snapshot with another account, and unsharing it")
    func shareSnapshot() async throws {
        let snapshot = try await ec2.createSnapshot(volumeID: fleet["web-2"].volumeIDs[0])
        try await ec2.modifySnapshotCreateVolumePermission(
            snapshotID: snapshot.snapshotID, operation: .add, accountIDs: ["444455556666"])
        #expect(
            try await ec2.describeSnapshotCreateVolumePermissions(snapshotID: snapshot.snapshotID) == ["444455556666"])
        try await ec2.modifySnapshotCreateVolumePermission(
            snapshotID: snapshot.snapshotID, operation: .remove, accountIDs: ["444455556666"])
        #expect(try await ec2.describeSnapshotCreateVolumePermissions(snapshotID: snapshot.snapshotID).isEmpty)
        let copy = try await ec2.copySnapshot(
            sourceRegion: "us-east-1", sourceSnapshotID: snapshot.snapshotID,
            tags: [Tag("copied", "yes")])
        try await ec2.createTags(resourceIDs: [copy], tags: [Tag("extra", "1")])
        let copied = try #require(try await ec2.describeSnapshots(ids: [copy]).first)
        #expect(copied.tags[key: "copied"] == "yes" && copied.tags[key: "extra"] == "1")
        try await ec2.deleteSnapshot(id: copy)
        try await ec2.deleteSnapshot(id: snapshot.snapshotID)
    }

    @Test("STS GetCallerIdentity reports the account")
    func callerIdentity() async throws {
        let identity = try await environment.sts(account: fleet.account).getCallerIdentity()
        #expect(identity.account == fleet.account)
        #expect(!identity.arn.isEmpty)
    }

    @Test("injected throttling, 500s and connection resets are retried and the call succeeds")
    func transientFaultsRetried() async throws {
        let client = try environment.ec2(account: fleet.account, time: VirtualTimeSource())
        let before = try await proxy.calls(account: fleet.account)["DescribeVpcs"] ?? 0
        try await proxy.armFault([
            "action": "DescribeVpcs", "account": fleet.account, "code": "RequestLimitExceeded",
            "status": 503, "count": 2,
        ])
        try await proxy.armFault([
            "action": "DescribeVpcs", "account": fleet.account, "code": "InternalError",
            "status": 500, "count": 1,
        ])
        try await proxy.armFault(["action": "DescribeVpcs", "account": fleet.account, "kind": "reset", "count": 1])
        let vpcs = try await client.describeVpcs(ids: [fleet.vpc])
        #expect(vpcs.count == 1)
        let after = try await proxy.calls(account: fleet.account)["DescribeVpcs"] ?? 0
        #expect(after - before == 5)
    }

    @Test("UnauthorizedOperation is not retried")
    func permanentNotRetried() async throws {
        let before = try await proxy.calls(account: fleet.account)["StopInstances"] ?? 0
        try await proxy.armFault([
            "action": "StopInstances", "account": fleet.account, "code": "UnauthorizedOperation",
            "status": 403, "count": 1,
        ])
        let error = await #expect(throws: AWSError.self) { try await ec2.stopInstances(ids: [fleet["db-1"].id]) }
        #expect(error?.code == "UnauthorizedOperation")
        #expect((try await proxy.calls(account: fleet.account)["StopInstances"] ?? 0) - before == 1)
    }

    @Test("a CreateVolume whose answer is lost is retried with the same token: still one volume")
    func lostAnswerStillOneVolume() async throws {
        let client = try environment.ec2(account: fleet.account, time: VirtualTimeSource())
        let snapshot = try await ec2.createSnapshot(volumeID: fleet["win-1"].volumeIDs[0])
        try await proxy.armFault([
            "action": "CreateVolume", "account": fleet.account, "code": "InternalError",
            "status": 500, "count": 1, "after": true,
        ])
        let volume = try await client.createVolume(
            CreateVolumeInput(
                availabilityZone: "us-east-1c", snapshotID: snapshot.snapshotID, volumeType: "gp3",
                clientToken: "lost-answer-\(snapshot.snapshotID)",
                tagSpecifications: [TagSpecification(resourceType: "volume", tags: [Tag("lost", snapshot.snapshotID)])])
        )
        let tagged = try await ec2.describeVolumes(filters: [.tag("lost", snapshot.snapshotID)])
        #expect(tagged.map(\.volumeID) == [volume.volumeID])
    }
}
