import Testing

@testable import MTVCLI

@Test("the root command is named for the kubectl plugin mechanism")
func rootCommandName() {
    #expect(MTVCommand.configuration.commandName == "kubectl-mtv")
}
