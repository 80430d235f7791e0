from catalyst_cli.main import main

main()
