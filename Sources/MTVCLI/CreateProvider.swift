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
            throw ProviderMessages.unsupportedType(type)
        }
        guard (name == nil) != (nameOption == nil) else {
            throw CommonMessages.nameOnce("provider")
        }
        if secret != nil, ec2.username != nil || ec2.password != nil {
            throw ProviderMessages.secretWithKeys
        }
        if secret != nil, ec2.cacert != nil || ec2.providerInsecureSkipTls != nil {
            throw ProviderMessages.secretWithTLS
        }
        if secret == nil, ec2.username == nil {
            throw ProviderMessages.noKeys
        }
        guard let region = ec2.ec2Region, !region.isEmpty else {
            throw ProviderMessages.noRegion
        }
        guard [.yaml, .json].contains(output) else { throw CommonMessages.outputFormat }
        guard waitTimeout >= 0 else { throw CommonMessages.negativeWaitTimeout }
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
            throw CommonMessages.passthrough(error.message)
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
                throw ProviderMessages.zoneNotInRegion(zone, region: zoneRegion)
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
                ].merging(ec2.targetKmsKey.flatMap { $0.isEmpty ? nil : ["target-kms-key": $0] } ?? [:]) { $1 })

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
