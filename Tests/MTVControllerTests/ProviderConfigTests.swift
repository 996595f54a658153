import AWSClient
import EC2Provider
import Foundation
import MTVAPI
import Testing

/// How a provider's settings resolve: the target region's endpoint, the target KMS key, and settings that are
/// refused rather than ignored.
@Suite("EC2 provider settings")
struct ProviderConfigTests {
    static func resolve(
        _ settings: [String: String], url: String? = nil
    ) throws(ProviderValidationError)
        -> EC2ProviderConfig
    {
        var secretData = ["region": "us-east-1", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "secret"]
        if let url { secretData["url"] = url }
        return try EC2ProviderConfig.resolve(
            provider: Provider(
                metadata: ObjectMeta(name: "ec2", namespace: "ns"),
                spec: .init(type: "ec2", secret: ObjectReference(name: "s", namespace: "ns"), settings: settings)),
            secret: Secret(metadata: ObjectMeta(name: "s", namespace: "ns"), stringData: secretData))
    }

    @Test("the target region's calls go to its own AWS endpoint, or to the same custom endpoint")
    func targetEndpoint() throws {
        let aws = try Self.resolve(["target-region": "eu-west-1", "target-az": "eu-west-1b"])
        #expect(aws.isCrossRegion)
        #expect(aws.endpoint.absoluteString == "https://ec2.us-east-1.amazonaws.com")
        #expect(aws.targetEndpoint.absoluteString == "https://ec2.eu-west-1.amazonaws.com")
        #expect(aws.targetClient().query.region.name == "eu-west-1", "the target region without target keys too")
        let custom = try Self.resolve(["target-region": "eu-west-1"], url: "http://127.0.0.1:5000")
        #expect(custom.targetEndpoint.absoluteString == "http://127.0.0.1:5000")
        let same = try Self.resolve(["target-az": "us-east-1c"])
        #expect(!same.isCrossRegion && same.targetEndpoint == same.endpoint)
    }

    @Test("target-kms-key takes a key ID, ARN or alias; an unknown setting is refused by name")
    func kmsKeyAndUnknownSettings() throws {
        for key in [
            "alias/migrated", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:eu-west-1:111122223333:alias/migrated",
        ] {
            #expect(try Self.resolve(["target-kms-key": key]).targetKMSKey == key)
        }
        #expect(try Self.resolve(["target-kms-key": ""]).targetKMSKey == nil)
        #expect(throws: ProviderValidationError.self) { try Self.resolve(["target-kms-key": "my key"]) }
        do {
            _ = try Self.resolve(["target-az": "us-east-1a", "vddkInitImage": "x", "sdkEndpoint": "y"])
            Issue.record("unknown settings were accepted")
        } catch {
            #expect(error.reason == "SettingNotSupported")
            #expect(error.message.contains("sdkEndpoint, vddkInitImage"))
        }
    }
}
