from libs.common.migrations import run_env
from services.production.models import Base

run_env(Base.metadata, "production")
