"""``python -m megacluster.cli`` runs the command line."""

from megacluster.cli.app import main

main()
