import AWSClient
import ArgumentParser

/// The EC2 flags `create provider` and `patch provider` share, with the checks that need no cluster.
struct EC2ProviderOptions: ParsableArguments {
    @Option(help: "The source AWS region, e.g. us-east-1.")
    var ec2Region: String?

    @Option(name: [.customShort("U"), .long], help: "The EC2 endpoint URL (default: from the region).")
    var url: String?

    @Option(name: [.short, .long], help: "The AWS access key ID.")
    var username: String?

    @Option(name: [.short, .long], help: "The AWS secret access key.")
    var password: String?

    @Option(help: "The access key ID of the target account, when it differs from the source.")
    var targetAccessKeyId: String?

    @Option(help: "The secret access key of the target account.")
    var targetSecretAccessKey: String?

    @Option(help: "The region of the cluster's EBS volumes (default: from --target-az or --ec2-region).")
    var targetRegion: String?

    @Option(help: "The availability zone new volumes go to (default: the worker nodes' zone).")
    var targetAz: String?

    func validate() throws {
        if (username == nil) != (password == nil) {
            throw ValidationError("--username and --password go together (the access key ID and its secret)")
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
    }
}
