import Crypto
import Foundation
import Testing

@testable import AWSSigV4

/// One request signed by botocore, checked in by `Fixtures/make-vectors.py`.
struct Vector: Decodable, CustomTestStringConvertible {
    let name, service, region, method, url, body, accessKeyID, secretAccessKey, date: String
    let headers: [String: String]
    let sessionToken: String?
    let canonicalRequest, signedHeaders, authorization: String

    var testDescription: String { name }

    static let all: [Vector] = {
        let url = Bundle.module.url(forResource: "sigv4-vectors", withExtension: "json")!
        return try! JSONDecoder().decode([Vector].self, from: Data(contentsOf: url))
    }()
}

@Suite("SigV4 signer")
struct SigV4SignerTests {
    @Test("AWS's documented signing-key example")
    func documentedSigningKey() {
        let key = SigV4Signer.signingKey(
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", day: "20120215", region: "us-east-1", service: "iam")
        let bytes = key.withUnsafeBytes { Array($0) }
        #expect(SigV4Signer.hex(bytes) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test("matches botocore's canonical request and Authorization header", arguments: Vector.all)
    func matchesBotocore(vector: Vector) throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyID: vector.accessKeyID, secretAccessKey: vector.secretAccessKey,
                sessionToken: vector.sessionToken),
            region: vector.region, service: vector.service)
        let request = SigV4Signer.Request(
            method: vector.method, url: URL(string: vector.url)!,
            headers: vector.headers.map { ($0.key, $0.value) }, body: Array(vector.body.utf8))
        let date = try #require(ISO8601DateFormatter().date(from: vector.date))

        let added = signer.signatureHeaders(for: request, date: date)
        let authorization = added.first { $0.name == "Authorization" }?.value
        #expect(authorization == vector.authorization)

        let payloadHash = SigV4Signer.hex(SHA256.hash(data: Array(vector.body.utf8)))
        let canonical = signer.canonicalRequest(
            request, extraHeaders: added.filter { $0.name != "Authorization" }, payloadHash: payloadHash)
        #expect(canonical.request == vector.canonicalRequest)
        #expect(canonical.signedHeaders == vector.signedHeaders)
    }

    @Test("a session token is sent and signed")
    func sessionTokenSigned() {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", sessionToken: "tok"),
            region: "us-east-1", service: "sts")
        let request = SigV4Signer.Request(
            method: "POST", url: URL(string: "https://sts.amazonaws.com/")!, headers: [], body: [])
        let added = signer.signatureHeaders(for: request, date: Date(timeIntervalSince1970: 0))
        #expect(added.contains { $0.name == "X-Amz-Security-Token" && $0.value == "tok" })
        #expect(added.last?.value.contains("x-amz-security-token") == true)
    }

    @Test("timestamps are UTC in basic ISO 8601")
    func timestampFormat() {
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 1_767_323_045)) == "20260102T030405Z")
    }

    @Test("RFC 3986 encoding keeps only unreserved characters")
    func strictEncoding() {
        #expect(URIEncoding.encode("a b+c=*~/:é") == "a%20b%2Bc%3D%2A~%2F%3A%C3%A9")
        #expect(URIEncoding.encode("/a b/c", keepSlash: true) == "/a%20b/c")
        // Form bodies as botocore writes them: a space is '+', a literal '+' is escaped.
        #expect(
            URIEncoding.formBody([("Tag.1.Value", "a b+c"), ("Description", "x~y/z")])
                == "Tag.1.Value=a+b%2Bc&Description=x~y%2Fz")
    }

    @Test("credentials never print their secret")
    func redactedDescription() {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "topsecret", sessionToken: "tok")
        #expect(!"\(credentials)".contains("topsecret"))
        #expect(!String(reflecting: credentials).contains("tok"))
    }
}
