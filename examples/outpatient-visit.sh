#!/usr/bin/env bash
# A whole outpatient visit in the national interface with curl: 9001, 1101, 2201, 2203, 2204, 2206, 2207;
# then the day's detail reconciliation: 9101 (upload the detail file), 3202, 9102 (download the result).
#
#   make institution CODE=H37130000001 NAME=示例医院 LEVEL=3 REGION=371300     # prints app_id and app_secret
#   GATEWAY=http://127.0.0.1:8105 CODE=H37130000001 REGION=371300 \
#   APP_ID=app-... APP_SECRET=... CERTNO=<an insured person's ID number> examples/outpatient-visit.sh
#
# Needs curl, openssl, base64 and python3 (only to read fields out of the JSON replies). Every request is signed:
# x-ca-signature = hex HMAC-SHA256(app secret, timestamp + "\n" + nonce + "\n" + body).
set -euo pipefail
: "${GATEWAY:=http://127.0.0.1:8105}" "${CODE:?}" "${REGION:?}" "${APP_ID:?}" "${APP_SECRET:?}" "${CERTNO:?}"
SIGN_NO=""
INSUPLC=""

call() {  # call INFNO INPUT_JSON -> prints the reply envelope
  local infno=$1 input=$2 msgid ts nonce body sig
  msgid="${CODE:0:12}$(date +%Y%m%d%H%M%S)$(printf %04d $((RANDOM % 10000)))"
  body=$(printf '{"infno":"%s","msgid":"%s","mdtrtarea_admvs":"%s","insuplc_admdvs":"%s","recer_sys_code":"HIS","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0007","opter_name":"收费员","inf_time":"%s","fixmedins_code":"%s","fixmedins_name":"示例医院","sign_no":"%s","input":%s}' \
    "$infno" "$msgid" "$REGION" "$INSUPLC" "$(date '+%Y-%m-%d %H:%M:%S')" "$CODE" "$SIGN_NO" "$input")
  ts=$(date +%s)
  nonce=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  sig=$({ printf '%s\n%s\n' "$ts" "$nonce"; printf '%s' "$body"; } | openssl dgst -sha256 -hmac "$APP_SECRET" | sed 's/^.*= //')
  curl -sS -X POST "$GATEWAY/fsi/api/rsfComIfsService/callService" \
    -H 'Content-Type: application/json; charset=UTF-8' -H "x-ca-key: $APP_ID" -H "x-ca-timestamp: $ts" \
    -H "x-ca-nonce: $nonce" -H 'x-ca-signature-method: HmacSHA256' -H "x-ca-signature: $sig" --data-binary "$body"
}

field() {  # field PYTHON_EXPRESSION < reply: fails with the err_msg when infcode is not 0
  python3 -c 'import json,sys
r = json.load(sys.stdin)
if r.get("infcode") != 0: sys.exit("refused: %s" % r.get("err_msg"))
o = r["output"]
print(eval(sys.argv[1]))' "$1"
}

NOW=$(date '+%Y-%m-%d %H:%M:%S')
SIGN_NO=$(call 9001 '{"signIn":{"opter_no":"0007","mac":"","ip":""}}' | field 'o["signinoutb"]["sign_no"]')
echo "9001 sign_no $SIGN_NO"
PERSON=$(call 1101 "{\"data\":{\"mdtrt_cert_type\":\"02\",\"mdtrt_cert_no\":\"$CERTNO\",\"card_sn\":\"\",\"begntime\":\"\",\"psn_cert_type\":\"01\",\"certno\":\"$CERTNO\",\"psn_name\":\"\"}}")
PSN_NO=$(echo "$PERSON" | field 'o["baseinfo"]["psn_no"]')
INSUTYPE=$(echo "$PERSON" | field 'o["insuinfo"][0]["insutype"]')
INSUPLC=$(echo "$PERSON" | field 'o["insuinfo"][0]["insuplc_admdvs"]')
echo "1101 psn_no $PSN_NO insutype $INSUTYPE insured in $INSUPLC"
MDTRT_ID=$(call 2201 "{\"data\":{\"psn_no\":\"$PSN_NO\",\"insutype\":\"$INSUTYPE\",\"begntime\":\"$NOW\",\"mdtrt_cert_type\":\"02\",\"mdtrt_cert_no\":\"$CERTNO\",\"ipt_otp_no\":\"OP$(date +%s)\",\"atddr_no\":\"D001\",\"dr_name\":\"医生\",\"dept_code\":\"0301\",\"dept_name\":\"内科\",\"caty\":\"A03\"}}" | field 'o["data"]["mdtrt_id"]')
echo "2201 mdtrt_id $MDTRT_ID"
call 2203 "{\"mdtrtinfo\":{\"mdtrt_id\":\"$MDTRT_ID\",\"psn_no\":\"$PSN_NO\",\"med_type\":\"11\",\"begntime\":\"$NOW\",\"main_cond_dscr\":\"咳嗽\"},\"diseinfo\":[{\"diag_type\":\"1\",\"diag_srt_no\":\"1\",\"diag_code\":\"J06.900\",\"diag_name\":\"急性上呼吸道感染\",\"diag_dept\":\"内科\",\"dise_dor_no\":\"D001\",\"dise_dor_name\":\"医生\",\"diag_time\":\"$NOW\",\"vali_flag\":\"1\"}]}" | field '"2203 ok"'
LINE='"mdtrt_id":"'$MDTRT_ID'","psn_no":"'$PSN_NO'","chrg_bchno":"B1","rx_circ_flag":"0","fee_ocur_time":"'$NOW'","bilg_dept_codg":"0301","bilg_dept_name":"内科","bilg_dr_codg":"D001","bilg_dr_name":"医生","hosp_appr_flag":"1"'
call 2204 "{\"feedetail\":[{\"feedetl_sn\":\"L1\",\"med_list_codg\":\"002501000010000\",\"medins_list_codg\":\"ZC01\",\"det_item_fee_sumamt\":10.00,\"cnt\":1,\"pric\":10.00,$LINE},{\"feedetl_sn\":\"L2\",\"med_list_codg\":\"XJ01DDA064B002010100367\",\"medins_list_codg\":\"YP570\",\"det_item_fee_sumamt\":4.52,\"cnt\":1,\"pric\":4.52,$LINE}]}" \
  | field '"\n".join("2204 %s class %s: self-pay first %s, in scope %s" % (r["feedetl_sn"], r["chrgitm_lv"], r["preselfpay_amt"], r["inscp_scp_amt"]) for r in o["result"])'
