import Foundation

// Network and placement models: subnets, VPCs and availability zones (see EC2Models.swift).

/// A subnet.
public struct Subnet: Codable, Sendable, Hashable {
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

    init(xml: XMLNode) {
        subnetID = xml.string("subnetId") ?? ""
        vpcID = xml.string("vpcId") ?? ""
        cidrBlock = xml.string("cidrBlock")
        availabilityZone = xml.string("availabilityZone")
        availabilityZoneID = xml.string("availabilityZoneId")
        availableIPAddressCount = xml.int("availableIpAddressCount")
        defaultForAz = xml.bool("defaultForAz")
        mapPublicIPOnLaunch = xml.bool("mapPublicIpOnLaunch")
        state = xml.string("state")
        tags = [Tag](xml: xml)
    }

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
public struct Vpc: Codable, Sendable, Hashable {
    public var vpcID: String
    public var cidrBlock: String?
    public var isDefault: Bool?
    public var state: String?
    public var tags: [Tag]

    init(xml: XMLNode) {
        vpcID = xml.string("vpcId") ?? ""
        cidrBlock = xml.string("cidrBlock")
        isDefault = xml.bool("isDefault")
        state = xml.string("state")
        tags = [Tag](xml: xml)
    }

    enum CodingKeys: String, CodingKey {
        case vpcID = "VpcId"
        case cidrBlock = "CidrBlock"
        case isDefault = "IsDefault"
        case state = "State"
        case tags = "Tags"
    }
}

/// An availability zone of the region.
public struct AvailabilityZone: Codable, Sendable, Hashable {
    public var zoneName: String
    public var zoneID: String?
    public var state: String?
    public var regionName: String?

    init(xml: XMLNode) {
        zoneName = xml.string("zoneName") ?? ""
        zoneID = xml.string("zoneId")
        state = xml.string("zoneState")
        regionName = xml.string("regionName")
    }

    enum CodingKeys: String, CodingKey {
        case zoneName = "ZoneName"
        case zoneID = "ZoneId"
        case state = "State"
        case regionName = "RegionName"
    }
}
