import Foundation

// EC2 resource models. Each reads its fields from the Query API's XML and encodes with the names of AWS's JSON
// APIs (`InstanceId`, `BlockDeviceMappings`), so the inventory and the CLI show fields as AWS documents them.

/// A resource tag.
public struct Tag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String

    /// Creates a tag.
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    init(xml: XMLNode) {
        self.init(xml.string("key") ?? "", xml.child("value")?.text ?? "")
    }

    enum CodingKeys: String, CodingKey {
        case key = "Key"
        case value = "Value"
    }
}

extension Array where Element == Tag {
    /// The value of the tag with this key.
    public subscript(key key: String) -> String? { first { $0.key == key }?.value }

    init(xml: XMLNode, list: String = "tagSet") {
        self = xml.items(list).map(Tag.init(xml:))
    }
}

/// An instance's lifecycle state (`pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`).
public struct InstanceState: Codable, Sendable, Hashable {
    public var code: Int
    public var name: String

    init(xml: XMLNode) {
        code = xml.int("code") ?? -1
        name = xml.string("name") ?? "unknown"
    }

    enum CodingKeys: String, CodingKey {
        case code = "Code"
        case name = "Name"
    }
}

/// Where an instance runs.
public struct Placement: Codable, Sendable, Hashable {
    public var availabilityZone: String?
    public var tenancy: String?

    init(xml: XMLNode) {
        availabilityZone = xml.string("availabilityZone")
        tenancy = xml.string("tenancy")
    }

    enum CodingKeys: String, CodingKey {
        case availabilityZone = "AvailabilityZone"
        case tenancy = "Tenancy"
    }
}

/// The cores and threads an instance was launched with.
public struct CpuOptions: Codable, Sendable, Hashable {
    public var coreCount: Int?
    public var threadsPerCore: Int?

    init(xml: XMLNode) {
        coreCount = xml.int("coreCount")
        threadsPerCore = xml.int("threadsPerCore")
    }

    enum CodingKeys: String, CodingKey {
        case coreCount = "CoreCount"
        case threadsPerCore = "ThreadsPerCore"
    }
}

/// One entry of an instance's block device mapping.
public struct InstanceBlockDeviceMapping: Codable, Sendable, Hashable {
    public var deviceName: String
    public var ebs: EBS?

    /// The EBS volume behind a device.
    public struct EBS: Codable, Sendable, Hashable {
        public var volumeID: String
        public var status: String?
        public var attachTime: String?
        public var deleteOnTermination: Bool?

        enum CodingKeys: String, CodingKey {
            case volumeID = "VolumeId"
            case status = "Status"
            case attachTime = "AttachTime"
            case deleteOnTermination = "DeleteOnTermination"
        }
    }

    init(xml: XMLNode) {
        deviceName = xml.string("deviceName") ?? ""
        ebs = xml.child("ebs").map {
            EBS(
                volumeID: $0.string("volumeId") ?? "", status: $0.string("status"), attachTime: $0.string("attachTime"),
                deleteOnTermination: $0.bool("deleteOnTermination"))
        }
    }

    enum CodingKeys: String, CodingKey {
        case deviceName = "DeviceName"
        case ebs = "Ebs"
    }
}

/// A network interface attached to an instance.
public struct InstanceNetworkInterface: Codable, Sendable, Hashable {
    public var networkInterfaceID: String
    public var subnetID: String?
    public var vpcID: String?
    public var macAddress: String?
    public var privateIPAddress: String?
    public var privateIPAddresses: [String]
    public var publicIP: String?
    public var deviceIndex: Int?
    public var securityGroupIDs: [String]

    init(xml: XMLNode) {
        networkInterfaceID = xml.string("networkInterfaceId") ?? ""
        subnetID = xml.string("subnetId")
        vpcID = xml.string("vpcId")
        macAddress = xml.string("macAddress")
        privateIPAddress = xml.string("privateIpAddress")
        privateIPAddresses = xml.items("privateIpAddressesSet").compactMap { $0.string("privateIpAddress") }
        publicIP = xml.at("association", "publicIp")?.text
        deviceIndex = xml.child("attachment")?.int("deviceIndex")
        securityGroupIDs = xml.items("groupSet").compactMap { $0.string("groupId") }
    }

