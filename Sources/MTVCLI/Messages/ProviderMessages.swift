import ArgumentParser

/// Messages of the provider commands, their EC2 flags, provider lookup and `cleanup`.
enum ProviderMessages {
    /// `--type` other than ec2.
    static func unsupportedType(_ type: String) -> ValidationError {
        ValidationError("--type '\(type)' is not supported; this plugin creates ec2 providers")
    }

    /// `--secret` together with keys on the command line.
    static let secretWithKeys = ValidationError("--secret cannot be combined with --username/--password")

    /// `--secret` together with TLS flags that belong in a Secret this command would create.
    static let secretWithTLS = ValidationError(
        "--cacert and --provider-insecure-skip-tls go into the Secret this command creates; "
            + "with --secret, put ca.crt or insecureSkipVerify in that Secret")

    /// Neither keys nor a Secret.
    static let noKeys = ValidationError("give the AWS keys with --username and --password, or an existing --secret")

    /// No `--ec2-region`.
    static let noRegion = ValidationError("--ec2-region is required (for example --ec2-region us-east-1)")

    /// One half of a key pair without the other.
    static func keysGoTogether(_ keyFlag: String, _ secretFlag: String) -> ValidationError {
        ValidationError(
            "\(keyFlag) and \(secretFlag) go together (the access key ID and its secret): give both or neither")
    }

    /// `--cacert @FILE` that cannot be opened.
    static func unreadableCABundle(_ path: String) -> ValidationError {
        ValidationError("--cacert: cannot read \(path)")
    }

    /// TLS flags with an http endpoint.
    static func tlsNeedsHTTPS(_ endpoint: String) -> CLIError {
        CLIError("--cacert and --provider-insecure-skip-tls apply to https endpoints; \(endpoint) is not one")
    }

    /// `--auto-target-credentials` on a cluster without kube-system/aws-creds.
    static let noAutoTargetSecret = CLIError(
        "--auto-target-credentials: secret kube-system/aws-creds does not exist (it exists on "
            + "OpenShift clusters installed on AWS); pass --target-access-key-id and --target-secret-access-key")

    /// `--auto-target-credentials` with a kube-system/aws-creds that lacks a key.
    static let incompleteAutoTargetSecret = CLIError(
        "--auto-target-credentials: kube-system/aws-creds lacks aws_access_key_id or aws_secret_access_key")

    /// `--auto-target-credentials` on a cluster whose workers have no zone label.
    static let noWorkerZone = CLIError(
        "--auto-target-credentials: no worker node has a topology.kubernetes.io/zone label; pass --target-az")

    /// A target zone outside the target region.
    static func zoneNotInRegion(_ zone: String, region: String) -> CLIError {
        CLIError(
            "the target zone \(zone) is not in the target region \(region); pass --target-az with a zone "
                + "of \(region) or a matching --target-region")
    }

    /// `--secret` naming a Secret that is not there.
    static func secretNotFound(_ name: String, namespace: String) -> CLIError {
        CLIError("secret \(namespace)/\(name) does not exist")
    }

    /// A Secret `patch provider` would change that belongs to someone else.
    static func secretNotOwned(_ secret: String, namespace: String, provider: String) -> CLIError {
        CLIError(
            "secret \(namespace)/\(secret) is not owned by provider \(provider); edit it "
                + "directly (kubectl edit secret) or recreate the provider")
    }

    /// Providers that are not there.
    static func notFound(_ names: [String], in namespaces: [String]) -> CLIError {
        CommonMessages.notFound("provider", names, in: namespaces, list: "providers")
    }

    /// A provider reference that is neither `name` nor `namespace/name`.
    static func badReference(_ text: String) -> CLIError {
        CLIError("provider '\(text)' is not a name or namespace/name")
    }

    /// A provider of another type where an ec2 provider is needed.
    static func notEC2(_ name: String, type: String) -> CLIError {
        CLIError("provider '\(name)' is of type \(type), not ec2; name an ec2 provider")
    }

    /// A provider the controller has not marked Ready, with the critical condition when there is one.
    static func notReady(_ name: String, namespace: String, problem: String?) -> CLIError {
        CLIError("provider \(namespace)/\(name) is not ready" + (problem.map { ": \($0)" } ?? " yet"))
    }

    /// A provider without `spec.secret.name`.
    static func noSecret(_ name: String) -> CLIError {
        CLIError("provider \(name) names no Secret (spec.secret.name)")
    }

    /// A provider whose Secret and settings do not resolve to an AWS configuration.
    static func unresolved(_ name: String, _ reason: String) -> CLIError {
        CLIError("provider \(name): \(reason)")
    }

    /// `cleanup` without the cluster's UID.
    static func noClusterUID(_ reason: String) -> CLIError {
        CLIError(
            "cannot read this cluster's UID (the kube-system namespace): \(reason); cleanup needs "
                + "it to tell this cluster's resources from other clusters'")
    }

    /// Every entry, with sample arguments, for the catalogue test.
    static var all: [any Error] {
        [
            unsupportedType("vsphere"), secretWithKeys, secretWithTLS, noKeys, noRegion,
            keysGoTogether("--username", "--password"), unreadableCABundle("/nonexistent/ca.pem"),
            tlsNeedsHTTPS("http://127.0.0.1:9"), noAutoTargetSecret, incompleteAutoTargetSecret, noWorkerZone,
            zoneNotInRegion("us-east-1a", region: "eu-west-1"),
            secretNotFound("s", namespace: "ns"), secretNotOwned("s", namespace: "ns", provider: "p"),
            notFound(["nope"], in: ["ns", "openshift-mtv"]), badReference("a/b/c"), notEC2("v", type: "vsphere"),
            notReady("p", namespace: "ns", problem: "ConnectionTestFailed: AuthFailure"), noSecret("p"),
            unresolved("p", "the Secret has no region"), noClusterUID("forbidden"),
        ]
    }
}
