import Foundation

// Network and placement models: subnets, VPCs and availability zones (see EC2Models.swift).

/// A subnet.
public struct Subnet: Codable, Sendable, Hashable, XMLShape {
    public var subnetID: String
    public var vpcID: String
    public var cidrBlock: String?
    public var availabilityZone: String?
    public var availabilityZoneID: String?
    public var availableIPAddressCount: Int?
    public var defaultForAz: Bool?
    public var mapPublicIPOnLaunch: Bool?
    public var state: String?
    public var tags: [Tag]

    static let xmlPaths = [
        "Tags": "tagSet"
    ]

    enum CodingKeys: String, CodingKey {
        case subnetID = "SubnetId"
        case vpcID = "VpcId"
        case cidrBlock = "CidrBlock"
        case availabilityZone = "AvailabilityZone"
        case availabilityZoneID = "AvailabilityZoneId"
        case availableIPAddressCount = "AvailableIpAddressCount"
        case defaultForAz = "DefaultForAz"
        case mapPublicIPOnLaunch = "MapPublicIpOnLaunch"
        case state = "State"
        case tags = "Tags"
    }
}

/// A VPC.
public struct Vpc: Codable, Sendable, Hashable, XMLShape {
    public var vpcID: String
    public var cidrBlock: String?
    public var isDefault: Bool?
    public var state: String?
    public var tags: [Tag]

    static let xmlPaths = [
        "Tags": "tagSet"
    ]

    enum CodingKeys: String, CodingKey {
        case vpcID = "VpcId"
        case cidrBlock = "CidrBlock"
        case isDefault = "IsDefault"
        case state = "State"
        case tags = "Tags"
    }
}

/// An availability zone of the region.
public struct AvailabilityZone: Codable, Sendable, Hashable, XMLShape {
    public var zoneName: String
    public var zoneID: String?
    public var state: String?
    public var regionName: String?

    static let xmlPaths = [
        "State": "zoneState"
    ]

    enum CodingKeys: String, CodingKey {
        case zoneName = "ZoneName"
        case zoneID = "ZoneId"
        case state = "State"
        case regionName = "RegionName"
    }
}
