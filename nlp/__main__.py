"""`python -m nlp ...`: the same command line as `python -m bot nlp ...`."""

import sys

from nlp.cli import main

sys.exit(main())
