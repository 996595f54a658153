import MTVAPI
import Testing

@testable import MigrationCore

@Suite("Target names")
struct TargetNameTests {
    @Test(
        "Name tags become DNS-1123 labels",
        arguments: [
            ("web-1", "web-1"), ("Web Server #1", "web-server-1"), ("__db__", "db"), ("ÄBC", "bc"),
            (String(repeating: "a", count: 70) + "-b", String(repeating: "a", count: 63)),
        ])
    func sanitize(input: String, expected: String) {
        #expect(TargetName.sanitize(input) == expected)
    }

    @Test("names stay unique in the namespace; an unusable Name tag falls back to the instance ID")
    func uniqueness() throws {
        let names = try TargetName.assign(
            [
                (id: "i-1", name: "web", targetName: nil), (id: "i-2", name: "WEB", targetName: nil),
                (id: "i-3", name: "!!!", targetName: nil), (id: "i-4", name: nil, targetName: "chosen"),
            ], taken: ["web-2"])
        #expect(names == ["i-1": "web", "i-2": "web-3", "i-3": "i-3", "i-4": "chosen"])
    }

    @Test("an invalid or taken targetName is an error naming the VM")
    func invalidTargetName() {
        let invalid = #expect(throws: NamingError.self) {
            try TargetName.assign([(id: "i-1", name: nil, targetName: "Bad_Name")], taken: [])
        }
        #expect(invalid?.description.contains("i-1") == true)
        let taken = #expect(throws: NamingError.self) {
            try TargetName.assign([(id: "i-1", name: nil, targetName: "vm")], taken: ["vm"])
        }
        #expect(taken?.message.contains("already taken") == true)
    }
}

@Suite("Automatic mappings")
struct AutomaticMappingTests {
    let classes = [
        AutomaticMapping.StorageClassInfo(name: "gp3-csi", provisioner: "ebs.csi.aws.com", isDefault: true),
        AutomaticMapping.StorageClassInfo(name: "gp2-csi", provisioner: "ebs.csi.aws.com"),
        AutomaticMapping.StorageClassInfo(name: "ebs-io1", provisioner: "ebs.csi.aws.com"),
        AutomaticMapping.StorageClassInfo(
            name: "ocs-storagecluster-ceph-rbd", provisioner: "openshift-storage.rbd.csi.ceph.com"),
    ]

    @Test("the first used subnet goes to the default network, others to what the user said or ignored")
    func networks() {
        let pairs = AutomaticMapping.networkPairs(
            subnets: ["subnet-a", "subnet-b", "subnet-a", "subnet-c"], first: .init("openshift-mtv/vlan10"),
            others: ["subnet-c": .pod])
        #expect(pairs.map(\.source.id) == ["subnet-a", "subnet-b", "subnet-c"])
        #expect(pairs.map(\.destination.type) == ["multus", "ignored", "pod"])
        #expect(pairs[0].destination.namespace == "openshift-mtv" && pairs[0].destination.name == "vlan10")
        #expect(AutomaticMapping.NetworkTarget("default") == .pod)
    }

    @Test("EBS types map to EBS CSI classes by exact, prefix or token match")
    func storageMatching() throws {
        let pairs = try AutomaticMapping.storagePairs(volumeTypes: ["gp3", "gp2", "io1", "gp3"], classes: classes)
        #expect(pairs.map(\.destination.storageClass) == ["gp3-csi", "gp2-csi", "ebs-io1"])
    }

    @Test("a type without an EBS class is a clear error; a class of another provisioner is refused")
    func storageErrors() {
        let missing = #expect(throws: AutomaticMapping.StorageError.self) {
            try AutomaticMapping.storagePairs(volumeTypes: ["st1"], classes: classes)
        }
        #expect(missing?.message.contains("st1") == true && missing?.message.contains("gp3-csi") == true)
        let foreign = #expect(throws: AutomaticMapping.StorageError.self) {
            try AutomaticMapping.storagePairs(
                volumeTypes: ["gp3"], classes: classes,
                defaultClass: "ocs-storagecluster-ceph-rbd")
        }
        #expect(foreign?.message.contains("ebs.csi.aws.com") == true)
    }

    @Test("a default storage class overrides matching")
    func defaultClass() throws {
        let pairs = try AutomaticMapping.storagePairs(
            volumeTypes: ["gp2", "io1"], classes: classes, defaultClass: "gp3-csi")
        #expect(pairs.map(\.destination.storageClass) == ["gp3-csi", "gp3-csi"])
    }
}
