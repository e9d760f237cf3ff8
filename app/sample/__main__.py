"""``python -m app.sample OUT.sqlite [--size 100MB | --sessions N] [--seed 1]``."""

import sys

from app.sample.generator import main

sys.exit(main())
