from libs.common.migrations import run_env
from services.catalog.models import Base

run_env(Base.metadata, "catalog")
