import AWSClient
import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// Finds the target account's keys and zone on an OpenShift-on-AWS cluster.
enum AutoTarget {
    struct Found {
        var accessKeyID: String
        var secretAccessKey: String
        var zone: String
    }

    static func discover(client: KubernetesClient) async throws -> Found {
        let secret: Secret
        do {
            secret = try await client.get(Secret.self, name: "aws-creds", namespace: "kube-system")
        } catch let error as KubernetesError where error.isNotFound {
            throw ProviderMessages.noAutoTargetSecret
        }
        guard let key = secret.value("aws_access_key_id"), let value = secret.value("aws_secret_access_key") else {
            throw ProviderMessages.incompleteAutoTargetSecret
        }
        guard let zone = try await workerZone(client: client) else {
            throw ProviderMessages.noWorkerZone
        }
        return Found(accessKeyID: key, secretAccessKey: value, zone: zone)
    }

    /// The zone of the first worker node (by name), if any.
    static func workerZone(client: KubernetesClient) async throws -> String? {
        let nodes = try await client.list(
            Node.self, options: ListOptions(labelSelector: "node-role.kubernetes.io/worker"))
        return nodes.items.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }.compactMap(\.zone).first
    }
}
