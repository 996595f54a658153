import AWSClient
import Inventory
import KubernetesClient
import MigrationCore

/// The version string the controller reports.
public let controllerVersion = "0.1.0"
