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

    @Option(help: "A new source AWS region; the default endpoint follows it.")
    var ec2Region: String?

    @Option(name: [.customShort("U"), .long], help: "A new EC2 endpoint URL.")
    var url: String?

    @Option(name: [.short, .long], help: "A new AWS access key ID.")
    var username: String?

    @Option(name: [.short, .long], help: "A new AWS secret access key.")
    var password: String?

    @Option(help: "A new target-account access key ID.")
    var targetAccessKeyId: String?

    @Option(help: "A new target-account secret access key.")
    var targetSecretAccessKey: String?

    @Option(help: "A new target region (must be the provider's region for now).")
    var targetRegion: String?

    @Option(help: "A new availability zone for new volumes.")
    var targetAz: String?

    func validate() throws {
        if (username == nil) != (password == nil) {
            throw ValidationError("--username and --password go together")
        }
        if (targetAccessKeyId == nil) != (targetSecretAccessKey == nil) {
            throw ValidationError("--target-access-key-id and --target-secret-access-key go together")
        }
        for (flag, value) in [("--ec2-region", ec2Region), ("--target-region", targetRegion)] {
            if let value {
                do { _ = try AWSRegion(value) } catch { throw ValidationError("\(flag): \(error.message)") }
            }
        }
        if let url {
            do { _ = try AWSEndpoint.validated(url, source: "--url") } catch { throw ValidationError(error.message) }
        }
        guard [ec2Region, url, username, targetAccessKeyId, targetRegion, targetAz].contains(where: { $0 != nil }) else {
            throw ValidationError("nothing to change: give at least one of the flags (see --help)")
        }
    }

    func run() async throws {
        try await global.withClient { client, configuration in
            let provider = try await client.get(Provider.self, name: name, namespace: configuration.namespace)
            guard provider.spec.type == "ec2" else { throw CLIError("provider \(name) is not an ec2 provider") }
            let secretName = provider.spec.secret.name ?? ""
            let secretNamespace = provider.spec.secret.namespace ?? configuration.namespace
            let secret = try await client.get(Secret.self, name: secretName, namespace: secretNamespace)

            let oldRegion = secret.value("region") ?? ""
            let region = ec2Region ?? oldRegion
            var secretValues: [String: String] = [:]
            if let ec2Region { secretValues["region"] = ec2Region }
            if let username, let password {
                secretValues["accessKeyId"] = username
                secretValues["secretAccessKey"] = password
            }
            if let targetAccessKeyId, let targetSecretAccessKey {
                secretValues["targetAccessKeyId"] = targetAccessKeyId
                secretValues["targetSecretAccessKey"] = targetSecretAccessKey
            }

            var newURL = url
            if newURL == nil, ec2Region != nil, let current = provider.spec.url,
                let old = try? AWSRegion(oldRegion), current == old.endpoint(service: "ec2").absoluteString
            {
                newURL = try AWSRegion(region).endpoint(service: "ec2").absoluteString
            }
            if let newURL, secret.value("url") != nil { secretValues["url"] = newURL }

            var settings = provider.spec.settings ?? [:]
            let zoneRegion = targetRegion ?? targetAz.map { String($0.dropLast()) } ?? (ec2Region != nil ? region : nil)
            if let zoneRegion {
                guard zoneRegion == region else {
                    throw CLIError("the target region \(zoneRegion) differs from the provider's region \(region); "
                        + "cross-region is not supported yet")
                }
                settings["target-region"] = zoneRegion
                let zone = targetAz ?? settings["target-az"].flatMap { $0.hasPrefix(zoneRegion) ? $0 : nil } ?? "\(zoneRegion)a"
                guard zone.hasPrefix(zoneRegion), zone.count == zoneRegion.count + 1 else {
                    throw CLIError("the target zone \(zone) is not in the target region \(zoneRegion)")
                }
                settings["target-az"] = zone
            }

            if !secretValues.isEmpty {
                guard secret.metadata.ownerReferences?.contains(where: { $0.uid == provider.metadata.uid }) == true else {
                    throw CLIError("secret \(secretNamespace)/\(secretName) is not owned by provider \(name); edit it "
                        + "directly (kubectl edit secret) or recreate the provider")
                }
                _ = try await client.update(secret) { secret in
                    var data = secret.data ?? [:]
                    for (key, value) in secretValues { data[key] = Data(value.utf8).base64EncodedString() }
                    secret.data = data
                }
            }
            _ = try await client.update(provider) { provider in
                if let newURL { provider.spec.url = newURL }
                provider.spec.settings = settings
            }
            print("provider/\(name) patched")
        }
    }
}
