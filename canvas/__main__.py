"""`python -m canvas ...`"""

import sys

from canvas.cli import main

sys.exit(main())
