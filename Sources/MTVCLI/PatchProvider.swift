import AWSClient
import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// `kubectl mtv patch provider NAME`: change region, endpoint, keys or target settings of an EC2 provider.
/// The Secret is edited only when this Provider owns it; the endpoint follows a changed region unless it is custom.
struct PatchProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "provider", abstract: "Change an EC2 provider.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The provider's name.")
    var name: String

    @OptionGroup var ec2: EC2ProviderOptions

    func validate() throws {
        let given = [
            ec2.ec2Region, ec2.url, ec2.username, ec2.targetAccessKeyId, ec2.targetRegion, ec2.targetAz, ec2.cacert,
            ec2.targetKmsKey,
        ]
        guard given.contains(where: { $0 != nil }) || ec2.providerInsecureSkipTls != nil else {
            throw CommonMessages.nothingToChange
        }
    }

    func run() async throws {
        try await global.withClient { client, configuration in
            let provider = try await client.get(Provider.self, name: name, namespace: configuration.namespace)
            guard provider.spec.type == "ec2" else { throw ProviderMessages.notEC2(name, type: provider.spec.type) }
            let secretName = provider.spec.secret.name ?? ""
            let secretNamespace = provider.spec.secret.namespace ?? configuration.namespace
            let secret = try await client.get(Secret.self, name: secretName, namespace: secretNamespace)

            let oldRegion = secret.value("region") ?? ""
            let region = ec2.ec2Region ?? oldRegion
            var secretValues: [String: String] = [:]
            if let newRegion = ec2.ec2Region { secretValues["region"] = newRegion }
            if let username = ec2.username, let password = ec2.password {
                secretValues["accessKeyId"] = username
                secretValues["secretAccessKey"] = password
            }
            if let key = ec2.targetAccessKeyId, let secret = ec2.targetSecretAccessKey {
                secretValues["targetAccessKeyId"] = key
                secretValues["targetSecretAccessKey"] = secret
            }

            var newURL = ec2.url
            if newURL == nil, ec2.ec2Region != nil, let current = provider.spec.url,
                let old = try? AWSRegion(oldRegion), current == old.endpoint(service: "ec2").absoluteString
            {
                newURL = try AWSRegion(region).endpoint(service: "ec2").absoluteString
            }
            if let newURL, secret.value("url") != nil { secretValues["url"] = newURL }
            if let url = newURL ?? provider.spec.url, let endpoint = URL(string: url) {
                try ec2.checkTLS(endpoint: endpoint)
            }
            secretValues.merge(try ec2.tlsSecretValues()) { _, new in new }

            var settings = provider.spec.settings ?? [:]
            if let key = ec2.targetKmsKey { settings["target-kms-key"] = key.isEmpty ? nil : key }
            // a target in the source's region follows a new source region; one in another region (the cluster's)
            // changes only with the target flags
            let follows = ec2.ec2Region != nil && (settings["target-region"] ?? oldRegion) == oldRegion
            if let zoneRegion = ec2.targetRegion ?? ec2.targetAz.map({ String($0.dropLast()) })
                ?? (follows ? region : nil)
            {
                settings["target-region"] = zoneRegion
                let zone =
                    ec2.targetAz ?? settings["target-az"].flatMap { $0.hasPrefix(zoneRegion) ? $0 : nil }
                    ?? "\(zoneRegion)a"
                guard zone.hasPrefix(zoneRegion), zone.count == zoneRegion.count + 1 else {
                    throw ProviderMessages.zoneNotInRegion(zone, region: zoneRegion)
                }
                settings["target-az"] = zone
            }

            if !secretValues.isEmpty {
                guard secret.metadata.ownerReferences?.contains(where: { $0.uid == provider.metadata.uid }) == true
                else {
                    throw ProviderMessages.secretNotOwned(secretName, namespace: secretNamespace, provider: name)
                }
                _ = try await client.update(secret) { secret in
                    var data = secret.data ?? [:]
                    for (key, value) in secretValues {
                        data[key] = key == "ca.crt" && value.isEmpty ? nil : Data(value.utf8).base64EncodedString()
                    }
                    secret.data = data
                }
            }
            _ = try await client.update(Provider.self, name: name, namespace: provider.metadata.namespace) { provider in
                if let newURL { provider.spec.url = newURL }
                provider.spec.settings = settings
            }
            print("provider/\(name) patched")
        }
    }
}
