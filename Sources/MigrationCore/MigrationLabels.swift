/// Label, annotation and AWS tag keys that tie what a migration creates to its plan, migration and source VM.
public enum MigrationLabels {
    /// The plan's name, on PVCs, conversion pods and VMs (slide 17 selects by it).
    public static let plan = "forklift.konveyor.io/plan"
    /// The plan's UID, so objects of a deleted and recreated plan of the same name are told apart.
    public static let planUID = "forklift.konveyor.io/plan-uid"
    /// The migration's UID: scopes every object and AWS resource to one attempt.
    public static let migrationUID = "forklift.konveyor.io/migration-uid"
    /// The source instance ID (also the slide 16 AWS tag key).
    public static let vmID = "forklift.konveyor.io/vmID"
    /// The source VM's name (AWS tag).
    public static let vmName = "forklift.konveyor.io/vm-name"
    /// The source volume ID (AWS tag on snapshots and new volumes).
    public static let volume = "forklift.konveyor.io/volume"
    /// The snapshot a new volume was made from (AWS tag).
    public static let snapshot = "forklift.konveyor.io/snapshot"
    /// The UID of the cluster's `kube-system` namespace (AWS tag on everything a migration creates), so clusters
    /// that share an AWS account never take each other's resources for their own.
    public static let clusterUID = "forklift.konveyor.io/cluster-uid"
}
