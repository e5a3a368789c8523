"""The `peerbridge` command: the project's manage.py.

peerbridge demo        load the demo organisation and programmes (idempotent)
peerbridge worker      run the background worker
peerbridge runserver   serve on 127.0.0.1:8000
peerbridge <any Django command>
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerbridge.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