    enum CodingKeys: String, CodingKey {
        case networkInterfaceID = "NetworkInterfaceId"
        case subnetID = "SubnetId"
        case vpcID = "VpcId"
        case macAddress = "MacAddress"
        case privateIPAddress = "PrivateIpAddress"
        case privateIPAddresses = "PrivateIpAddresses"
        case publicIP = "PublicIp"
        case deviceIndex = "DeviceIndex"
        case securityGroupIDs = "SecurityGroupIds"
    }
}

/// An EC2 instance, with the fields migration and inventory need.
public struct Instance: Codable, Sendable, Hashable {
    public var instanceID: String
    public var imageID: String?
    public var instanceType: String
    public var state: InstanceState
    public var stateReason: String?
    public var placement: Placement?
    public var architecture: String?
    /// `windows` for Windows instances, absent otherwise.
    public var platform: String?
    public var platformDetails: String?
    public var bootMode: String?
    public var currentInstanceBootMode: String?
    public var cpuOptions: CpuOptions?
    public var rootDeviceName: String?
    public var rootDeviceType: String?
    public var blockDeviceMappings: [InstanceBlockDeviceMapping]
    public var networkInterfaces: [InstanceNetworkInterface]
    public var tags: [Tag]
    public var launchTime: String?
    public var publicIPAddress: String?
    public var privateIPAddress: String?
    public var privateDNSName: String?
    public var subnetID: String?
    public var vpcID: String?
    public var hypervisor: String?
    public var virtualizationType: String?
    public var enaSupport: Bool?
    public var ownerID: String?

    init(xml: XMLNode, ownerID: String?) {
        instanceID = xml.string("instanceId") ?? ""
        imageID = xml.string("imageId")
        instanceType = xml.string("instanceType") ?? ""
        state = xml.child("instanceState").map(InstanceState.init(xml:)) ?? InstanceState(xml: XMLNode(name: ""))
        stateReason = xml.child("stateReason")?.string("code")
        placement = xml.child("placement").map(Placement.init(xml:))
        architecture = xml.string("architecture")
        platform = xml.string("platform")
        platformDetails = xml.string("platformDetails")
        bootMode = xml.string("bootMode")
        currentInstanceBootMode = xml.string("currentInstanceBootMode")
        cpuOptions = xml.child("cpuOptions").map(CpuOptions.init(xml:))
        rootDeviceName = xml.string("rootDeviceName")
        rootDeviceType = xml.string("rootDeviceType")
        blockDeviceMappings = xml.items("blockDeviceMapping").map(InstanceBlockDeviceMapping.init(xml:))
        networkInterfaces = xml.items("networkInterfaceSet").map(InstanceNetworkInterface.init(xml:))
        tags = [Tag](xml: xml)
        launchTime = xml.string("launchTime")
        publicIPAddress = xml.string("ipAddress")
        privateIPAddress = xml.string("privateIpAddress")
        privateDNSName = xml.string("privateDnsName")
        subnetID = xml.string("subnetId")
        vpcID = xml.string("vpcId")
        hypervisor = xml.string("hypervisor")
        virtualizationType = xml.string("virtualizationType")
        enaSupport = xml.bool("enaSupport")
        self.ownerID = ownerID
    }

    /// The Name tag, if the instance has one.
    public var name: String? { tags[key: "Name"] }

    enum CodingKeys: String, CodingKey {
        case instanceID = "InstanceId"
        case imageID = "ImageId"
        case instanceType = "InstanceType"
        case state = "State"
        case stateReason = "StateReason"
        case placement = "Placement"
        case architecture = "Architecture"
        case platform = "Platform"
        case platformDetails = "PlatformDetails"
        case bootMode = "BootMode"
        case currentInstanceBootMode = "CurrentInstanceBootMode"
        case cpuOptions = "CpuOptions"
        case rootDeviceName = "RootDeviceName"
        case rootDeviceType = "RootDeviceType"
        case blockDeviceMappings = "BlockDeviceMappings"
        case networkInterfaces = "NetworkInterfaces"
        case tags = "Tags"
        case launchTime = "LaunchTime"
        case publicIPAddress = "PublicIpAddress"
        case privateIPAddress = "PrivateIpAddress"
        case privateDNSName = "PrivateDnsName"
        case subnetID = "SubnetId"
        case vpcID = "VpcId"
        case hypervisor = "Hypervisor"
        case virtualizationType = "VirtualizationType"
        case enaSupport = "EnaSupport"
        case ownerID = "OwnerId"
    }
}

