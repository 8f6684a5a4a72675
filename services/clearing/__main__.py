from libs.messaging.main import run
from services.clearing.bootstrap import bootstrap

run(bootstrap)
