from quickturn.cli.app import main

main()
