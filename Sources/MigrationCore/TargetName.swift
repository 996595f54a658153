/// Target VM names: valid DNS-1123 labels made from the instance's Name tag, unique in the target namespace.
public enum TargetName {
    /// The longest name a VirtualMachine may have (a DNS-1123 label).
    public static let maximumLength = 63

    /// Turns any text into a DNS-1123 label: lower case, runs of other characters become one `-`, no leading or
    /// trailing `-`, at most 63 characters; nil when nothing usable is left.
    public static func sanitize(_ text: String) -> String? {
        var out = ""
        var pendingDash = false
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                if pendingDash, !out.isEmpty { out.append("-") }
                pendingDash = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingDash = true
            }
        }
        while out.count > maximumLength || out.hasSuffix("-") {
            out = String(out.prefix(maximumLength))
            while out.hasSuffix("-") { out.removeLast() }
        }
        return out.isEmpty ? nil : out
    }

    /// Whether `name` already is a valid DNS-1123 label.
    public static func isValid(_ name: String) -> Bool {
        sanitize(name) == name
    }

    /// One name per VM, in order: the requested `targetName` when given (it must be valid), else the sanitized
    /// Name tag, else the instance ID; clashes with `taken` or with each other get `-2`, `-3`, … suffixes.
    public static func assign(
        _ vms: [(id: String, name: String?, targetName: String?)], taken: Set<String>
    ) throws(NamingError)
        -> [String: String]
    {
        var used = taken
        var result: [String: String] = [:]
        for vm in vms {
            if let requested = vm.targetName {
                guard isValid(requested) else {
                    throw NamingError(
                        vmID: vm.id,
                        message: "targetName '\(requested)' is not a valid DNS-1123 label "
                            + "(lower-case letters, digits and '-', at most 63 characters)")
                }
                guard !used.contains(requested) else {
                    throw NamingError(
                        vmID: vm.id, message: "targetName '\(requested)' is already taken in the target namespace")
                }
                used.insert(requested)
                result[vm.id] = requested
                continue
            }
            let base = vm.name.flatMap(sanitize) ?? sanitize(vm.id) ?? "vm"
            var candidate = base
            var counter = 2
            while used.contains(candidate) {
                let suffix = "-\(counter)"
                candidate = String(base.prefix(maximumLength - suffix.count)).trimmingSuffix("-") + suffix
                counter += 1
            }
            used.insert(candidate)
            result[vm.id] = candidate
        }
        return result
    }
}

/// A target name that cannot be used, and why.
public struct NamingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var vmID: String
    public var message: String

    public var description: String { "VM \(vmID): \(message)" }
}
