import Crypto
import Foundation
import Inventory
import KubernetesClient
import MTVAPI

/// Asks the API server about inventory callers: a TokenReview says who the token belongs to, a
/// SubjectAccessReview whether that user may `get` the Provider. Answers are kept for `ttl` seconds; a review the
/// API server did not answer is not an answer, so it is neither kept nor a denial.
public actor KubernetesInventoryAuthorizer: InventoryAuthorizer {
    let client: KubernetesClient
    let ttl: TimeInterval
    private var cache: [String: (decision: AuthorizationDecision, until: Date)] = [:]

    /// Creates the authorizer.
    public init(client: KubernetesClient, ttl: TimeInterval = 30) {
        self.client = client
        self.ttl = ttl
    }

    public func authorize(token: String, namespace: String, name: String) async -> AuthorizationDecision {
        // The cache key holds a digest of the token, never the token itself.
        let digest = SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
        let key = "\(digest)/\(namespace)/\(name)"
        if let hit = cache[key], hit.until > Date() { return hit.decision }
        let decision = await review(token: token, namespace: namespace, name: name)
        if case .unavailable = decision { return decision }
        if cache.count > 10_000 { cache.removeAll() }
        cache[key] = (decision, Date().addingTimeInterval(ttl))
        return decision
    }

    private func review(token: String, namespace: String, name: String) async -> AuthorizationDecision {
        do {
            let review = try await client.create(TokenReview(token: token))
            guard review.status?.authenticated == true, let user = review.status?.user else { return .unauthenticated }
            let access = try await client.create(SubjectAccessReview(
                user: user,
                attributes: .init(namespace: namespace, verb: "get", group: "forklift.konveyor.io", resource: "providers",
                    name: name)))
            if access.status?.allowed == true { return .allowed }
            return .forbidden(
                "\(user.username ?? "the caller") may not get providers.forklift.konveyor.io \(namespace)/\(name)")
        } catch {
            return .unavailable("cannot check access with the API server now; try again: \(error)")
        }
    }
}
