"""The wallet's domain: personal accounts (个人账户), family mutual aid (家庭共济) and wallet
transfers (医保钱包).

Pure Python: every operation is a `decide_*` function of a request and the rows the caller locked,
returning a `Decision` (postings, account rows, record, outcome). `WalletBook` is the storage port;
`locks` says which rows each operation locks. See docs/wallet.md.
"""

from services.wallet.domain.accounts import (
    AccountId,
    Bucket,
    claims_payable,
    contributions,
    owner_of,
    personal,
    pooling_fund,
    resident_premiums,
)
from services.wallet.domain.claims import (
    ClaimPayment,
    ClaimRefund,
    PayPersonalPart,
    RefundPersonalPart,
    decide_claim_payment,
    decide_claim_refund,
)
from services.wallet.domain.clock import CHINA_TIME, china_day, china_time, china_year
from services.wallet.domain.crediting import (
    CreditAccount,
    Credited,
    CreditKind,
    decide_credit,
    decide_rollover,
    retiree_credit,
)
from services.wallet.domain.decision import Decision
from services.wallet.domain.errors import (
    AlreadyBound,
    BindingNotFound,
    ClaimMismatch,
    CreditIdReused,
    CreditYearInFuture,
    DailyTransferCountExceeded,
    DuplicatePosting,
    HolderHasNoAccount,
    HolderNotInsured,
    InsufficientBalance,
    InvalidAmount,
    InvalidRequest,
    LocksIncomplete,
    NegativeBalance,
    NotBoundRelative,
    NotNearRelative,
    NoUseChosen,
    PremiumPaymentIdReused,
    RelativeNotInsured,
    SelfBinding,
    SelfTransfer,
    SettlementIdReused,
    TransferIdReused,
    TransferLimitExceeded,
    TransferNightWindow,
    UnbalancedPosting,
    UnknownClaim,
    UseNotGranted,
    WalletError,
    WalletRefusal,
)
from services.wallet.domain.family import (
    Binding,
    BindRelative,
    ChangeUses,
    InsuranceStatus,
    Relation,
    RevokeBinding,
    Use,
    decide_binding,
    decide_revocation,
    decide_uses_change,
    medical_payers,
)
from services.wallet.domain.locks import (
    lock_order,
    rows_for_binding,
    rows_for_claim_payment,
    rows_for_claim_refund,
    rows_for_credit,
    rows_for_premium_payment,
    rows_for_transfer,
)
from services.wallet.domain.personal_account import Balances, Draw, PersonalAccount
from services.wallet.domain.policy import WalletPolicy
from services.wallet.domain.ports import ClaimRunBook, WalletBook
from services.wallet.domain.postings import Entry, Posting, PostingKind
from services.wallet.domain.premiums import PayResidentPremium, PremiumPayment, decide_premium_payment
from services.wallet.domain.statements import (
    StatementLine,
    account_statement,
    balances_of,
    person_statement,
    trial_balance,
)
from services.wallet.domain.transfers import Transfer, TransferToRelative, decide_transfer

# accounts and ledger
__all__ = [
    "CHINA_TIME",
    "AccountId", "Balances", "Bucket", "Decision", "Draw", "Entry", "PersonalAccount", "Posting", "PostingKind",
    "WalletPolicy",
    "china_day", "china_time", "china_year", "claims_payable", "contributions", "owner_of", "personal", "pooling_fund",
    "resident_premiums",
]

# operations
__all__ += [
    "BindRelative", "Binding", "ChangeUses", "ClaimPayment", "ClaimRefund", "CreditAccount", "CreditKind", "Credited",
    "InsuranceStatus", "PayPersonalPart", "PayResidentPremium", "PremiumPayment", "RefundPersonalPart", "Relation",
    "RevokeBinding", "Transfer", "TransferToRelative", "Use",
    "decide_binding", "decide_claim_payment", "decide_claim_refund", "decide_credit", "decide_premium_payment",
    "decide_revocation", "decide_rollover", "decide_transfer", "decide_uses_change", "medical_payers", "retiree_credit",
]

# statements
__all__ += [
    "StatementLine",
    "account_statement", "balances_of", "person_statement", "trial_balance",
]

# storage port and locking
__all__ += [
    "ClaimRunBook", "WalletBook",
    "lock_order", "rows_for_binding", "rows_for_claim_payment", "rows_for_claim_refund", "rows_for_credit",
    "rows_for_premium_payment", "rows_for_transfer",
]

# errors
__all__ += [
    "AlreadyBound", "BindingNotFound", "ClaimMismatch", "CreditIdReused", "CreditYearInFuture",
    "DailyTransferCountExceeded", "DuplicatePosting", "HolderHasNoAccount", "HolderNotInsured", "InsufficientBalance",
    "InvalidAmount", "InvalidRequest", "LocksIncomplete", "NegativeBalance", "NoUseChosen", "NotBoundRelative",
    "NotNearRelative", "PremiumPaymentIdReused", "RelativeNotInsured", "SelfBinding", "SelfTransfer",
    "SettlementIdReused", "TransferIdReused", "TransferLimitExceeded", "TransferNightWindow", "UnbalancedPosting",
    "UnknownClaim", "UseNotGranted", "WalletError", "WalletRefusal",
]
