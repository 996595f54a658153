import Foundation
import MTVAPI
import Testing

@testable import AWSClient
@testable import Inventory

@Suite("Inventory records from EC2 objects")
struct InventoryBuilderTests {
    /// Builds an instance the way DescribeInstances would describe it.
    func instance(_ fields: String) throws -> Instance {
        let xml = "<item><instanceId>i-1</instanceId><rootDeviceName>/dev/xvda</rootDeviceName>\(fields)</item>"
        var instance = try shape(Instance.self, xml)
        instance.ownerID = "123"
        return instance
    }

    /// Reads a model from the XML EC2 would answer with.
    func shape<T: Decodable>(_ type: T.Type, _ xml: String) throws -> T {
        try #require(XMLNode.parse(Array(xml.utf8))).decode(T.self)
    }

    @Test(
        "power state follows the instance state",
        arguments: [
            ("running", "On"), ("pending", "On"), ("stopped", "Off"), ("stopping", "Off"), ("terminated", "Off"),
            ("rebooting", "Unknown"),
        ])
    func powerStates(state: String, expected: String) {
        #expect(InventoryBuilder.powerState(state) == expected)
    }

    @Test("a VM record carries AWS fields and the derived ones")
    func vmRecord() throws {
        var pass = InventoryBuilder.Snapshot()
        pass.instances = [
            try instance(
                """
                <instanceType>c6g.large</instanceType><architecture>arm64</architecture>
                <instanceState><code>16</code><name>running</name></instanceState>
                <blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-1</volumeId></ebs></item>
                </blockDeviceMapping>
                <networkInterfaceSet><item><networkInterfaceId>eni-2</networkInterfaceId><attachment><deviceIndex>1</deviceIndex></attachment></item>
                <item><networkInterfaceId>eni-1</networkInterfaceId><macAddress>02:00</macAddress><attachment><deviceIndex>0</deviceIndex></attachment></item>
                </networkInterfaceSet>
                <tagSet><item><key>Environment</key><value>dev</value></item></tagSet>
                """)
        ]
        pass.volumes = [
            try shape(
                Volume.self,
                "<item><volumeId>vol-1</volumeId><size>30</size><volumeType>gp3</volumeType><encrypted>true</encrypted></item>"
            )
        ]
        pass.instanceTypes = [
            try shape(
                InstanceTypeInfo.self,
                "<item><instanceType>c6g.large</instanceType><vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>4096</sizeInMiB></memoryInfo></item>"
            )
        ]
        let vm = try #require(try InventoryBuilder.records(from: pass)[.vm]?.first)
        #expect(vm.name == "i-1", "no Name tag: named by the instance ID")
        let object = vm.object
        #expect(object["InstanceType"] == "c6g.large")
        #expect(object["powerState"] == "On")
        #expect(object["platform"] == "linux")
        #expect(object["labels"] == ["Environment": "dev"])
        #expect(object["cpuCount"] == 2)
        #expect(object["memoryMB"] == 4096)
        #expect(object["disks"]?.arrayValue?.first?["capacityGiB"] == 30)
        #expect(object["disks"]?.arrayValue?.first?["root"] == true)
        #expect(object["nics"]?.arrayValue?.map { $0["networkInterfaceId"] } == ["eni-1", "eni-2"])
        let concerns = object["concerns"]?.arrayValue?.compactMap { $0["label"]?.stringValue } ?? []
        #expect(
            concerns.contains("arm64") && concerns.contains("Encrypted volumes") && concerns.contains("Several NICs"))
    }

    @Test("CpuOptions win over the instance type's default vCPUs")
    func cpuOptions() throws {
        var pass = InventoryBuilder.Snapshot()
        pass.instances = [
            try instance(
                "<instanceType>m5.xlarge</instanceType><cpuOptions><coreCount>1</coreCount><threadsPerCore>1</threadsPerCore></cpuOptions><platformDetails>Windows</platformDetails>"
            )
        ]
        pass.instanceTypes = [
            try shape(
                InstanceTypeInfo.self,
                "<item><instanceType>m5.xlarge</instanceType><vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo></item>"
            )
        ]
        let vm = try #require(try InventoryBuilder.records(from: pass)[.vm]?.first)
        #expect(vm.object["cpuCount"] == 1)
        #expect(vm.object["platform"] == "windows")
    }

    @Test("networks are VPCs and subnets; storages are the EBS types")
    func networksAndStorages() throws {
        var pass = InventoryBuilder.Snapshot()
        pass.vpcs = [try shape(Vpc.self, "<item><vpcId>vpc-1</vpcId></item>")]
        pass.subnets = [
            try shape(
                Subnet.self,
                "<item><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId><tagSet><item><key>Name</key><value>web</value></item></tagSet></item>"
            )
        ]
        let records = try InventoryBuilder.records(from: pass)
        #expect(records[.network]?.map(\.name) == ["vpc-1", "web"])
        #expect(records[.network]?.map { $0.object["networkType"] } == ["vpc", "subnet"])
        #expect(records[.storage]?.map(\.id) == ["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"])
        #expect(records[.zone]?.isEmpty == true)
    }
}
