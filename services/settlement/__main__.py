from libs.messaging.main import run
from services.settlement.bootstrap import bootstrap

run(bootstrap)
