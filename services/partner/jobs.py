"""Partner's background jobs (libs/common/jobs.py): declared by the features at import
(golden test runs are pruns's, in services/partner/runs)."""

from libs.common.jobs import JobRegistry

jobs = JobRegistry()
