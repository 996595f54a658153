import AWSClient
import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv create provider`: a Secret with the AWS keys and a Provider that points at it.
struct CreateProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Create an EC2 provider (an AWS account and region).",
        discussion: """
            The provider's Secret holds the AWS keys; it is owned by the Provider and removed with it. The EC2 \
            endpoint follows the region unless --url, AWS_ENDPOINT_URL_EC2 or AWS_ENDPOINT_URL says otherwise.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The provider's name.")
    var name: String?

    @Option(name: [.customLong("name"), .customShort("M")], help: "The provider's name (instead of the argument).")
    var nameOption: String?

    @Option(name: [.short, .long], help: "The provider type; only ec2 is supported.")
    var type: String

    @OptionGroup var ec2: EC2ProviderOptions

    @Option(help: "Use this existing Secret (instead of --username/--password).")
    var secret: String?

    @Flag(help: "Take the target keys from kube-system/aws-creds and the zone from the worker nodes.")
    var autoTargetCredentials = false

    @Flag(help: "Print the objects instead of creating them.")
    var dryRun = false

    @Option(name: [.short, .long], help: "Output format for --dry-run: yaml or json.")
    var output: OutputFormat = .yaml

    @Option(help: "Seconds to wait for the connection test (0: do not wait).")
    var waitTimeout: Double = 20

    func validate() throws {
        guard type == "ec2" else {
            throw ValidationError("--type '\(type)' is not supported; this plugin creates ec2 providers")
        }
        guard (name == nil) != (nameOption == nil) else {
            throw ValidationError("give the provider's name once: as the argument or with --name")
        }
        if secret != nil, ec2.username != nil || ec2.password != nil {
            throw ValidationError("--secret cannot be combined with --username/--password")
        }
        if secret != nil, ec2.cacert != nil || ec2.providerInsecureSkipTls != nil {
            throw ValidationError(
                "--cacert and --provider-insecure-skip-tls go into the Secret this command creates; "
                    + "with --secret, put ca.crt or insecureSkipVerify in that Secret")
        }
        if secret == nil, ec2.username == nil {
            throw ValidationError("give the AWS keys with --username and --password, or an existing --secret")
        }
        guard let region = ec2.ec2Region, !region.isEmpty else {
            throw ValidationError("--ec2-region is required (for example --ec2-region us-east-1)")
        }
        guard [.yaml, .json].contains(output) else { throw ValidationError("--output must be yaml or json") }
        guard waitTimeout >= 0 else { throw ValidationError("--wait-timeout cannot be negative") }
    }

    func run() async throws {
        let providerName = name ?? nameOption!
        try Names.check(providerName, what: "provider")
        let region = try AWSRegion(ec2.ec2Region!)
        let endpoint: URL
        do {
            endpoint = try AWSEndpoint.resolve(
                service: "ec2", region: region, explicit: ec2.url, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CLIError(error.message)
        }
        try ec2.checkTLS(endpoint: endpoint)
        let tlsValues = try ec2.tlsSecretValues()
        try await global.withClient { client, configuration in
            let namespace = configuration.namespace
            var targetKeys = (ec2.targetAccessKeyId, ec2.targetSecretAccessKey)
            var zone = ec2.targetAz
            var zoneRegion = ec2.targetRegion
            if autoTargetCredentials {
                let found = try await AutoTarget.discover(client: client)
                if targetKeys.0 == nil { targetKeys = (found.accessKeyID, found.secretAccessKey) }
                if zone == nil { zone = found.zone }
            } else if zone == nil {
                zone = try? await AutoTarget.workerZone(client: client)
                if let zone {
                    FileHandle.standardError.write(Data("Auto-detected target availability zone: \(zone)\n".utf8))
                }
            }
            if zoneRegion == nil { zoneRegion = zone.map { String($0.dropLast()) } ?? region.name }
            if let zone, let zoneRegion, !(zone.hasPrefix(zoneRegion) && zone.count == zoneRegion.count + 1) {
                throw CLIError(
                    "the target zone \(zone) is not in the target region \(zoneRegion); pass --target-az with a zone "
                        + "of \(zoneRegion) or a matching --target-region")
            }
            if let zoneRegion, zoneRegion != region.name {
                throw CLIError(
                    "the target zone \(zone ?? zoneRegion) is not in the target region \(region.name): volumes are "
                        + "made from snapshots in the provider's region (cross-region is not supported yet); use a "
                        + "zone of \(region.name)")
            }

            let secretObject =
                secret == nil
                ? ProviderObjects.secret(
                    provider: providerName, namespace: namespace, region: region.name, url: endpoint.absoluteString,
                    accessKeyID: ec2.username!, secretAccessKey: ec2.password!,
                    targetKeys: targetKeys.0.map { ($0, targetKeys.1!) },
                    extra: tlsValues)
                : nil
            let provider = ProviderObjects.provider(
                name: providerName, namespace: namespace, url: endpoint.absoluteString,
                secretName: secret ?? "\(providerName)-ec2-credentials",
                settings: [
                    "target-region": zoneRegion ?? region.name, "target-az": zone ?? "\(zoneRegion ?? region.name)a",
                ])

            if dryRun {
                var documents: [JSONValue] = []
                if let secretObject {
                    documents.append(ProviderObjects.redacted(try JSONValue(encoding: secretObject)))
                }
                documents.append(try JSONValue(encoding: provider))
                print(Printer.document(documents, format: output))
                if secretObject != nil {
                    FileHandle.standardError.write(
                        Data("note: the Secret's credentials are redacted in this output\n".utf8))
                }
                return
            }
            try await ProviderObjects.create(
                client: client, provider: provider, secret: secretObject, existingSecret: secret, namespace: namespace)
            print("provider/\(providerName) created")
            if secretObject != nil {
                print("Created secret for provider authentication")
            } else {
                print("Using existing secret '\(secret!)'")
            }
            if waitTimeout > 0 {
                try await ProviderObjects.reportReadiness(
                    client: client, name: providerName, namespace: namespace, timeout: waitTimeout)
            }
        }
    }
}

/// Builds, creates and reports on the objects behind an EC2 provider.
enum ProviderObjects {
    static let labels = ["createdForProviderType": "ec2", "createdForResourceType": "providers"]

    static func secret(
        provider: String, namespace: String, region: String, url: String, accessKeyID: String, secretAccessKey: String,
        targetKeys: (String, String)?, extra: [String: String] = [:]
    ) -> Secret {
        var values = ["region": region, "url": url, "accessKeyId": accessKeyID, "secretAccessKey": secretAccessKey]
            .merging(extra) { old, _ in old }
        if let targetKeys {
            values["targetAccessKeyId"] = targetKeys.0
            values["targetSecretAccessKey"] = targetKeys.1
        }
        var metadata = ObjectMeta(namespace: namespace, labels: labels)
        metadata.generateName = "\(provider)-ec2-"
        return Secret(metadata: metadata, stringData: values)
    }

    static func provider(
        name: String, namespace: String, url: String, secretName: String, settings: [String: String]
    )
        -> Provider
    {
        Provider(
            metadata: ObjectMeta(name: name, namespace: namespace),
            spec: Provider.Spec(
                type: "ec2", url: url, secret: ObjectReference(name: secretName, namespace: namespace),
                settings: settings))
    }

    /// The keys whose values are credentials.
    static let credentialKeys: Set<String> = [
        "accessKeyId", "secretAccessKey", "sessionToken", "targetAccessKeyId", "targetSecretAccessKey",
    ]

    /// The Secret with its credentials replaced, for printing; region and URL stay readable.
    static func redacted(_ secret: JSONValue) -> JSONValue {
        var copy = secret
        for key in ["data", "stringData"] {
            guard let fields = copy[key]?.objectValue else { continue }
            copy[key] = .object(
                Dictionary(
                    uniqueKeysWithValues: fields.map {
                        ($0.key, credentialKeys.contains($0.key) ? "<redacted>" : $0.value)
                    }))
        }
        return copy
    }

    /// Creates the Secret, then the Provider, then makes the Provider own the Secret. If the Provider cannot be
    /// created, the Secret is removed again, so nothing is left half-made.
    static func create(
        client: KubernetesClient, provider: Provider, secret: Secret?, existingSecret: String?, namespace: String
    ) async throws {
        let name = provider.metadata.name ?? ""
        if (try? await client.get(Provider.self, name: name, namespace: namespace)) != nil {
            throw CLIError("provider \(namespace)/\(name) already exists; delete it first or choose another name")
        }
        if let existingSecret {
            do { _ = try await client.get(Secret.self, name: existingSecret, namespace: namespace) } catch let error
                as KubernetesError where error.isNotFound
            {
                throw CLIError("secret \(namespace)/\(existingSecret) does not exist")
            }
        }
        var provider = provider
        var createdSecret: Secret?
        if let secret {
            let made = try await client.create(secret)
            createdSecret = made
            provider.spec.secret.name = made.metadata.name
        }
        let created: Provider
        do {
            created = try await client.create(provider)
        } catch {
            if let createdSecret { try? await client.delete(createdSecret) }
            throw error
        }
        if let createdSecret {
            _ = try await client.update(createdSecret) { secret in
                secret.stringData = nil
                secret.metadata.ownerReferences = [
                    OwnerReference(
                        apiVersion: created.apiVersion, kind: created.kind, name: name, uid: created.metadata.uid ?? "",
                        controller: false, blockOwnerDeletion: false)
                ]
            }
        }
    }

    /// Waits for the controller's connection test and says how it went.
    static func reportReadiness(client: KubernetesClient, name: String, namespace: String, timeout: Double) async throws
    {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let provider = try await client.get(Provider.self, name: name, namespace: namespace)
            let conditions = provider.status?.conditions ?? []
            if conditions.isTrue(ConditionType.ready) {
                print("provider/\(name) is Ready: \(conditions[type: "ConnectionTestSucceeded"]?.message ?? "")")
                return
            }
            if let failed = conditions.first(where: {
                $0.category == Condition.Category.critical && $0.status == "True"
            }) {
                var text = "provider/\(name) is not ready: \(failed.reason ?? failed.type): \(failed.message ?? "")"
                if let suggestion = failed.suggestion { text += " (\(suggestion))" }
                FileHandle.standardError.write(Data((text + "\n").utf8))
                return
            }
            try await Task.sleep(nanoseconds: 300_000_000)
        }
        FileHandle.standardError.write(
            Data(
                "provider/\(name): no connection result within \(Int(timeout))s; is mtv-controller running? (kubectl mtv get provider \(name))\n"
                    .utf8))
    }
}

/// Finds the target account's keys and zone on an OpenShift-on-AWS cluster.
enum AutoTarget {
    struct Found {
        var accessKeyID: String
        var secretAccessKey: String
        var zone: String
    }

    static func discover(client: KubernetesClient) async throws -> Found {
        let secret: Secret
        do {
            secret = try await client.get(Secret.self, name: "aws-creds", namespace: "kube-system")
        } catch let error as KubernetesError where error.isNotFound {
            throw CLIError(
                "--auto-target-credentials: secret kube-system/aws-creds does not exist (it exists on "
                    + "OpenShift clusters installed on AWS); pass --target-access-key-id and --target-secret-access-key"
            )
        }
        guard let key = secret.value("aws_access_key_id"), let value = secret.value("aws_secret_access_key") else {
            throw CLIError(
                "--auto-target-credentials: kube-system/aws-creds lacks aws_access_key_id or aws_secret_access_key")
        }
        guard let zone = try await workerZone(client: client) else {
            throw CLIError(
                "--auto-target-credentials: no worker node has a topology.kubernetes.io/zone label; pass --target-az")
        }
        return Found(accessKeyID: key, secretAccessKey: value, zone: zone)
    }

    /// The zone of the first worker node (by name), if any.
    static func workerZone(client: KubernetesClient) async throws -> String? {
        let nodes = try await client.list(
            Node.self, options: ListOptions(labelSelector: "node-role.kubernetes.io/worker"))
        return nodes.items.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }.compactMap(\.zone).first
    }
}
