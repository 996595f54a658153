import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI
import MigrationCore

/// The kind of a mapping on the command line.
enum MappingKind: String, ExpressibleByArgument, CaseIterable {
    case network, storage

    var resource: ResourceType { self == .network ? .networkMaps : .storageMaps }
    var kindName: String { self == .network ? "NetworkMap" : "StorageMap" }
}
