import ArgumentParser

/// Messages every command shares: output flags, names, key=value flags, the cluster connection.
enum CommonMessages {
    /// `-o` with a format that only tables have.
    static let outputFormat = ValidationError("--output must be yaml or json")

    /// `-o` without `--dry-run` on a command that writes.
    static let outputNeedsDryRun = ValidationError("--output can only be used with --dry-run")

    /// A negative `--wait-timeout`.
    static let negativeWaitTimeout = ValidationError("--wait-timeout cannot be negative")

    /// A patch command given no setting to change.
    static let nothingToChange = ValidationError("nothing to change: give at least one setting (see --help)")

    /// A command that acts on named objects given none, for example `name the plans to start`.
    static func noNames(_ objects: String, verb: String) -> ValidationError {
        ValidationError("name the \(objects) to \(verb)")
    }

    /// A name given both as an argument and with a flag, or not at all.
    static func nameOnce(_ what: String, argument: String = "argument", flag: String = "--name") -> ValidationError {
        ValidationError("give the \(what)'s name once: as the \(argument) or with \(flag)")
    }

    /// A flag whose value the layer below refused, with its reason.
    static func invalidValue(_ flag: String, _ reason: String) -> ValidationError {
        ValidationError("\(flag): \(reason)")
    }

    /// A refusal from the layer below that already names its flag; its text is kept as it is.
    static func invalidInput(_ message: String) -> ValidationError {
        ValidationError(message)
    }

    /// An object name that breaks the Kubernetes name rules.
    static func invalidName(_ name: String, what: String) -> CLIError {
        CLIError(
            "\(what) name '\(name)' is not valid: use lower-case letters, digits, '-' and '.', starting and "
                + "ending with a letter or digit (at most 253 characters)")
    }

    /// An item of a `k=v,k2=v2` flag without `=` or a key.
    static func notKeyValue(_ flag: String, item: String) -> CLIError {
        CLIError("\(flag): '\(item)' is not key=value")
    }

    /// A `k=v,k2=v2` flag with no pair in it.
    static func emptyKeyValues(_ flag: String) -> CLIError {
        CLIError("\(flag) is empty; give key=value pairs")
    }

    /// Objects that are not there, and the command that lists what is; no namespace means every namespace.
    static func notFound(_ what: String, _ names: [String], in namespaces: [String], list: String) -> CLIError {
        let quoted = names.map { "'\($0)'" }.joined(separator: ", ")
        let place = namespaces.isEmpty ? "in any namespace" : "in namespace \(namespaces.joined(separator: " or "))"
        return CLIError("\(what) \(quoted) not found \(place) (see kubectl mtv get \(list))")
    }

    /// An object the command would create that exists already.
    static func alreadyExists(_ what: String, _ name: String, namespace: String) -> CLIError {
        CLIError("\(what) '\(name)' already exists in namespace \(namespace); delete it first or choose another name")
    }

    /// The API server could not be reached at all.
    static func clusterUnreachable(_ reason: String) -> CLIError {
        CLIError("cannot reach the cluster: \(reason)")
    }

    /// The API server refused a request: its message and its reason.
    static func clusterRefused(_ message: String, reason: String) -> CLIError {
        CLIError("\(message) (\(reason))")
    }

    /// An error from the layer below (kubeconfig, endpoint, mapping rules) whose own text says what to do.
    static func passthrough(_ message: String) -> CLIError {
        CLIError(message)
    }

    /// Every entry, with sample arguments, for the catalogue test.
    static var all: [any Error] {
        [
            outputFormat, outputNeedsDryRun, negativeWaitTimeout, nothingToChange, noNames("plans", verb: "start"),
            nameOnce("plan"), invalidValue("--ec2-region", "'mars-north-9' is not an AWS region"),
            invalidInput("--url: 'ftp://x' is not an http(s) URL"), invalidName("Bad_Name", what: "provider"),
            notKeyValue("--target-labels", item: "novalue"), emptyKeyValues("--target-labels"),
            notFound("object", ["o"], in: [], list: "objects"),
            alreadyExists("object", "o", namespace: "ns"), clusterUnreachable("connection refused"),
            clusterRefused("plans is forbidden", reason: "Forbidden"),
            passthrough("the kubeconfig names no current context"),
        ]
    }
}
