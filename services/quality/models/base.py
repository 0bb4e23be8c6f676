from libs.common.models import make_base

Base = make_base("quality")