/// What an instance type offers: vCPUs, memory, architectures, boot modes, instance storage.
public struct InstanceTypeInfo: Codable, Sendable, Hashable {
    public var instanceType: String
    public var defaultVCpus: Int?
    public var defaultCores: Int?
    public var defaultThreadsPerCore: Int?
    public var memorySizeMiB: Int?
    public var architectures: [String]
    public var supportedBootModes: [String]
    public var instanceStorageSupported: Bool?
    public var instanceStorageTotalGB: Int?
    public var maximumNetworkInterfaces: Int?
    public var hypervisor: String?

    init(xml: XMLNode) {
        instanceType = xml.string("instanceType") ?? ""
        defaultVCpus = xml.child("vCpuInfo")?.int("defaultVCpus")
        defaultCores = xml.child("vCpuInfo")?.int("defaultCores")
        defaultThreadsPerCore = xml.child("vCpuInfo")?.int("defaultThreadsPerCore")
        memorySizeMiB = xml.child("memoryInfo")?.int("sizeInMiB")
        architectures = xml.child("processorInfo")?.strings("supportedArchitectures") ?? []
        supportedBootModes = xml.strings("supportedBootModes")
        instanceStorageSupported = xml.bool("instanceStorageSupported")
        instanceStorageTotalGB = xml.child("instanceStorageInfo")?.int("totalSizeInGB")
        maximumNetworkInterfaces = xml.child("networkInfo")?.int("maximumNetworkInterfaces")
        hypervisor = xml.string("hypervisor")
    }

    enum CodingKeys: String, CodingKey {
        case instanceType = "InstanceType"
        case defaultVCpus = "DefaultVCpus"
        case defaultCores = "DefaultCores"
        case defaultThreadsPerCore = "DefaultThreadsPerCore"
        case memorySizeMiB = "MemorySizeInMiB"
        case architectures = "SupportedArchitectures"
        case supportedBootModes = "SupportedBootModes"
        case instanceStorageSupported = "InstanceStorageSupported"
        case instanceStorageTotalGB = "InstanceStorageTotalSizeInGB"
        case maximumNetworkInterfaces = "MaximumNetworkInterfaces"
        case hypervisor = "Hypervisor"
    }
}

/// A machine image, for its boot mode and platform.
public struct Image: Codable, Sendable, Hashable {
    public var imageID: String
    public var name: String?
    public var architecture: String?
    public var platform: String?
    public var platformDetails: String?
    public var bootMode: String?
    public var rootDeviceName: String?
    public var ownerID: String?

    init(xml: XMLNode) {
        imageID = xml.string("imageId") ?? ""
        name = xml.string("name")
        architecture = xml.string("architecture")
        platform = xml.string("platform")
        platformDetails = xml.string("platformDetails")
        bootMode = xml.string("bootMode")
        rootDeviceName = xml.string("rootDeviceName")
        ownerID = xml.string("imageOwnerId")
    }

    enum CodingKeys: String, CodingKey {
        case imageID = "ImageId"
        case name = "Name"
        case architecture = "Architecture"
        case platform = "Platform"
        case platformDetails = "PlatformDetails"
        case bootMode = "BootMode"
        case rootDeviceName = "RootDeviceName"
        case ownerID = "OwnerId"
    }
}

/// A state change reported by StopInstances or StartInstances.
public struct InstanceStateChange: Codable, Sendable, Hashable {
    public var instanceID: String
    public var previousState: String
    public var currentState: String

    init(xml: XMLNode) {
        instanceID = xml.string("instanceId") ?? ""
        previousState = xml.child("previousState")?.string("name") ?? ""
        currentState = xml.child("currentState")?.string("name") ?? ""
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "InstanceId"
        case previousState = "PreviousState"
        case currentState = "CurrentState"
    }
}