DATA="{\"data\":{\"psn_no\":\"$PSN_NO\",\"mdtrt_cert_type\":\"02\",\"mdtrt_cert_no\":\"$CERTNO\",\"med_type\":\"11\",\"medfee_sumamt\":14.52,\"psn_setlway\":\"01\",\"mdtrt_id\":\"$MDTRT_ID\",\"chrg_bchno\":\"B1\",\"acct_used_flag\":\"1\",\"insutype\":\"$INSUTYPE\"}}"
call 2206 "$DATA" | field '"2206 pre-settlement: total %s = funds %s + patient %s" % (o["setlinfo"]["medfee_sumamt"], o["setlinfo"]["fund_pay_sumamt"], o["setlinfo"]["psn_part_amt"])'
SETTLED=$(call 2207 "$DATA")
echo "$SETTLED" | field '"2207 setl_id %s: total %s = funds %s + account %s + cash %s; balance %s" % tuple(o["setlinfo"][k] for k in ("setl_id", "medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay", "balc"))'

# The detail file: one tab-separated line a settlement (setl_id, mdtrt_id, psn_no, medfee_sumamt,
# fund_pay_sumamt, acct_pay, refd_setl_flag), sent as base64 (a zip of it is accepted too).
DETAIL=$(echo "$SETTLED" | field '"\t".join(str(o["setlinfo"][k]) for k in ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay")) + "\t0"' | base64 -w0)
FILE_NO=$(call 9101 "{\"fsUploadIn\":{\"in\":\"$DETAIL\",\"filename\":\"detail.txt\",\"fixmedins_code\":\"$CODE\"}}" | field 'o["file_qury_no"]')
echo "9101 file_qury_no $FILE_NO"
TOTALS=$(echo "$SETTLED" | field '"\"medfee_sumamt\":%s,\"fund_pay_sumamt\":%s,\"cash_payamt\":%s" % tuple(o["setlinfo"][k] for k in ("medfee_sumamt", "fund_pay_sumamt", "psn_cash_pay"))')
RESULT=$(call 3202 "{\"data\":{\"setl_optins\":\"$REGION\",\"file_qury_no\":\"$FILE_NO\",\"stmt_begndate\":\"$(date -d yesterday +%F)\",\"stmt_enddate\":\"$(date -d tomorrow +%F)\",$TOTALS,\"fixmedins_setl_cnt\":1}}")
echo "$RESULT" | field '"3202 stmt_rslt %s (%s), result file %s" % (o["stmtinfo"]["stmt_rslt"], o["stmtinfo"]["stmt_rslt_dscr"], o["fileinfo"]["filename"])'
RESULT_NO=$(echo "$RESULT" | field 'o["fileinfo"]["file_qury_no"]')
echo "9102 the result file (psn_no, mdtrt_id, setl_id, msgid, stmt_rslt, refd_setl_flag, memo, amounts):"
call 9102 "{\"fsDownloadIn\":{\"file_qury_no\":\"$RESULT_NO\",\"filename\":\"\",\"fixmedins_code\":\"$CODE\"}}"
