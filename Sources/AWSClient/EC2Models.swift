import Foundation

// EC2 resource models. Each names its fields once, in `CodingKeys`, with the names of AWS's JSON APIs
// (`InstanceId`, `BlockDeviceMappings`), so the inventory and the CLI show fields as AWS documents them; the Query
// API's XML is read through the same keys (`XMLShape`: lowerCamel, and `xmlPaths` where EC2's XML differs).

/// A resource tag.
public struct Tag: Codable, Sendable, Hashable, XMLShape {
    public var key: String
    public var value: String

    /// Creates a tag.
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case key = "Key"
        case value = "Value"
    }
}

extension Array where Element == Tag {
    /// The value of the tag with this key.
    public subscript(key key: String) -> String? { first { $0.key == key }?.value }
}

/// An instance's lifecycle state (`pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`).
public struct InstanceState: Codable, Sendable, Hashable, XMLShape {
    public var code: Int
    public var name: String

    enum CodingKeys: String, CodingKey {
        case code = "Code"
        case name = "Name"
    }
}

/// Where an instance runs.
public struct Placement: Codable, Sendable, Hashable, XMLShape {
    public var availabilityZone: String?
    public var tenancy: String?

    enum CodingKeys: String, CodingKey {
        case availabilityZone = "AvailabilityZone"
        case tenancy = "Tenancy"
    }
}

/// The cores and threads an instance was launched with.
public struct CpuOptions: Codable, Sendable, Hashable, XMLShape {
    public var coreCount: Int?
    public var threadsPerCore: Int?

    enum CodingKeys: String, CodingKey {
        case coreCount = "CoreCount"
        case threadsPerCore = "ThreadsPerCore"
    }
}

/// One entry of an instance's block device mapping.
public struct InstanceBlockDeviceMapping: Codable, Sendable, Hashable, XMLShape {
    public var deviceName: String
    public var ebs: EBS?

    /// The EBS volume behind a device.
    public struct EBS: Codable, Sendable, Hashable, XMLShape {
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

    enum CodingKeys: String, CodingKey {
        case deviceName = "DeviceName"
        case ebs = "Ebs"
    }
}

/// A network interface attached to an instance.
public struct InstanceNetworkInterface: Codable, Sendable, Hashable, XMLShape {
    public var networkInterfaceID: String
    public var subnetID: String?
    public var vpcID: String?
    public var macAddress: String?
    public var privateIPAddress: String?
    public var privateIPAddresses: [String]
    public var publicIP: String?
    public var deviceIndex: Int?
    public var securityGroupIDs: [String]

    static let xmlPaths = [
        "PrivateIpAddresses": "privateIpAddressesSet/*/privateIpAddress",
        "PublicIp": "association/publicIp",
        "DeviceIndex": "attachment/deviceIndex",
        "SecurityGroupIds": "groupSet/*/groupId",
    ]

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
public struct Instance: Codable, Sendable, Hashable, XMLShape {
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

    /// The Name tag, if the instance has one.
    public var name: String? { tags[key: "Name"] }

    static let xmlPaths = [
        "State": "instanceState",
        "StateReason": "stateReason/code",
        "BlockDeviceMappings": "blockDeviceMapping",
        "NetworkInterfaces": "networkInterfaceSet",
        "PublicIpAddress": "ipAddress",
        "Tags": "tagSet",
    ]

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
public struct InstanceTypeInfo: Codable, Sendable, Hashable, XMLShape {
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

    static let xmlPaths = [
        "DefaultVCpus": "vCpuInfo/defaultVCpus",
        "DefaultCores": "vCpuInfo/defaultCores",
        "DefaultThreadsPerCore": "vCpuInfo/defaultThreadsPerCore",
        "MemorySizeInMiB": "memoryInfo/sizeInMiB",
        "SupportedArchitectures": "processorInfo/supportedArchitectures",
        "InstanceStorageTotalSizeInGB": "instanceStorageInfo/totalSizeInGB",
        "MaximumNetworkInterfaces": "networkInfo/maximumNetworkInterfaces",
    ]

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
public struct Image: Codable, Sendable, Hashable, XMLShape {
    public var imageID: String
    public var name: String?
    public var architecture: String?
    public var platform: String?
    public var platformDetails: String?
    public var bootMode: String?
    public var rootDeviceName: String?
    public var ownerID: String?

    static let xmlPaths = [
        "OwnerId": "imageOwnerId"
    ]

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
public struct InstanceStateChange: Codable, Sendable, Hashable, XMLShape {
    public var instanceID: String
    public var previousState: String
    public var currentState: String

    static let xmlPaths = [
        "PreviousState": "previousState/name",
        "CurrentState": "currentState/name",
    ]

    enum CodingKeys: String, CodingKey {
        case instanceID = "InstanceId"
        case previousState = "PreviousState"
        case currentState = "CurrentState"
    }
}
