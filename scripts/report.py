"""(Re)write a run's, sweep's or blend's report.html: ``python scripts/report.py RUN...``."""

from kagglekit.cli import report_main

if __name__ == "__main__":
    report_main()
