from libs.common.migrations import run_env
from services.quality.models import Base

run_env(Base.metadata, "quality")
