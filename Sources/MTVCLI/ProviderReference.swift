import MTVAPI

extension Provider {
    /// A reference to this provider for maps and plans.
    var reference: ObjectReference {
        var reference = ObjectReference(name: metadata.name, namespace: metadata.namespace, uid: metadata.uid)
        reference.kind = "Provider"
        reference.apiVersion = apiVersion
        return reference
    }
}
