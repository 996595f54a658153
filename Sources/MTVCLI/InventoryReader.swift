import AsyncHTTPClient
import Foundation
import KubernetesClient
import MTVAPI
import NIOCore

/// Reads a Ready EC2 provider's inventory from the controller's inventory service, with the caller's token.
struct InventoryReader {
    let provider: Provider
    let base: URL
    let token: String?

    /// Finds the provider (it must be an EC2 provider and Ready) and the inventory service.
    static func open(
        client: KubernetesClient, provider name: String, namespace: String, inventoryURL: String?
    ) async throws -> InventoryReader {
        let found: Provider
        do {
            found = try await client.get(Provider.self, name: name, namespace: namespace)
        } catch let error as KubernetesError where error.isNotFound {
            throw CLIError("provider '\(name)' not found in namespace \(namespace) (see kubectl mtv get providers)")
        }
        guard found.spec.type == "ec2" else {
            throw CLIError("provider '\(name)' is of type \(found.spec.type), not ec2")
        }
        guard found.status?.conditions?.isTrue("Ready") == true else {
            let reason = found.status?.conditions?.first { $0.category == Condition.Category.critical }
            throw CLIError("provider \(namespace)/\(name) is not ready"
                + (reason.map { ": \($0.reason ?? $0.type): \($0.message ?? "")" } ?? " yet"))
        }
        let baseText = inventoryURL ?? ProcessInfo.processInfo.environment["MTV_INVENTORY_URL"]
        guard let baseText, let base = URL(string: baseText), base.host != nil else {
            throw CLIError(
                "the inventory URL is not set: pass --inventory-url or set MTV_INVENTORY_URL to the mtv-controller's "
                    + "address (for a cluster: kubectl port-forward -n openshift-mtv svc/mtv-inventory 8443)")
        }
        return InventoryReader(provider: found, base: base, token: try await client.bearerToken())
    }

    /// `text` percent-encoded for a query string value: only unreserved characters stay as they are.
    static func formEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn:
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }

    /// The records of one collection (`vms`, `volumes`, `networks`, …), filtered on the server by `query`; each
    /// is the envelope's object with the envelope's id and name.
    func records(_ collection: String, query: String? = nil) async throws -> [JSONValue] {
        var components = URLComponents(
            url: base.appending(path: "providers/ec2/\(provider.metadata.uid ?? "")/\(collection)"),
            resolvingAgainstBaseURL: false)!
        // Form encoding leaves `+` alone, but servers read it as a space: send it as %2B.
        components.percentEncodedQueryItems = [URLQueryItem(name: "detail", value: "4")]
            + (query.map { [URLQueryItem(name: "query", value: Self.formEncoded($0))] } ?? [])
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw CLIError("cannot reach the inventory at \(base.absoluteString): \(error)")
        }
        let value = try? JSONValue(parsing: Data(body.readableBytesView))
        guard response.status.code == 200, let items = value?.arrayValue else {
            let message = value?[path: ["error", "message"]]?.stringValue ?? String(buffer: body)
            throw CLIError("the inventory answered \(response.status.code): \(message)")
        }
        return items.map { item in
            var object = item["object"] ?? [:]
            object["id"] = item["id"]
            object["name"] = item["name"]
            return object
        }
    }
}
