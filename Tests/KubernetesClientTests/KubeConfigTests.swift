import Foundation
import Testing

@testable import KubernetesClient

@Suite("kubeconfig loading")
struct KubeConfigTests {
    let directory: String = {
        let path = FileManager.default.temporaryDirectory.appending(path: "kube-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    func write(_ name: String, _ text: String) throws -> String {
        let path = "\(directory)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("KUBECONFIG files merge as kubectl merges them: the first definition and current-context win")
    func mergeOrder() throws {
        let first = try write(
            "a",
            """
            current-context: one
            clusters:
            - name: c1
              cluster: {server: "https://first:6443"}
            users:
            - name: u1
              user: {token: first-token}
            contexts:
            - name: one
              context: {cluster: c1, user: u1, namespace: team-a}
            """)
        let second = try write(
            "b",
            """
            current-context: two
            clusters:
            - name: c1
              cluster: {server: "https://second:6443"}
            - name: c2
              cluster: {server: "https://other:6443", insecure-skip-tls-verify: true}
            users:
            - name: u2
              user: {token: second-token}
            contexts:
            - name: two
              context: {cluster: c2, user: u2}
            """)
        let environment = ["KUBECONFIG": "\(first):\(second)"]
        let chosen = try KubernetesConfiguration.load(environment: environment)
        #expect(chosen.server.absoluteString == "https://first:6443")
        #expect(chosen.namespace == "team-a")
        guard case .bearerToken(let token) = chosen.authentication else { Issue.record("no token"); return }
        #expect(token == "first-token")

        let other = try KubernetesConfiguration.load(context: "two", namespace: "x", environment: environment)
        #expect(other.server.host == "other")
        #expect(other.insecureSkipTLSVerify)
        #expect(other.namespace == "x")
    }

    @Test("relative certificate and token paths resolve against the kubeconfig's folder")
    func relativePaths() throws {
        _ = try write("ca.crt", "not really a certificate")
        _ = try write("token", "file-token\n")
        let path = try write(
            "config",
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443", certificate-authority: ca.crt}}]
            users: [{name: u, user: {tokenFile: token}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        let configuration = try KubernetesConfiguration.load(kubeconfig: path, environment: [:])
        #expect(configuration.certificateAuthority == Array("not really a certificate".utf8))
        guard case .tokenFile(let tokenPath) = configuration.authentication else { Issue.record("no file"); return }
        #expect(tokenPath == "\(directory)/token")
    }

    @Test("client certificates come inline (base64) or from files")
    func clientCertificates() throws {
        let path = try write(
            "config",
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {client-certificate-data: \(Data("CERT".utf8).base64EncodedString()), client-key-data: \(Data("KEY".utf8).base64EncodedString())}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        let configuration = try KubernetesConfiguration.load(kubeconfig: path, environment: [:])
        guard case .clientCertificate(let certificate, let key) = configuration.authentication else {
            Issue.record("no certificate")
            return
        }
        #expect(certificate == Array("CERT".utf8) && key == Array("KEY".utf8))
    }

    @Test(
        "bad kubeconfigs fail with a message that names the problem",
        arguments: [
            ("current-context: nope\ncontexts: []\n", "context 'nope' is not in the kubeconfig"),
            ("contexts: [{name: c, context: {cluster: k}}]\n", "no current context"),
            ("current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n", "names cluster 'k'"),
            (
                "current-context: c\nclusters: [{name: k, cluster: {server: 'not a url'}}]\ncontexts: [{name: c, context: {cluster: k}}]\n",
                "no valid server URL"
            ),
            ("clusters: {this is: [not, a list\n", "cannot parse the kubeconfig"),
            (
                "current-context: c\nclusters: [{name: k, cluster: {server: 'https://k', certificate-authority-data: '%%%'}}]\ncontexts: [{name: c, context: {cluster: k}}]\n",
                "not valid base64"
            ),
        ])
    func badConfigs(text: String, message: String) throws {
        let path = try write("bad-\(UUID().uuidString)", text)
        let error = #expect(throws: KubernetesConfigurationError.self) {
            try KubernetesConfiguration.load(kubeconfig: path, environment: [:])
        }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test("a missing kubeconfig and no cluster environment says how to fix it")
    func nothingConfigured() {
        let error = #expect(throws: KubernetesConfigurationError.self) {
            try KubernetesConfiguration.load(environment: ["HOME": "/nonexistent"])
        }
        #expect(error?.message.contains("KUBECONFIG") == true)
    }

    @Test("in-cluster configuration reads the service account files")
    func inCluster() throws {
        _ = try write("token", "sa-token")
        _ = try write("namespace", "openshift-mtv\n")
        _ = try write("ca.crt", "CA")
        let configuration = try KubernetesConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            directory: directory)
        #expect(configuration.server.absoluteString == "https://10.0.0.1:443")
        #expect(configuration.namespace == "openshift-mtv")
        #expect(configuration.certificateAuthority == Array("CA".utf8))
    }

    @Test("watch lines are reassembled however the bytes are chunked")
    func lineSplitting() {
        let lines = (0..<50).map {
            #"{"type":"ADDED","object":{"n":\#($0),"pad":"\#(String(repeating: "x", count: $0 * 37))"}}"#
        }
        let stream = Array(lines.joined(separator: "\n").utf8) + [UInt8(ascii: "\n")]
        for chunkSize in [1, 7, 64, 1000, stream.count] {
            var splitter = LineSplitter()
            var out: [String] = []
            for start in stride(from: 0, to: stream.count, by: chunkSize) {
                out += splitter.feed(stream[start..<min(start + chunkSize, stream.count)]).map {
                    String(decoding: $0, as: UTF8.self)
                }
            }
            #expect(out == lines, "chunk size \(chunkSize)")
        }
    }
}
