import Hummingbird

/// Finds out who calls each inventory route before the route runs, and records it in the request's context: the
/// user the API server's front proxy names (over a connection with the proxy's client certificate), or the owner
/// of a bearer token. Identity headers from anyone else are refused with 401, not ignored. Routes then authorize the
/// caller for the provider they read (`InventoryAuthorizer`).
struct InventoryAuthentication: RouterMiddleware {
    typealias Context = InventoryRequestContext

    let requestHeaderTrust: (any RequestHeaderTrustSource)?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        var context = context
        context.caller = try await caller(request, context)
        return try await next(request, context)
    }

    /// Who is calling; see the type's summary.
    func caller(_ request: Request, _ context: Context) async throws -> InventoryCaller {
        let trust = await requestHeaderTrust?.trust()
        guard (trust ?? RequestHeaderTrust(authorities: [])).namesUser(request.headers) else {
            return .token(try Self.token(request))
        }
        let refusal =
            "\(RequestHeaderTrust.defaultUsernameHeaders[0]) and its kin are accepted only from the API "
            + "server's front proxy"
        guard let trust else {
            throw HTTPError(
                .unauthorized,
                message: "\(refusal), and this cluster has no request-header CA "
                    + "(kube-system/extension-apiserver-authentication); send a bearer token instead")
        }
        guard let certificate = await context.clientCertificate() else {
            throw HTTPError(
                .unauthorized,
                message: "\(refusal), which presents a client certificate signed by the "
                    + "request-header CA; send a bearer token instead")
        }
        if case .failure(let problem) = await trust.verify(clientCertificate: certificate) {
            throw HTTPError(.unauthorized, message: "\(refusal): \(problem)")
        }
        guard let user = trust.user(from: request.headers) else {
            throw HTTPError(
                .unauthorized,
                message: "the front proxy named no user (\(trust.usernameHeaders.joined(separator: ", ")))")
        }
        return .user(user)
    }

    /// The bearer token of the Authorization header; a request without one is a 401.
    static func token(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            case let token = String(header.dropFirst("Bearer ".count)), !token.isEmpty
        else {
            throw HTTPError(.unauthorized, message: "a bearer token is required (Authorization: Bearer …)")
        }
        return token
    }
}
