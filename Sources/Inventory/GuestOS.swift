import AWSClient
import MTVAPI

/// The guest operating system an EC2 instance runs, as far as its platform and image tell: a human name, the
/// family, and where the image says enough, the libosinfo short ID KubeVirt's common templates and the OpenShift
/// console use (`rhel9`, `win2k22`, `ubuntu22.04`, …).
public struct GuestOS: Sendable, Equatable {
    public var family: String
    public var name: String
    public var osinfoID: String?

    /// Reads the instance's `PlatformDetails` and its image's name.
    public init(platformDetails: String?, imageName: String?, windows: Bool) {
        let details = platformDetails ?? ""
        let image = (imageName ?? "").lowercased()
        family = windows ? "windows" : "linux"
        if windows {
            let year = ["2025", "2022", "2019", "2016", "2012"].first { image.contains($0) }
            name = year.map { "Windows Server \($0)" } ?? "Windows"
            osinfoID = year.map {
                [
                    "2025": "win2k25", "2022": "win2k22", "2019": "win2k19", "2016": "win2k16",
                    "2012": "win2k12r2",
                ][$0]!
            }
            return
        }
        let major = Self.firstNumber(in: image)
        switch true {
        case details.contains("Red Hat") || image.hasPrefix("rhel"):
            name = "Red Hat Enterprise Linux" + (major.map { " \($0)" } ?? "")
            osinfoID = major.map { "rhel\($0)" }
        case image.contains("centos-stream"):
            name = "CentOS Stream" + (major.map { " \($0)" } ?? "")
            osinfoID = major.map { "centos-stream\($0)" }
        case image.hasPrefix("fedora"):
            name = "Fedora" + (major.map { " \($0)" } ?? "")
            osinfoID = major.map { "fedora\($0)" }
        case details.contains("Ubuntu") || image.contains("ubuntu"):
            let version = Self.ubuntuVersion(in: image)
            name = "Ubuntu" + (version.map { " \($0)" } ?? "")
            osinfoID = version.map { "ubuntu\($0)" }
        case image.hasPrefix("debian"):
            name = "Debian" + (major.map { " \($0)" } ?? "")
            osinfoID = major.map { "debian\($0)" }
        case details.contains("SUSE") || image.contains("sles"):
            name = "SUSE Linux Enterprise Server" + (major.map { " \($0)" } ?? "")
            osinfoID = major.map { "sle\($0)" }
        case image.hasPrefix("amzn2-") || image.hasPrefix("al2023"):
            name = image.hasPrefix("al2023") ? "Amazon Linux 2023" : "Amazon Linux 2"
            osinfoID = nil
        default:
            name = details.isEmpty ? "Linux" : details
            osinfoID = nil
        }
    }

    /// The first run of digits after a separator (`RHEL-9.2…` → 9, `debian-12-…` → 12).
    static func firstNumber(in text: String) -> Int? {
        var digits = ""
        var previous: Character = "-"
        for character in text {
            if character.isASCII, character.isNumber, digits.isEmpty ? "-_ ".contains(previous) : true {
                digits.append(character)
            } else if !digits.isEmpty {
                break
            }
            previous = character
        }
        return Int(digits)
    }

    /// `22.04` from an Ubuntu image name (`ubuntu-jammy-22.04-amd64-server-…`).
    static func ubuntuVersion(in text: String) -> String? {
        let parts = text.split(whereSeparator: { "-_/ ".contains($0) })
        return parts.first { part in
            let numbers = part.split(separator: ".")
            return numbers.count == 2 && numbers.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isNumber) }
        }.map(String.init)
    }

    /// The record field: `{family, name, osinfoID}`.
    var json: JSONValue {
        ["family": .string(family), "name": .string(name), "osinfoID": osinfoID.map(JSONValue.string) ?? .null]
    }
}
