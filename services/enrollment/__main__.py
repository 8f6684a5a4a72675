from libs.messaging.main import run
from services.enrollment.bootstrap import bootstrap

run(bootstrap)
