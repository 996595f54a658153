import ArgumentParser
import Foundation
import InventoryQuery
import KubernetesClient
import MTVAPI

/// `kubectl mtv get inventory RESOURCE [PROVIDER]`: the EC2 inventory, filtered by a query on the server.
struct GetInventory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "List an EC2 provider's inventory (instances, volumes, networks, …).",
        discussion: """
            RESOURCE is ec2-instance, ec2-volume, ec2-volume-type, ec2-network or ec2-snapshot (plurals and the \
            generic vm, network and storage work too). The query language: [select …] [where …] [order by …] \
            [limit N], e.g. -q "where label.Environment = 'production' order by name".
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "What to list.")
    var resource: String

    @Argument(help: "The provider (or use --provider).")
    var providerArgument: String?

    @Option(name: [.short, .customLong("provider")], help: "The provider.")
    var provider: String?

    @Option(name: [.short, .long], help: "A query: [select …] [where …] [order by …] [limit N].")
    var query: String?

    @Option(name: [.short, .long], help: "Output format: table, json, yaml or markdown.")
    var output: InventoryOutput = .table

    @Flag(name: [.short, .long], help: "Refresh the view every few seconds.")
    var watch = false

    @OptionGroup var inventory: InventoryOptions

    func validate() throws {
        guard InventoryResource(argument: resource) != nil else {
            throw ValidationError(
                "unknown inventory resource '\(resource)'; use one of "
                    + InventoryResource.names.joined(separator: ", "))
        }
        guard (providerArgument == nil) != (provider == nil) else {
            throw ValidationError("name the provider once: as the second argument or with --provider")
        }
    }

    func run() async throws {
        let kind = InventoryResource(argument: resource)!
        let parsed: Query?
        do {
            parsed = try query.map { try Query.parse($0) }
        } catch {
            throw CLIError("invalid query:\n\(error)")
        }
        let providerName = provider ?? providerArgument!
        try await global.withClient { client, configuration in
            let reader = try await InventoryReader.open(
                client: client, configuration: configuration, provider: providerName,
                namespace: configuration.namespace,
                options: inventory)
            repeat {
                let records = try await reader.records(kind.collection, query: query)
                if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                print(render(records, kind: kind, query: parsed, provider: providerName))
                flushOutput()
                if watch { try await Task.sleep(nanoseconds: 3_000_000_000) }
            } while watch
        }
    }

    func render(_ records: [JSONValue], kind: InventoryResource, query: Query?, provider: String) -> String {
        switch output {
        case .json: return Printer.json(.array(records))
        case .yaml: return Printer.yaml(.array(records))
        case .table, .markdown:
            guard !records.isEmpty else { return "No \(kind.noun) found for provider \(provider)." }
            typealias Column = (title: String, value: @Sendable (JSONValue) -> JSONValue?, path: String)
            let selected: [Column]? = query.flatMap { query in
                query.select.isEmpty
                    ? nil : query.select.map { item in (item.column.uppercased(), { item.value(in: $0) }, item.column) }
            }
            let columns: [Column] =
                selected
                ?? kind.columns.map { column in
                    (column.title, { InventoryQuery.value(at: column.path, in: $0) }, column.path)
                }
            let rows = records.map { record in columns.map { kind.cell($0.value(record), path: $0.path) } }
            if output == .markdown {
                let header = "| " + columns.map(\.title).joined(separator: " | ") + " |"
                let rule = "|" + String(repeating: "---|", count: columns.count)
                return ([header, rule] + rows.map { "| " + $0.joined(separator: " | ") + " |" }).joined(separator: "\n")
            }
            var table = TableWriter(columns.map(\.title))
            rows.forEach { table.add($0) }
            return table.render()
        }
    }
}

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
