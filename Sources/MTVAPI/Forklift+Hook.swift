// Forklift's Hook kind: work a plan runs for a VM before or after its migration.

/// A container image, and optionally an Ansible playbook, run as a Job at one step of a VM's migration.
public struct Hook: KubernetesObject, Equatable {
    public static let resourceType = ResourceType.hooks
    public var apiVersion = "forklift.konveyor.io/v1beta1"
    public var kind = "Hook"
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    /// Creates a hook.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }

    /// What the hook runs.
    public struct Spec: Codable, Sendable, Equatable {
        /// The image of the hook's Job.
        public var image: String?
        /// An Ansible playbook, base64-encoded; when set, the Job runs it with ansible-runner.
        public var playbook: String?
        /// The service account the Job runs as, in the target namespace.
        public var serviceAccount: String?
        /// Seconds the hook may run; 0 or nil for no limit of its own.
        public var deadline: Int64?
        /// An Ansible Automation Platform job template (refused: not run by this controller).
        public var aap: JSONValue?

        /// Creates a spec.
        public init(image: String?, playbook: String? = nil, serviceAccount: String? = nil, deadline: Int64? = nil) {
            self.image = image
            self.playbook = playbook
            self.serviceAccount = serviceAccount
            self.deadline = deadline
        }
    }

    /// Conditions, as upstream's hook controller reports them.
    public struct Status: Codable, Sendable, Equatable {
        public var conditions: [Condition]?
        public var observedGeneration: Int64?
    }

    /// The pipeline step a hook reference runs at.
    public enum Step: String, Sendable, CaseIterable {
        case preHook = "PreHook"
        case postHook = "PostHook"
    }
}
