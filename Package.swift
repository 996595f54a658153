// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "forklift-ec2",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kubectl-mtv", targets: ["kubectl-mtv"]),
        .executable(name: "mtv-controller", targets: ["mtv-controller"]),
        .executable(name: "mtv-bench", targets: ["mtv-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // AWS Signature Version 4, standalone so its known-answer tests pin it.
        .target(
            name: "AWSSigV4",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Backoff with jitter, the one waiting rule of every retry loop (AWS, Kubernetes, work queues).
        .target(name: "Retries"),
        // EC2 and STS over the Query protocol, KMS over JSON and the EBS direct APIs over REST-JSON: credentials,
        // one set of call stages (signing, transport, retries), paginators.
        .target(
            name: "AWSClient",
            dependencies: [
                "AWSSigV4",
                "Retries",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Forklift, KubeVirt and core Kubernetes object types.
        .target(name: "MTVAPI"),
        // An EC2 provider's AWS side resolved from its Secret and settings: regions, endpoints, keys, clients.
        // The controller and the CLI both read providers through it.
        .target(
            name: "EC2Provider",
            dependencies: ["AWSClient", "AWSSigV4", "MTVAPI", .product(name: "Logging", package: "swift-log")]
        ),
        // Kubeconfig, REST verbs, watches and informers against the Kubernetes API.
        .target(
            name: "KubernetesClient",
            dependencies: [
                "MTVAPI",
                "Retries",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The inventory query language (TSL-compatible): parse once, evaluate over JSON-like records.
        .target(name: "InventoryQuery", dependencies: ["MTVAPI"]),
        // EC2 inventory: collector, SQLite store and REST service.
        .target(
            name: "Inventory",
            dependencies: [
                "AWSClient",
                "MTVAPI",
                "InventoryQuery",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        // Pure migration logic: itinerary, builders, sizing, naming, preflight checks.
        .target(name: "MigrationCore", dependencies: ["MTVAPI"]),
        // Reconcilers, the migration runner and its phases, the inventory service, leader election.
        .target(
            name: "MTVController",
            dependencies: [
                "AWSClient",
                "EC2Provider",
                "KubernetesClient",
                "MTVAPI",
                "Inventory",
                "MigrationCore",
                "Retries",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        // The `kubectl mtv` commands.
        .target(
            name: "MTVCLI",
            dependencies: [
                "AWSClient",
                "EC2Provider",
                "KubernetesClient",
                "MTVAPI",
                "InventoryQuery",
                "MigrationCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "kubectl-mtv", dependencies: ["MTVCLI"]),
        .executableTarget(
            name: "mtv-controller",
            dependencies: [
                "MTVController",
                "Inventory",
                "InventoryQuery",
                "KubernetesClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The block-copy data path: an EBS snapshot's blocks into a PVC, resumable, checksummed.
        .target(name: "BlockImport", dependencies: ["AWSClient"]),
        // Run by the controller in a pod with the target PVC attached; configured by its environment only.
        .executableTarget(name: "mtv-block-importer", dependencies: ["BlockImport", "AWSClient", "AWSSigV4"]),
        // Benchmarks that print figures (`make bench`).
        .executableTarget(name: "mtv-bench", dependencies: ["InventoryQuery", "MTVAPI"]),

        // Shared test helpers: the local environment (moto, proxy, fake cluster) and process runners.
        .target(
            name: "TestSupport",
            dependencies: [
                "AWSClient",
                "KubernetesClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "AWSSigV4Tests",
            dependencies: ["AWSSigV4"],
            exclude: ["Fixtures/make-vectors.py"],
            resources: [.copy("Fixtures/sigv4-vectors.json")]
        ),
        .testTarget(
            name: "AWSClientTests",
            dependencies: ["AWSClient", "TestSupport", .product(name: "Hummingbird", package: "hummingbird")]
        ),
        .testTarget(
            name: "KubernetesClientTests", dependencies: ["KubernetesClient", "MTVAPI", "Retries", "TestSupport"]),
        .testTarget(name: "MTVAPITests", dependencies: ["MTVAPI"]),
        .testTarget(name: "BlockImportTests", dependencies: ["BlockImport", "AWSClient", "AWSSigV4", "TestSupport"]),
        .testTarget(name: "MigrationCoreTests", dependencies: ["MigrationCore", "MTVAPI"]),
        .testTarget(name: "InventoryQueryTests", dependencies: ["InventoryQuery", "MTVAPI"]),
        .testTarget(
            name: "InventoryTests",
            dependencies: [
                "Inventory", "AWSClient", "MTVAPI", .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // The migration phases against in-memory EC2 and Kubernetes fakes: no local environment, seconds.
        .testTarget(
            name: "MTVControllerTests",
            dependencies: [
                "MTVController", "AWSClient", "EC2Provider", "Inventory", "KubernetesClient", "MTVAPI", "MigrationCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The CLI's message catalogues and other pieces of MTVCLI that need no cluster: no local environment.
        .testTarget(
            name: "MTVCLITests",
            dependencies: ["MTVCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // The built binaries end to end against the local environment: kubectl mtv, mtv-controller, the upstream CLI.
        .testTarget(name: "EndToEndTests", dependencies: ["MTVCLI", "TestSupport", "KubernetesClient", "MTVAPI"]),
    ]
)
