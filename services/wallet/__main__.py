from libs.messaging.main import run
from services.wallet.bootstrap import bootstrap

run(bootstrap)
