import Hummingbird
import NIOCore
import NIOSSL

/// The controller's request context: Hummingbird's basics plus the connection, so a route can see the client
/// certificate the caller presented over TLS.
public struct InventoryRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// Who is calling, once `InventoryAuthentication` has found out.
    var caller: InventoryCaller?

    /// Creates the context of one request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The caller `InventoryAuthentication` recorded; a route outside that middleware is a programming error
    /// answered with 500, never served unauthenticated.
    func requireCaller() throws -> InventoryCaller {
        guard let caller else {
            throw HTTPError(.internalServerError, message: "the inventory route ran without authentication")
        }
        return caller
    }

    /// The caller's client certificate (DER); nil on plain HTTP or when it presented none.
    func clientCertificate() async -> [UInt8]? {
        guard let certificate = (try? await channel.nioSSL_peerCertificate().get()) ?? nil else { return nil }
        return try? certificate.toDERBytes()
    }
}
