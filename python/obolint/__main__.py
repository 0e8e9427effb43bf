"""`python -m obolint ...`: runs the `obolint` binary installed with this package."""

import os
import sys

from obolint._find_obolint import find_obolint_bin


def main() -> None:
    obolint = find_obolint_bin()
    if sys.platform == "win32":
        import subprocess

        sys.exit(subprocess.run([obolint, *sys.argv[1:]]).returncode)
    os.execvp(obolint, [obolint, *sys.argv[1:]])


if __name__ == "__main__":
    main()
