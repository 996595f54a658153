/// Kubernetes name rules, checked before anything is sent.
enum Names {
    /// Whether `name` is a DNS-1123 subdomain (what object names must be).
    static func isValidObjectName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 253, let first = name.first, let last = name.last,
            first.isLetter || first.isNumber, last.isLetter || last.isNumber
        else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." }
    }

    /// Throws a message naming the rule when `name` breaks it.
    static func check(_ name: String, what: String) throws {
        guard isValidObjectName(name) else {
            throw CommonMessages.invalidName(name, what: what)
        }
    }
}
