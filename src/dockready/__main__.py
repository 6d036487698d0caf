from dockready.cli import main

main()
