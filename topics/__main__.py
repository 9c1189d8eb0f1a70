from topics.cli import main

main()
