import PIDCommands

PIDBoundsCommand.main()
