import Foundation
import Testing

@testable import AWSClient

@Suite("Query encoding, XML decoding, errors, paging and waiting")
struct DecodingTests {
    @Test("filters, lists and tag specifications flatten as EC2 expects")
    func flattening() {
        var parameters = QueryParameters()
        parameters.set("InstanceId", list: ["i-1", "i-2"])
        parameters.set(filters: [EC2Filter.tag("tier", "web", "db"), EC2Filter("owner-id", ["123"])])
        parameters.set(tagSpecifications: [TagSpecification(resourceType: "snapshot", tags: [Tag("k", "v")])])
        parameters.set("Encrypted", true)
        parameters.set("Iops", nil as Int?)
        #expect(
            parameters.pairs.map { "\($0)=\($1)" } == [
                "InstanceId.1=i-1", "InstanceId.2=i-2",
                "Filter.1.Name=tag:tier", "Filter.1.Value.1=web", "Filter.1.Value.2=db",
                "Filter.2.Name=owner-id", "Filter.2.Value.1=123",
                "TagSpecification.1.ResourceType=snapshot", "TagSpecification.1.Tag.1.Key=k",
                "TagSpecification.1.Tag.1.Value=v", "Encrypted=true",
            ])
    }

    @Test("an instance decodes with its devices, interfaces and tags, and encodes with AWS's names")
    func instanceDecoding() throws {
        let xml = """
            <DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
            <reservationSet><item><reservationId>r-1</reservationId><ownerId>123456789012</ownerId>
            <instancesSet><item><instanceId>i-1</instanceId><instanceType>m5.large</instanceType>
            <instanceState><code>16</code><name>running</name></instanceState>
            <placement><availabilityZone>us-east-1a</availabilityZone></placement>
            <architecture>x86_64</architecture><platform>windows</platform><bootMode>uefi</bootMode>
            <cpuOptions><coreCount>1</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions>
            <rootDeviceName>/dev/sda1</rootDeviceName><ipAddress>54.1.2.3</ipAddress>
            <blockDeviceMapping><item><deviceName>/dev/sda1</deviceName><ebs><volumeId>vol-1</volumeId>
            <deleteOnTermination>true</deleteOnTermination></ebs></item>
            <item><deviceName>/dev/sdb</deviceName><ebs><volumeId>vol-2</volumeId></ebs></item></blockDeviceMapping>
            <networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><subnetId>subnet-1</subnetId>
            <macAddress>02:00:00:00:00:01</macAddress><attachment><deviceIndex>0</deviceIndex></attachment>
            </item></networkInterfaceSet>
            <tagSet><item><key>Name</key><value>web 1</value></item><item><key>empty</key><value></value></item>
            </tagSet></item></instancesSet></item></reservationSet></DescribeInstancesResponse>
            """
        let root = try #require(XMLNode.parse(Array(xml.utf8)))
        let reservation = try #require(root.items("reservationSet").first)
        let instance = try #require(reservation.items("instancesSet", as: Instance.self).first)
        #expect(instance.instanceID == "i-1")
        #expect(instance.state.name == "running")
        #expect(instance.placement?.availabilityZone == "us-east-1a")
        #expect(instance.cpuOptions?.coreCount == 1 && instance.cpuOptions?.threadsPerCore == 2)
        #expect(instance.blockDeviceMappings.map(\.ebs?.volumeID) == ["vol-1", "vol-2"])
        #expect(instance.networkInterfaces.first?.deviceIndex == 0)
        #expect(instance.name == "web 1")
        #expect(instance.tags[key: "empty"] == "")
        #expect(instance.publicIPAddress == "54.1.2.3")

        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(instance)) as? [String: Any]
        #expect(json?["InstanceId"] as? String == "i-1")
        #expect((json?["BlockDeviceMappings"] as? [Any])?.count == 2)
        #expect(json?["PublicIpAddress"] as? String == "54.1.2.3")
    }

    @Test("fields EC2's XML keeps elsewhere: nested elements, projected lists, alternatives, absent values")
    func xmlPaths() throws {
        let interface = try #require(
            XMLNode.parse(
                Array(
                    """
                    <item><networkInterfaceId>eni-1</networkInterfaceId><association><publicIp>3.3.3.3</publicIp>
                    </association><groupSet><item><groupId>sg-1</groupId></item><item><groupName>x</groupName></item>
                    <item><groupId>sg-2</groupId></item></groupSet><privateIpAddressesSet><item>
                    <privateIpAddress>10.0.0.5</privateIpAddress></item></privateIpAddressesSet></item>
                    """.utf8))
        ).decode(InstanceNetworkInterface.self)
        #expect(interface.publicIP == "3.3.3.3")
        #expect(interface.securityGroupIDs == ["sg-1", "sg-2"], "an item without groupId is skipped")
        #expect(interface.privateIPAddresses == ["10.0.0.5"])
        #expect(interface.deviceIndex == nil && interface.subnetID == nil, "absent optionals are nil")

        let type = try #require(
            XMLNode.parse(
                Array(
                    """
                    <item><instanceType>m5.large</instanceType><vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo>
                    <processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures></processorInfo>
                    <supportedBootModes><item>legacy-bios</item><item>uefi</item></supportedBootModes></item>
                    """.utf8))
        ).decode(InstanceTypeInfo.self)
        #expect(type.defaultVCpus == 2 && type.memorySizeMiB == nil)
        #expect(type.architectures == ["x86_64"] && type.supportedBootModes == ["legacy-bios", "uefi"])

        func snapshot(_ xml: String) throws -> Snapshot {
            try #require(XMLNode.parse(Array("<item><snapshotId>snap-1</snapshotId>\(xml)</item>".utf8))).decode(
                Snapshot.self)
        }
        #expect(try snapshot("<status>completed</status><state>pending</state>").state == "completed")
        #expect(try snapshot("<state>pending</state>").state == "pending", "the second alternative")
        let bare = try snapshot("")
        #expect(bare.state == "" && bare.tags == [] && bare.volumeSize == nil, "absent: zero values and nil")
        let volume = try #require(XMLNode.parse(Array("<item><volumeId>vol-1</volumeId></item>".utf8))).decode(
            Volume.self)
        #expect(volume.size == 0 && volume.encrypted == false && volume.attachments == [])
    }

    @Test("text that is not the number or boolean a field expects is refused, naming the field")
    func malformedFields() throws {
        let xml =
            "<item><volumeId>vol-1</volumeId><attachmentSet><item><deleteOnTermination>maybe</deleteOnTermination></item></attachmentSet></item>"
        #expect {
            try #require(XMLNode.parse(Array(xml.utf8))).decode(Volume.self)
        } throws: { error in
            "\(error)" == "Attachments.0.DeleteOnTermination: \"maybe\" is not a valid Bool"
        }
        let size = "<item><volumeId>vol-1</volumeId><size>30 GiB</size></item>"
        #expect(throws: XMLShapeError.self) { try #require(XMLNode.parse(Array(size.utf8))).decode(Volume.self) }
    }

    @Test("EC2 and STS error envelopes decode to the same error type")
    func errorEnvelopes() {
        let ec2 = AWSQueryClient.decodeError(
            status: 400,
            body: Array(
                "<Response><Errors><Error><Code>InvalidVolume.NotFound</Code><Message>gone</Message></Error></Errors><RequestID>abc</RequestID></Response>"
                    .utf8), operation: "ec2:DeleteVolume")
        #expect(ec2.code == "InvalidVolume.NotFound")
        #expect(ec2.isNotFound && ec2.isPermanent)
        #expect(ec2.requestID == "abc")
        let sts = AWSQueryClient.decodeError(
            status: 403,
            body: Array(
                "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error><RequestId>r</RequestId></ErrorResponse>"
                    .utf8), operation: "sts:GetCallerIdentity")
        #expect(sts.code == "SignatureDoesNotMatch")
        #expect(sts.isPermanent)
    }

    @Test(
        "one classification: authentication, throttling and transient codes first, then the status, then NotFound",
        arguments: [
            ("RequestLimitExceeded", 503, AWSErrorKind.throttling), ("Throttling", 400, .throttling),
            ("InternalError", 500, .transient), ("HTTP502", 502, .transient), ("ConnectionError", 0, .transient),
            ("RequestTimeout", 0, .transient), ("DeadlineExceeded", 0, .retriesExhausted),
            ("RetryBudgetExhausted", 0, .retriesExhausted), ("UnauthorizedOperation", 403, .permanent),
            ("AccessDenied", 503, .permanent), ("AuthFailure", 401, .authentication),
            ("InvalidClientTokenId", 403, .authentication), ("InvalidParameterValue", 400, .permanent),
            ("InvalidSnapshot.NotFound", 400, .notFound), ("SomethingNew", 400, .permanent),
        ])
    func classification(code: String, status: Int, kind: AWSErrorKind) {
        let error = AWSError(
            code: AWSErrorCode(rawValue: code), message: "", operation: "ec2:X", httpStatus: status == 0 ? nil : status)
        #expect(error.kind == kind)
        #expect(error.isRetryable == [.throttling, .transient].contains(kind))
        #expect(error.isNotFound == (kind == .notFound))
        #expect(error.isAuthentication == (kind == .authentication))
    }

    @Test("backoff is exponential with full jitter and a cap")
    func backoff() {
        let policy = RetryPolicy(baseDelay: 0.5, maxDelay: 4)
        #expect(policy.backoff(retry: 1, random: 1) == 0.5)
        #expect(policy.backoff(retry: 3, random: 1) == 2)
        #expect(policy.backoff(retry: 10, random: 1) == 4)
        #expect(policy.backoff(retry: 3, random: 0) == 0)
    }
}
