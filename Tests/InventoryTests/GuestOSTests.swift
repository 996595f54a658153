import Inventory
import Testing

/// The guest OS read from an instance's platform and image name.
@Suite("Guest OS")
struct GuestOSTests {
    @Test("image names give the libosinfo ID where they say enough, a name always")
    func mapping() {
        let cases: [(String?, String?, Bool, String, String?)] = [
            ("Windows", "Windows_Server-2019-English-Full-Base-2023.05.10", true, "Windows Server 2019", "win2k19"),
            ("Windows", "Windows_Server-2012-R2_RTM-English-64Bit-Base", true, "Windows Server 2012", "win2k12r2"),
            ("Windows BYOL", "my-golden-image", true, "Windows", nil),
            (
                "Red Hat Enterprise Linux", "RHEL-9.2.0_HVM-20230503-x86_64-41-Hourly2-GP2", false,
                "Red Hat Enterprise Linux 9", "rhel9"
            ),
            (
                "Linux/UNIX", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20230516", false, "Ubuntu 22.04",
                "ubuntu22.04"
            ),
            ("Linux/UNIX", "debian-12-amd64-20230711-1438", false, "Debian 12", "debian12"),
            (
                "SUSE Linux", "suse-sles-15-sp5-v20230620-hvm-ssd-x86_64", false, "SUSE Linux Enterprise Server 15",
                "sle15"
            ),
            ("Linux/UNIX", "CentOS-Stream-ec2-9-20230516.0.x86_64", false, "CentOS Stream 9", "centos-stream9"),
            ("Linux/UNIX", "Fedora-Cloud-Base-38-1.6.x86_64-hvm-us-east-1-gp3-0", false, "Fedora 38", "fedora38"),
            ("Linux/UNIX", "amzn2-ami-hvm-2.0.20230515.0-x86_64-gp2", false, "Amazon Linux 2", nil),
            (nil, nil, false, "Linux", nil),
        ]
        for (details, image, windows, name, id) in cases {
            let os = GuestOS(platformDetails: details, imageName: image, windows: windows)
            #expect(os.name == name && os.osinfoID == id, "\(image ?? "-"): \(os)")
            #expect(os.family == (windows ? "windows" : "linux"))
        }
    }
}
