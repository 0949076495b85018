import sys

from provisioning.goto_auth.cli import main

sys.exit(main())
