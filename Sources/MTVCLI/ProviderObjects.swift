import AWSClient
import ArgumentParser
import Foundation
import KubernetesClient
import MTVAPI

/// Builds, creates and reports on the objects behind an EC2 provider.
enum ProviderObjects {
    static let labels = ["createdForProviderType": "ec2", "createdForResourceType": "providers"]

    static func secret(
        provider: String, namespace: String, region: String, url: String, accessKeyID: String, secretAccessKey: String,
        targetKeys: (String, String)?, extra: [String: String] = [:]
    ) -> Secret {
        var values = ["region": region, "url": url, "accessKeyId": accessKeyID, "secretAccessKey": secretAccessKey]
            .merging(extra) { old, _ in old }
        if let targetKeys {
            values["targetAccessKeyId"] = targetKeys.0
            values["targetSecretAccessKey"] = targetKeys.1
        }
        var metadata = ObjectMeta(namespace: namespace, labels: labels)
        metadata.generateName = "\(provider)-ec2-"
        return Secret(metadata: metadata, stringData: values)
    }

    static func provider(
        name: String, namespace: String, url: String, secretName: String, settings: [String: String]
    )
        -> Provider
    {
        Provider(
            metadata: ObjectMeta(name: name, namespace: namespace),
            spec: Provider.Spec(
                type: "ec2", url: url, secret: ObjectReference(name: secretName, namespace: namespace),
                settings: settings))
    }

    /// The keys whose values are credentials.
    static let credentialKeys: Set<String> = [
        "accessKeyId", "secretAccessKey", "sessionToken", "targetAccessKeyId", "targetSecretAccessKey",
    ]

    /// The Secret with its credentials replaced, for printing; region and URL stay readable.
    static func redacted(_ secret: JSONValue) -> JSONValue {
        var copy = secret
        for key in ["data", "stringData"] {
            guard let fields = copy[key]?.objectValue else { continue }
            copy[key] = .object(
                Dictionary(
                    uniqueKeysWithValues: fields.map {
                        ($0.key, credentialKeys.contains($0.key) ? "<redacted>" : $0.value)
                    }))
        }
        return copy
    }

    /// Creates the Secret, then the Provider, then makes the Provider own the Secret. If the Provider cannot be
    /// created, the Secret is removed again, so nothing is left half-made.
    static func create(
        client: KubernetesClient, provider: Provider, secret: Secret?, existingSecret: String?, namespace: String
    ) async throws {
        let name = provider.metadata.name ?? ""
        if (try? await client.get(Provider.self, name: name, namespace: namespace)) != nil {
            throw CommonMessages.alreadyExists("provider", name, namespace: namespace)
        }
        if let existingSecret {
            do { _ = try await client.get(Secret.self, name: existingSecret, namespace: namespace) } catch let error
                as KubernetesError where error.isNotFound
            {
                throw ProviderMessages.secretNotFound(existingSecret, namespace: namespace)
            }
        }
        var provider = provider
        var createdSecret: Secret?
        if let secret {
            let made = try await client.create(secret)
            createdSecret = made
            provider.spec.secret.name = made.metadata.name
        }
        let created: Provider
        do {
            created = try await client.create(provider)
        } catch {
            if let createdSecret { try? await client.delete(createdSecret) }
            throw error
        }
        if let createdSecret {
            _ = try await client.update(createdSecret) { secret in
                secret.stringData = nil
                secret.metadata.ownerReferences = [
                    OwnerReference(
                        apiVersion: created.apiVersion, kind: created.kind, name: name, uid: created.metadata.uid ?? "",
                        controller: false, blockOwnerDeletion: false)
                ]
            }
        }
    }

    /// Waits for the controller's connection test and says how it went.
    static func reportReadiness(client: KubernetesClient, name: String, namespace: String, timeout: Double) async throws
    {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let provider = try await client.get(Provider.self, name: name, namespace: namespace)
            let conditions = provider.status?.conditions ?? []
            if conditions.isTrue(ConditionType.ready) {
                print("provider/\(name) is Ready: \(conditions[type: "ConnectionTestSucceeded"]?.message ?? "")")
                return
            }
            if let failed = conditions.first(where: {
                $0.category == Condition.Category.critical && $0.status == "True"
            }) {
                var text = "provider/\(name) is not ready: \(failed.reason ?? failed.type): \(failed.message ?? "")"
                if let suggestion = failed.suggestion { text += " (\(suggestion))" }
                FileHandle.standardError.write(Data((text + "\n").utf8))
                return
            }
            try await Task.sleep(nanoseconds: 300_000_000)
        }
        FileHandle.standardError.write(
            Data(
                "provider/\(name): no connection result within \(Int(timeout))s; is mtv-controller running? (kubectl mtv get provider \(name))\n"
                    .utf8))
    }
}
