import ArgumentParser
import Foundation
import InventoryQuery
import KubernetesClient
import MTVAPI

/// Output formats of `get inventory`.
enum InventoryOutput: String, ExpressibleByArgument, CaseIterable {
    case table, json, yaml, markdown
}

/// The inventory resources and how they print.
enum InventoryResource {
    case instance, volume, volumeType, network, snapshot

    static let names = ["ec2-instance", "ec2-volume", "ec2-volume-type", "ec2-network", "ec2-snapshot"]

    init?(argument: String) {
        switch argument.lowercased() {
        case "ec2-instance", "ec2-instances", "vm", "vms": self = .instance
        case "ec2-volume", "ec2-volumes": self = .volume
        case "ec2-volume-type", "ec2-volume-types", "storage", "storages": self = .volumeType
        case "ec2-network", "ec2-networks", "network", "networks": self = .network
        case "ec2-snapshot", "ec2-snapshots": self = .snapshot
        default: return nil
        }
    }

    var collection: String {
        switch self {
        case .instance: "vms"
        case .volume: "volumes"
        case .volumeType: "storages"
        case .network: "networks"
        case .snapshot: "snapshots"
        }
    }

    var noun: String {
        switch self {
        case .instance: "EC2 instances"
        case .volume: "EC2 volumes"
        case .volumeType: "EC2 volume types"
        case .network: "EC2 networks"
        case .snapshot: "EC2 snapshots"
        }
    }

    var columns: [(title: String, path: String)] {
        switch self {
        case .instance:
            [
                ("NAME", "name"), ("ID", "id"), ("TYPE", "InstanceType"), ("STATE", "State.Name"),
                ("PLATFORM", "platform"),
                ("AZ", "Placement.AvailabilityZone"), ("PUBLIC-IP", "PublicIpAddress"),
                ("PRIVATE-IP", "PrivateIpAddress"),
            ]
        case .volume:
            [
                ("NAME", "name"), ("ID", "id"), ("SIZE", "Size"), ("TYPE", "VolumeType"), ("STATE", "State"),
                ("IOPS", "Iops"),
                ("THROUGHPUT", "Throughput"), ("ATTACHED-TO", "Attachments[0].InstanceId"),
            ]
        case .volumeType:
            [
                ("TYPE", "type"), ("DESCRIPTION", "description"), ("MAX-IOPS", "maxIOPS"),
                ("MAX-THROUGHPUT", "maxThroughput"),
            ]
        case .network:
            [
                ("NAME", "name"), ("ID", "id"), ("TYPE", "networkType"), ("CIDR", "CidrBlock"),
                ("AZ", "AvailabilityZone"),
                ("VPC", "VpcId"), ("STATE", "State"),
            ]
        case .snapshot:
            [
                ("NAME", "name"), ("ID", "id"), ("SIZE", "VolumeSize"), ("STATE", "State"), ("PROGRESS", "Progress"),
                ("VOLUME-ID", "VolumeId"), ("ENCRYPTED", "Encrypted"),
            ]
        }
    }

    /// A table cell: the value, sizes with their unit, `-` when absent.
    func cell(_ value: JSONValue?, path: String) -> String {
        guard let value, !value.isNull else { return "-" }
        if ["Size", "VolumeSize"].contains(path), let size = value.intValue { return "\(size)Gi" }
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .number: return value.intValue.map(String.init) ?? "\(value.doubleValue ?? 0)"
        case .array(let items):
            return items.map { $0.stringValue ?? String(decoding: $0.serialized(), as: UTF8.self) }.joined(
                separator: ",")
        case .object: return String(decoding: value.serialized(), as: UTF8.self)
        case .null: return "-"
        }
    }
}
