import Crypto
import Foundation
import HTTPTypes
import Inventory
import MTVAPI
import Testing
import X509

/// The front proxy's trust: reading `extension-apiserver-authentication`, checking the proxy's certificate, and
/// reading the user it names.
@Suite("Request-header trust")
struct RequestHeaderTrustTests {
    /// A CA and certificates it (or another CA) signs, made in memory.
    struct Authority {
        let key = P256.Signing.PrivateKey()
        let name: DistinguishedName
        let certificate: Certificate

        init(_ commonName: String) throws {
            name = try DistinguishedName { CommonName(commonName) }
            let privateKey = Certificate.PrivateKey(key)
            certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: privateKey.publicKey,
                notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(3600),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    KeyUsage(keyCertSign: true)
                },
                issuerPrivateKey: privateKey)
        }

        var pem: String { get throws { try certificate.serializeAsPEM().pemString } }

        /// A client certificate with that common name, valid from `start` for an hour.
        func issue(_ commonName: String, start: Date = Date().addingTimeInterval(-60)) throws -> [UInt8] {
            let leafKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
            let leaf = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: leafKey.publicKey, notValidBefore: start,
                notValidAfter: start.addingTimeInterval(3600), issuer: name,
                subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions { try ExtendedKeyUsage([.clientAuth]) },
                issuerPrivateKey: Certificate.PrivateKey(key))
            return try leaf.serializeAsPEM().derBytes
        }
    }

    @Test("the ConfigMap's CA, allowed names and header lists are read; without a CA there is no trust")
    func readsTheConfigMap() throws {
        let ca = try Authority("front-proxy-ca")
        let trust = try #require(
            try RequestHeaderTrust(configMapData: [
                "requestheader-client-ca-file": try ca.pem,
                "requestheader-allowed-names": #"["front-proxy-client"]"#,
                "requestheader-username-headers": #"["X-Remote-User"]"#,
                "requestheader-group-headers": #"["X-Remote-Group"]"#,
                "requestheader-extra-headers-prefix": #"["X-Remote-Extra-"]"#,
            ]))
        #expect(trust.authorities == [ca.certificate] && trust.allowedNames == ["front-proxy-client"])
        #expect(try RequestHeaderTrust(configMapData: ["client-ca-file": try ca.pem]) == nil)
        #expect(throws: RequestHeaderTrustError.self) {
            try RequestHeaderTrust(configMapData: [
                "requestheader-client-ca-file": try ca.pem, "requestheader-allowed-names": "front-proxy-client",
            ])
        }
        #expect(throws: (any Error).self) {
            try RequestHeaderTrust(configMapData: ["requestheader-client-ca-file": "-----BEGIN CERTIFICATE-----\nxx"])
        }
    }

    @Test("only a current certificate from the request-header CA with an allowed name is the front proxy's")
    func verifiesTheProxyCertificate() async throws {
        let ca = try Authority("front-proxy-ca"), other = try Authority("cluster-ca")
        let trust = RequestHeaderTrust(authorities: [ca.certificate], allowedNames: ["front-proxy-client"])
        guard case .success = await trust.verify(clientCertificate: try ca.issue("front-proxy-client")) else {
            Issue.record("the proxy's certificate was refused")
            return
        }
        let cases: [([UInt8], String)] = [
            (try other.issue("front-proxy-client"), "not signed by the request-header CA"),
            (try ca.issue("someone-else"), "'someone-else' is not one of requestheader-allowed-names"),
            (try ca.issue("front-proxy-client", start: Date().addingTimeInterval(-7200)), "has expired"),
            ([0x30, 0x03, 0x02, 0x01], "cannot be read"),
        ]
        for (certificate, message) in cases {
            guard case .failure(let problem) = await trust.verify(clientCertificate: certificate) else {
                Issue.record("accepted, expected: \(message)")
                continue
            }
            #expect(problem.description.contains(message), "\(problem)")
        }
        let anyName = RequestHeaderTrust(authorities: [ca.certificate])
        guard case .success = await anyName.verify(clientCertificate: try ca.issue("someone-else")) else {
            Issue.record("with no allowed names, any name the CA signed is accepted")
            return
        }
    }

    @Test("the user, groups and extras come from the configured headers; identity headers are noticed")
    func readsTheUser() throws {
        let trust = RequestHeaderTrust(authorities: [])
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Remote-User")!] = "alice"
        headers.append(HTTPField(name: HTTPField.Name("X-Remote-Group")!, value: "devs"))
        headers.append(HTTPField(name: HTTPField.Name("X-Remote-Group")!, value: "system:authenticated"))
        headers.append(HTTPField(name: HTTPField.Name("X-Remote-Extra-Scopes%2Fread")!, value: "a"))
        let user = try #require(trust.user(from: headers))
        #expect(user.username == "alice" && user.groups == ["devs", "system:authenticated"])
        #expect(user.extra == ["scopes/read": ["a"]])
        #expect(trust.namesUser(headers))
        var groupOnly = HTTPFields()
        groupOnly[HTTPField.Name("X-Remote-Group")!] = "system:masters"
        #expect(trust.namesUser(groupOnly) && trust.user(from: groupOnly) == nil)
        #expect(!trust.namesUser(HTTPFields([HTTPField(name: .authorization, value: "Bearer x")])))
    }
}
