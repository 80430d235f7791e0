from catalyst_cli.entry import main

main()
