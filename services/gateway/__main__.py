from libs.messaging.main import run
from services.gateway.bootstrap import bootstrap

run(bootstrap)
