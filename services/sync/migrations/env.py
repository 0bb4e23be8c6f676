from libs.common.migrations import run_env
from services.sync.models import Base

run_env(Base.metadata, "sync")
