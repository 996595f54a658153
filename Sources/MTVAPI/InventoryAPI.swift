/// The inventory as a Kubernetes aggregated API: its group, version and the APIService that registers it.
public enum InventoryAPI {
    public static let group = "inventory.forklift.konveyor.io"
    public static let version = "v1beta1"
    /// Where its paths start on the API server (and on the controller, which serves them there too).
    public static var prefix: String { "/apis/\(group)/\(version)" }
    /// The APIService's name, `<version>.<group>`.
    public static var apiService: String { "\(version).\(group)" }
}
