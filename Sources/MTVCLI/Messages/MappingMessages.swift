import ArgumentParser

/// Messages of the mapping commands and of `--network-pairs` and `--storage-pairs` wherever they are given.
enum MappingMessages {
    /// `create mapping KIND` without the pairs of its kind.
    static func pairsNeeded(_ kind: MappingKind) -> ValidationError {
        ValidationError("a \(kind.rawValue) mapping needs --\(kind.rawValue)-pairs")
    }

    /// Pairs of the other kind on `create mapping`.
    static func pairsOfOtherKind(_ kind: MappingKind) -> ValidationError {
        ValidationError("--\(kind.rawValue)-pairs belongs to \(kind.rawValue) mappings")
    }

    /// Mappings that are not there; no kind means either kind, no namespace means every namespace.
    static func notFound(_ name: String, kind: MappingKind?, namespace: String?) -> CLIError {
        CommonMessages.notFound(
            kind.map { "\($0.rawValue) mapping" } ?? "mapping", [name], in: namespace.map { [$0] } ?? [],
            list: "mappings")
    }

    /// `delete mapping` on a mapping plans still use.
    static func inUse(_ name: String, plans: [String]) -> CLIError {
        CLIError("mapping \(name) is used by plan \(plans.joined(separator: ", ")); delete the plan first")
    }

    /// A pairs flag with no pair in it.
    static func emptyPairs(_ flag: String, example: String) -> CLIError {
        CLIError("\(flag) is empty; give SOURCE:TARGET pairs such as \(example)")
    }

    /// A pairs item without a colon, a source or a target.
    static func notAPair(_ flag: String, item: String, example: String) -> CLIError {
        CLIError("\(flag): '\(item)' is not SOURCE:TARGET (for example \(example))")
    }

    /// A network source that is not one of the provider's subnets.
    static func unknownSubnet(_ source: String, known: [String]) -> CLIError {
        CLIError(
            "--network-pairs: subnet '\(source)' is not in the provider's inventory "
                + "(subnets: \(known.joined(separator: ", ")))")
    }

    /// A network source that names more than one subnet.
    static func ambiguousSubnet(_ source: String) -> CLIError {
        CLIError("--network-pairs: more than one subnet is named '\(source)'; use its subnet ID")
    }

    /// A subnet given twice.
    static func subnetTwice(_ id: String) -> CLIError {
        CLIError("--network-pairs: subnet \(id) is mapped twice")
    }

    /// A network target that is no network reference.
    static func badNetworkTarget(_ target: String) -> CLIError {
        CLIError(
            "--network-pairs: target '\(target)' is not default, ignored, a network attachment name or namespace/name")
    }

    /// A storage source that is no EBS volume type.
    static func notVolumeType(_ source: String, types: [String]) -> CLIError {
        CLIError("--storage-pairs: '\(source)' is not an EBS volume type (\(types.joined(separator: ", ")))")
    }

    /// A volume type given twice.
    static func volumeTypeTwice(_ type: String) -> CLIError {
        CLIError("--storage-pairs: volume type \(type) is mapped twice")
    }

    /// A storage option other than volumeMode or accessMode.
    static func badStorageOption(_ option: String) -> CLIError {
        CLIError(
            "--storage-pairs: option '\(option)' is not volumeMode=Block|Filesystem or "
                + "accessMode=ReadWriteOnce|ReadWriteMany|ReadOnlyMany")
    }

    /// Modes an EBS-backed disk cannot have.
    static func unsupportedModes(_ type: String, storageClass: String, modes: String) -> CLIError {
        CLIError(
            "--storage-pairs: \(type):\(storageClass) asks for \(modes), which cannot be honoured: "
                + "EC2 disks are bound as Block-mode ReadWriteOnce EBS volumes")
    }

    /// A storage class the cluster does not have.
    static func noStorageClass(_ name: String, known: [String]) -> CLIError {
        CLIError("--storage-pairs: storage class '\(name)' does not exist (classes: \(known.joined(separator: ", ")))")
    }

    /// A storage class whose provisioner cannot take EBS volumes.
    static func notEBSClass(_ name: String, provisioner: String, needed: String) -> CLIError {
        CLIError(
            "--storage-pairs: storage class '\(name)' uses provisioner \(provisioner); "
                + "EC2 disks move as EBS volumes, so the class must use \(needed)")
    }

    /// Every entry, with sample arguments, for the catalogue test.
    static var all: [any Error] {
        [
            pairsNeeded(.network), pairsOfOtherKind(.storage), notFound("m", kind: .network, namespace: "ns"),
            inUse("m", plans: ["p"]), emptyPairs("--network-pairs", example: "subnet-0abc:default"),
            notAPair("--storage-pairs", item: "gp3", example: "gp3:gp3-csi"),
            unknownSubnet("subnet-none", known: ["subnet-1"]), ambiguousSubnet("shared"), subnetTwice("subnet-1"),
            badNetworkTarget("a/b/c"), notVolumeType("gp9", types: ["gp3", "gp2"]), volumeTypeTwice("gp3"),
            badStorageOption("volumeMode=Weird"),
            unsupportedModes("gp3", storageClass: "gp3-csi", modes: "volumeMode Filesystem"),
            noStorageClass("no-such-class", known: ["gp3-csi"]),
            notEBSClass("ceph", provisioner: "rbd.csi.ceph.com", needed: "ebs.csi.aws.com"),
        ]
    }
}
