import MTVCLI

/// The `kubectl-mtv` executable; kubectl runs it for `kubectl mtv …`.
@main
enum KubectlMTV {
    static func main() async {
        await MTVCommand.start()
    }
}
