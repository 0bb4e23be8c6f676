from libs.common.migrations import run_env
from services.partner.models import Base

run_env(Base.metadata, "partner")
