"""Wallet handlers for the walking skeleton: credit accounts and pay a claim's personal part."""

from __future__ import annotations

from typing import Any

import orjson

from libs.contracts import claims as c
from libs.contracts import wallet as w
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import Envelope
from libs.contracts.topics import WALLET_EVENTS, WALLET_PAYMENTS
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction

PRODUCER = "wallet"


class WalletHandlers:
    def claims_table(self) -> dict[type, Any]:
        return {c.ClaimAdjudicated: self.pay_personal_part}

    def commands_table(self) -> dict[type, Any]:
        return {w.CreditPersonalAccount: self.credit_account}

    def enrollment_table(self) -> dict[type, Any]:
        return {CoverageChanged: self.project_person}

    async def project_person(self, tx: Transaction, env: Envelope[CoverageChanged]) -> None:
        p = env.payload
        await tx.conn.execute(
            "INSERT INTO persons (psn_no, version, insutype, active, snapshot) VALUES ($1, $2, $3, $4, $5::jsonb)"
            " ON CONFLICT (psn_no) DO UPDATE SET version = EXCLUDED.version, insutype = EXCLUDED.insutype,"
            " active = EXCLUDED.active, snapshot = EXCLUDED.snapshot WHERE persons.version < EXCLUDED.version",
            p.psn_no, p.version, p.insutype, p.active, p.model_dump_json(),
        )
        if p.insutype == "310":
            await tx.conn.execute("INSERT INTO accounts (psn_no) VALUES ($1) ON CONFLICT DO NOTHING", p.psn_no)

    async def credit_account(self, tx: Transaction, env: Envelope[w.CreditPersonalAccount]) -> None:
        cmd = env.payload
        inserted = await tx.conn.fetchval(
            "INSERT INTO postings (idempotency_key, kind, lines) VALUES ($1, 'credit', $2::jsonb)"
            " ON CONFLICT DO NOTHING RETURNING id",
            f"credit:{cmd.credit_id}",
            orjson.dumps([[f"contributions:{cmd.year}", -cmd.amount], [f"account:{cmd.psn_no}", cmd.amount]]).decode(),
        )
        if inserted is None:
            return
        balc = await tx.conn.fetchval(
            "INSERT INTO accounts (psn_no, balance) VALUES ($1, $2) ON CONFLICT (psn_no)"
            " DO UPDATE SET balance = accounts.balance + EXCLUDED.balance RETURNING balance",
            cmd.psn_no, cmd.amount,
        )
        emit(tx, WALLET_EVENTS, cmd.psn_no, w.AccountCredited(
            credit_id=cmd.credit_id, psn_no=cmd.psn_no, amount=cmd.amount, balc=balc,
        ), producer=PRODUCER, correlation_id=cmd.credit_id, causation=env)

    async def pay_personal_part(self, tx: Transaction, env: Envelope[c.ClaimAdjudicated]) -> None:
        claim = env.payload
        if await tx.conn.fetchval("SELECT 1 FROM claim_payments WHERE claim_id = $1", claim.claim_id):
            return
        balance = await tx.conn.fetchval(
            "SELECT balance FROM accounts WHERE psn_no = $1 FOR UPDATE", claim.psn_no) or 0
        acct_pay = min(balance, claim.psn_part_amt) if claim.acct_used_flag else 0
        cash = claim.psn_part_amt - acct_pay
        if acct_pay:
            await tx.conn.execute("UPDATE accounts SET balance = balance - $2 WHERE psn_no = $1", claim.psn_no, acct_pay)
            await tx.conn.execute(
                "INSERT INTO postings (idempotency_key, kind, lines) VALUES ($1, 'claim', $2::jsonb)",
                f"claim:{claim.claim_id}",
                orjson.dumps([[f"account:{claim.psn_no}", -acct_pay], [f"claims-payable:{claim.fixmedins_code}", acct_pay]]).decode(),
            )
        await tx.conn.execute(
            "INSERT INTO claim_payments (claim_id, setl_id, psn_no, acct_pay, acct_mulaid_pay, psn_cash_pay)"
            " VALUES ($1, $2, $3, $4, 0, $5)", claim.claim_id, claim.setl_id, claim.psn_no, acct_pay, cash)
        emit(tx, WALLET_PAYMENTS, claim.psn_no, c.PersonalPartPaid(
            claim_id=claim.claim_id, setl_id=claim.setl_id, psn_no=claim.psn_no,
            acct_pay=acct_pay, acct_mulaid_pay=0, psn_cash_pay=cash, balc=balance - acct_pay,
        ), producer=PRODUCER, correlation_id=claim.claim_id, causation=env)
