import MTVCLI

await MTVCommand.main()
