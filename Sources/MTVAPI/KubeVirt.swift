/// A KubeVirt VirtualMachine. The spec stays JSON: the VM builder writes it whole from typed parts, and readers
/// need only the run strategy and status.
public struct VirtualMachine: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.virtualMachines
    public var apiVersion = "kubevirt.io/v1"
    public var kind = "VirtualMachine"
    public var metadata: ObjectMeta
    public var spec: JSONValue
    public var status: JSONValue?

    /// Creates a VM from its spec.
    public init(metadata: ObjectMeta, spec: JSONValue) {
        self.metadata = metadata
        self.spec = spec
    }

    /// `Always`, `Halted`, `Manual`, `RerunOnFailure`, `Once`.
    public var runStrategy: String? { spec["runStrategy"]?.stringValue }
    /// What `kubectl get vm` shows as STATUS (`Running`, `Stopped`, …).
    public var printableStatus: String? { status?["printableStatus"]?.stringValue }
}
