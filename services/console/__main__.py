from libs.messaging.main import run
from services.console.bootstrap import bootstrap

run(bootstrap)
