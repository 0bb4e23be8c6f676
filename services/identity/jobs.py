"""Identity's background jobs (libs/common/jobs.py): declared by the features at import."""

from libs.common.jobs import JobRegistry

jobs = JobRegistry()
