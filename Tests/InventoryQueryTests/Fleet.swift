import InventoryQuery
import MTVAPI

/// The acceptance fleet (acceptance/query-cases.md) as inventory records: the EC2 `Instance` shape in PascalCase,
/// plus the fields the inventory derives (`id`, `name`, `powerState`, `labels`, `cpuCount`, `memoryMB`,
/// `platform`, `disks`).
enum Fleet {
    static let unnamedID = "i-0a1b2c3d4e5f60718"

    static let records: [JSONValue] = [
        instance(
            id: "i-0000000000000web1", name: "web-1", type: "t3.medium", running: true, arch: "x86_64",
            windows: false, tags: [("Environment", "production"), ("tier", "web")],
            volumes: [("gp3", 20), ("gp2", 50)], publicIP: "54.1.2.3", zone: "us-east-1a",
            launched: "2024-03-01T10:00:00Z"
        ),
        instance(
            id: "i-0000000000000web2", name: "web-2", type: "t3.medium", running: false, arch: "x86_64",
            windows: false, tags: [("Environment", "staging"), ("tier", "web")],
            volumes: [("gp3", 20)], publicIP: nil, zone: "us-east-1b", launched: "2023-11-15T08:30:00Z"
        ),
        instance(
            id: "i-00000000000000db1", name: "db-1", type: "r5.large", running: true, arch: "x86_64",
            windows: false, tags: [("Environment", "production"), ("tier", "db")],
            volumes: [("gp3", 100), ("io1", 500)], publicIP: nil, zone: "us-east-1a",
            launched: "2024-01-01T00:00:00.500Z"
        ),
        instance(
            id: "i-0000000000000win1", name: "win-1", type: "m5.xlarge", running: false, arch: "x86_64",
            windows: true, tags: [("Environment", "production")],
            volumes: [("gp3", 80)], publicIP: nil, zone: "us-east-1c", launched: "2024-06-30T23:59:59+02:00"
        ),
        instance(
            id: "i-0000000000000arm1", name: "arm-1", type: "c6g.large", running: true, arch: "arm64",
            windows: false, tags: [("Environment", "dev")],
            volumes: [("gp3", 30)], publicIP: "3.4.5.6", zone: "us-east-1b", launched: "2025-02-10T12:00:00Z"
        ),
        instance(
            id: unnamedID, name: nil, type: "t3.micro", running: false, arch: "x86_64",
            windows: false, tags: [], volumes: [("gp2", 8)], publicIP: nil, zone: "us-east-1a",
            launched: "2022-07-04T00:00:00Z"
        ),
    ]

    /// vCPUs and MiB of memory for the fixture's instance types.
    private static let sizes: [String: (cpus: Int, memory: Int)] = [
        "t3.medium": (2, 4096), "r5.large": (2, 16384), "m5.xlarge": (4, 16384), "c6g.large": (2, 4096),
        "t3.micro": (2, 1024),
    ]

    static func instance(
        id: String, name: String?, type: String, running: Bool, arch: String, windows: Bool,
        tags: [(String, String)], volumes: [(type: String, gib: Int)], publicIP: String?, zone: String,
        launched: String
    ) -> JSONValue {
        let allTags = (name.map { [("Name", $0)] } ?? []) + tags
        var labels: [String: JSONValue] = [:]
        for (key, value) in allTags { labels[key] = .string(value) }
        let devices = ["/dev/xvda", "/dev/sdb", "/dev/sdc"]
        let mappings: [JSONValue] = volumes.enumerated().map { offset, _ in
            [
                "DeviceName": .string(devices[offset]),
                "Ebs": [
                    "VolumeId": .string("vol-\(id.dropFirst(2))-\(offset)"), "Status": "attached",
                    "DeleteOnTermination": true,
                ],
            ]
        }
        let disks: [JSONValue] = volumes.enumerated().map { offset, volume in
            [
                "device": .string(devices[offset]), "volumeType": .string(volume.type),
                "capacityGB": .number(Double(volume.gib)),
            ]
        }
        let size = sizes[type]!
        var record: JSONValue = [
            "InstanceId": .string(id),
            "InstanceType": .string(type),
            "State": ["Code": running ? 16 : 80, "Name": running ? "running" : "stopped"],
            "Architecture": .string(arch),
            "PlatformDetails": windows ? "Windows" : "Linux/UNIX",
            "Placement": ["AvailabilityZone": .string(zone), "Tenancy": "default"],
            "PrivateIpAddress": "10.0.0.10",
            "LaunchTime": .string(launched),
            "Tags": .array(allTags.map { ["Key": .string($0.0), "Value": .string($0.1)] }),
            "BlockDeviceMappings": .array(mappings),
            "id": .string(id),
            "name": .string(name ?? id),
            "powerState": running ? "On" : "Off",
            "labels": .object(labels),
            "cpuCount": .number(Double(size.cpus)),
            "memoryMB": .number(Double(size.memory)),
            "platform": windows ? "windows" : "linux",
            "disks": .array(disks),
        ]
        if windows { record["Platform"] = "windows" }
        if let publicIP { record["PublicIpAddress"] = .string(publicIP) }
        return record
    }

    /// The names of the records a query returns, in output order; the unnamed instance reads as "unnamed".
    static func names(_ query: String, in records: [JSONValue] = records) throws -> [String] {
        try Query.parse(query).apply(to: records).map { record in
            let name = record["name"]?.stringValue ?? "?"
            return name == unnamedID ? "unnamed" : name
        }
    }
}
