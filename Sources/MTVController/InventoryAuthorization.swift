import Crypto
import Foundation
import Inventory
import KubernetesClient
import MTVAPI

/// Asks the API server about inventory callers: a TokenReview says who a token belongs to (the front proxy names
/// its users itself), a SubjectAccessReview whether that user may `get` the Provider. Answers are kept for `ttl`
/// seconds; a review the API server did not answer is not an answer, so it is neither kept nor a denial.
public actor KubernetesInventoryAuthorizer: InventoryAuthorizer {
    let client: KubernetesClient
    let ttl: TimeInterval
    private var cache: [String: (decision: AuthorizationDecision, until: Date)] = [:]

    /// Creates the authorizer.
    public init(client: KubernetesClient, ttl: TimeInterval = 30) {
        self.client = client
        self.ttl = ttl
    }

    public func authorize(_ caller: InventoryCaller, namespace: String, name: String) async -> AuthorizationDecision {
        // The cache key holds a digest of the token, never the token itself.
        let key = "\(Self.digest(caller))/\(namespace)/\(name)"
        if let hit = cache[key], hit.until > Date() { return hit.decision }
        let decision = await review(caller, namespace: namespace, name: name)
        if case .unavailable = decision { return decision }
        if cache.count > 10_000 { cache.removeAll() }
        cache[key] = (decision, Date().addingTimeInterval(ttl))
        return decision
    }

    private static func digest(_ caller: InventoryCaller) -> String {
        let identity: Data =
            switch caller {
            case .token(let token): Data("token:\(token)".utf8)
            case .user(let user): Data("user:".utf8) + ((try? JSONValue(encoding: user))?.serialized() ?? Data())
            }
        return SHA256.hash(data: identity).map { String(format: "%02x", $0) }.joined()
    }

    private func review(_ caller: InventoryCaller, namespace: String, name: String) async -> AuthorizationDecision {
        do {
            let user: UserInfo
            switch caller {
            case .user(let vouched): user = vouched
            case .token(let token):
                let review = try await client.create(TokenReview(token: token))
                guard review.status?.authenticated == true, let known = review.status?.user else {
                    return .unauthenticated
                }
                user = known
            }
            let access = try await client.create(
                SubjectAccessReview(
                    user: user,
                    attributes: .init(
                        namespace: namespace, verb: "get", group: "forklift.konveyor.io", resource: "providers",
                        name: name)))
            if access.status?.allowed == true { return .allowed }
            return .forbidden(
                "\(user.username ?? "the caller") may not get providers.forklift.konveyor.io \(namespace)/\(name)")
        } catch {
            return .unavailable("cannot check access with the API server now; try again: \(error)")
        }
    }
}
