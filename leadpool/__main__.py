from leadpool.cli import main

main()
