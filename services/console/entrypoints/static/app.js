// The console's single-page application: hash routes, one renderer per page, polling for fresh figures.
(() => {
  const t = I18N.t;
  const page = document.getElementById('page');
  const charts = {};
  let me = null, timer = null, current = '';
  let generation = 0;  // one per render: a page's read that returns after a newer render started must not draw
  class Stale extends Error {}

  const esc = v => String(v ?? '').replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
  const yuan = fen => { if (fen == null) return '—'; const n = Math.abs(fen); return `${fen < 0 ? '-' : ''}${Math.floor(n / 100).toLocaleString()}.${String(n % 100).padStart(2, '0')}`; };
  const time = iso => iso ? new Date(iso).toLocaleString(I18N.lang === 'zh' ? 'zh-CN' : 'en-GB') : '—';
  const may = action => me && me.may.includes(action);
  const absent = problem => `<div class="absent">${t('common.absent')}: ${esc(problem && (problem.message || problem.code))}</div>`;

  async function api(path, options = {}) {
    const asked = generation;
    const reply = await fetch('/api' + path, {credentials: 'same-origin', headers: {'Content-Type': 'application/json'}, ...options});
    if (reply.status === 401) { location.href = '/login'; throw new Error('signed out'); }
    const body = await reply.json().catch(() => ({}));
    if (!options.method && asked !== generation) throw new Stale(path);  // an older page's read: a newer one owns the page
    return {ok: reply.ok, status: reply.status, body};
  }

  function chart(id, type, labels, datasets, options = {}) {
    const canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    if (charts[id] && charts[id].canvas === canvas) {
      charts[id].data.labels = labels; charts[id].data.datasets = datasets; charts[id].update('none'); return;
    }
    charts[id] = new Chart(canvas, {type, data: {labels, datasets},
      options: {animation: false, responsive: true, maintainAspectRatio: false, ...options}});
  }

  function table(head, rows, testid = '') {
    return `<table ${testid ? `data-testid="${testid}"` : ''}><thead><tr>${head.map(h => `<th class="${h.startsWith('#') ? 'num' : ''}">${esc(t(h.replace('#', '')))}</th>`).join('')}</tr></thead>
      <tbody>${rows.map(r => `<tr>${r.map((c, i) => `<td class="${head[i].startsWith('#') ? 'num' : ''}">${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  }

  // The hospitals' calls: rates and 10-minute counts from Prometheus, else the gateway's totals since it started.
  function gatewayFigures(g) {
    if (!g || !g.source) return `<div class="absent" data-testid="gateway-figures">${t('gw.absent')}</div>`;
    const live = g.source === 'prometheus';
    const n = v => live ? Number(v).toFixed(2) : String(Math.round(v));
    if (!(g.requests || []).length) return `<p class="source">${t(live ? 'gw.from_prometheus' : 'gw.from_gateway')}</p><div class="absent" data-testid="gateway-figures">${t('gw.none')}</div>`;
    return `<p class="source">${t(live ? 'gw.from_prometheus' : 'gw.from_gateway')}</p><div class="grid2" data-testid="gateway-figures">
      <div>${table(['infno', 'infcode', live ? '#gw.per_second' : '#col.count'], (g.requests || []).map(r =>
        [esc(r.labels.infno), esc(r.labels.infcode), `<span data-testid="his-${esc(r.labels.infno)}-${esc(r.labels.infcode)}">${n(r.value)}</span>`]), 'his-requests')}</div>
      <div>${table(['infno', live ? '#gw.timeouts_10m' : '#gw.timeouts'], (g.timeouts || []).map(r => [esc(r.labels.infno), n(r.value)]), 'his-timeouts')}
      ${table(['col.reason_code', live ? '#gw.refusals_10m' : '#col.count'], (g.refusals || []).map(r => [esc(r.labels.code), n(r.value)]), 'his-refusals')}</div></div>`;
  }

  // ---- pages ---------------------------------------------------------------------------------
  const pages = {
    async overview() {
      const {body: o} = await api('/overview');
      if (!document.getElementById('ov-flow')) {
        page.innerHTML = `<h2>${t('nav.overview')}</h2><div class="cards" id="ov-cards"></div>
          <div class="grid2"><div><h3>${t('ov.flow')}</h3><div class="chart"><canvas id="ov-flow"></canvas></div></div>
          <div><h3>${t('ov.services')}</h3><div id="ov-services"></div><h3>${t('ov.totals')}</h3><div id="ov-totals"></div></div></div>
          <h3>${t('ov.gateway')}</h3><div id="ov-gateway"></div>`;
      }
      const percent = r => r == null ? '—' : `${(r * 100).toFixed(2)}%`;
      const card = (label, value, id) => `<div class="card"><div class="label">${esc(label)}</div><div class="value" data-testid="${id}">${esc(value)}</div></div>`;
      document.getElementById('ov-cards').innerHTML =
        ['settled', 'rejected', 'presettled', 'cancelled'].map(k => card(`${t('kind.' + k)} / ${t('ov.per_second')}`, o.per_second[k], `rate-${k}`)).join('') +
        card(t('ov.p50'), o.flow.latency_ms.p50 == null ? '—' : `${o.flow.latency_ms.p50} ms`, 'p50') +
        card(t('ov.p99'), o.flow.latency_ms.p99 == null ? '—' : `${o.flow.latency_ms.p99} ms`, 'p99') +
        card(t('ov.refusal_rate'), percent(o.refusal_rate), 'refusal-rate') +
        card(t(o.errors.source === 'prometheus' ? 'ov.error_rate_1m' : 'ov.error_rate_total'), percent(o.errors.consumer_errors), 'error-rate') +
        card(t(o.errors.source === 'prometheus' ? 'ov.http_5xx_1m' : 'ov.http_5xx_total'), percent(o.errors.http_5xx), 'http-5xx');
      document.getElementById('ov-services').innerHTML = table(['col.service', 'col.state', '#ov.dead_open'],
        Object.entries(o.services).map(([name, s]) => [esc(name),
          `<span class="${s.state === 'ready' ? 'ok' : s.state === 'down' ? 'bad' : 'warn'}" data-testid="state-${esc(name)}">${esc(s.state)}</span>`,
          esc(o.dead_letters_open[name] ?? '—')]), 'services');
      document.getElementById('ov-totals').innerHTML = table(['col.status', '#col.count'],
        Object.entries(o.flow.totals).map(([k, n]) => [esc(t('kind.' + k)), `<span data-testid="total-${k}">${esc(n)}</span>`]), 'totals');
      document.getElementById('ov-gateway').innerHTML = gatewayFigures(o.gateway);
      const end = Math.floor(Date.parse(o.at) / 10000) * 10000;  // every 10-s bucket of the window, empty ones too
      const counts = {};
      o.flow.buckets.forEach(b => { counts[`${Date.parse(b.at)}:${b.kind}`] = b.n; });
      const stamps = Array.from({length: 60}, (_, i) => end - (59 - i) * 10000);
      const colours = {settled: '#1e8e3e', rejected: '#c0392b', presettled: '#0b6bcb', cancelled: '#b7791f'};
      chart('ov-flow', 'line', stamps.map(s => new Date(s).toLocaleTimeString()), Object.keys(colours).map(k => ({
        label: t('kind.' + k), borderColor: colours[k], backgroundColor: colours[k], pointRadius: 0,
        data: stamps.map(s => counts[`${s}:${k}`] || 0)})));
    },

    async refusals(params) {
      const query = new URLSearchParams(params).toString();
      const {body: r} = await api('/refusals?' + query);
      const filter = Object.entries(params).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(', ');
      page.innerHTML = `<h2>${t('nav.refusals')}</h2>
        ${filter ? `<p>${t('ref.filter')} <strong>${filter}</strong> <a href="#/refusals">${t('ref.clear')}</a></p>` : ''}
        <div class="grid2"><div><h3>${t('ref.by_reason')}</h3><div class="chart"><canvas id="ref-reasons"></canvas></div></div>
        <div><h3>${t('ref.by_institution')}</h3>${table(['col.institution', '#col.count'], r.by_institution.map(i =>
          [`<a href="#/refusals?institution=${encodeURIComponent(i.fixmedins_code)}">${esc(i.fixmedins_code)}</a>`, esc(i.n)]))}</div></div>
        <h3>${t('ref.by_reason')}</h3>${table(['col.reason_code', '#col.count'], r.by_reason.map(i =>
          [`<a href="#/refusals?reason_code=${encodeURIComponent(i.reason_code)}">${esc(i.reason_code)}</a>`, esc(i.n)]), 'refusal-reasons')}
        <h3>${t('ref.recent')}</h3>${table(['col.claim', 'col.institution', 'col.reason_code', 'col.reason', 'col.time'], r.claims.map(c =>
          [`<a href="#/claims/${encodeURIComponent(c.claim_id)}">${esc(c.claim_id)}</a>`, esc(c.fixmedins_code), esc(c.reason_code), esc(c.reason), time(c.occurred_at)]), 'refused-claims')}`;
      chart('ref-reasons', 'bar', r.by_reason.map(i => i.reason_code), [{label: t('col.count'), backgroundColor: '#c0392b', data: r.by_reason.map(i => i.n)}],
        {indexAxis: 'y', onClick: (_, els) => { if (els.length) location.hash = `#/refusals?reason_code=${encodeURIComponent(r.by_reason[els[0].index].reason_code)}`; }});
    },

    async claims(params, claimId) {
      const {body: c} = await api('/claims/' + encodeURIComponent(claimId));
      const s = c.settlement;
      page.innerHTML = `<h2>${t('claim.title')} <span data-testid="claim-id">${esc(claimId)}</span></h2>
        <h3>${t('claim.outcomes')}</h3>${c.outcomes.map(o => `<div class="card" data-testid="outcome">
          <strong>${esc(t('kind.' + o.kind))}</strong> · ${esc(o.fixmedins_code)} · ${time(o.occurred_at)}
          ${o.reason_code ? `<p><span class="bad" data-testid="reason-code">${esc(o.reason_code)}</span>: <span data-testid="reason">${esc(o.reason)}</span></p>` : ''}
          ${o.medfee_sumamt ? `<p>medfee_sumamt ${yuan(o.medfee_sumamt)} · fund_pay_sumamt ${yuan(o.fund_pay_sumamt)} · hifp_pay ${yuan(o.hifp_pay)} · psn_cash_pay ${yuan(o.psn_cash_pay)}</p>` : ''}
          ${o.explanation.length ? `<h4>${t('claim.explanation')}</h4><ul class="explain" data-testid="explanation">${o.explanation.map(l => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}</div>`).join('')}
        <h3>${t('claim.settlement')}</h3>${s ? `<div class="card" data-testid="settlement-record">${esc(s.status)} · setl_id ${esc(s.setl_id)}
          <ul class="explain">${(s.explanation || []).map(l => `<li>${esc(l)}</li>`).join('')}</ul></div>`
          : `<div class="absent" data-testid="no-settlement-record">${t('claim.no_record')}</div>`}
        ${c.submission ? `<h3>${t('claim.lines')}</h3>${table(['med_list_codg', '#cnt', 'drug_trac_codg'], c.submission.items.map(i => [esc(i.code), esc(i.cnt), esc((i.trace || []).join(', '))]))}` : ''}`;
    },

    async funds(params) {
      const {body: f} = await api('/funds' + (params.region ? `?region=${encodeURIComponent(params.region)}` : ''));
      if (!document.getElementById('funds-series')) {
        page.innerHTML = `<h2>${t('nav.funds')}</h2><h3>${t('funds.series')} · <span data-testid="funds-region">${f.region ? esc(f.region) : t('funds.all_regions')}</span>
          ${f.region ? `<a href="#/funds">${t('funds.all_regions')}</a>` : ''}</h3><div class="chart"><canvas id="funds-series"></canvas></div>
          <div class="grid2"><div><h3>${t('funds.regions')}</h3><div id="funds-regions"></div></div><div><h3>${t('funds.ledger')}</h3><div id="funds-ledger"></div></div></div>`;
      }
      const names = ['hifp_pay', 'hifmi_pay', 'hifob_pay', 'maf_pay', 'acct_pay', 'acct_mulaid_pay'];
      const colours = ['#0b6bcb', '#8e44ad', '#16a085', '#d35400', '#7f8c8d', '#c0392b'];
      chart('funds-series', 'line', f.series.map(p => new Date(p.at).toLocaleTimeString()), names.map((n, i) => ({
        label: n, borderColor: colours[i], backgroundColor: colours[i], data: f.series.map(p => Number(p[n]) / 100)})));
      document.getElementById('funds-regions').innerHTML = table(['col.region', '#col.count', '#hifp_pay', '#hifmi_pay', '#hifob_pay', '#maf_pay', '#acct_pay', '#acct_mulaid_pay'],
        f.regions.map(r => [`<a href="#/funds?region=${encodeURIComponent(r.region)}" data-testid="fund-region-link">${esc(r.region)}</a>`,
          esc(r.claims), ...names.map(n => yuan(r[n]))]), 'fund-regions');
      document.getElementById('funds-ledger').innerHTML = f.ledger
        ? `<div class="card"><p data-testid="ledger-check" class="${f.ledger.balanced ? 'ok' : 'bad'}">${t(f.ledger.balanced ? 'funds.balanced' : 'funds.unbalanced')}</p>
           <p>debits ${yuan(f.ledger.debits)} · credits ${yuan(f.ledger.credits)}</p></div>` : absent(f.ledger_problem);
    },

    async clearing(params) {
      const {body: c} = await api('/clearing');
      if (!c.cycles) { page.innerHTML = `<h2>${t('nav.clearing')}</h2>${absent(c.problem)}`; return; }
      if (!c.cycles.length) { page.innerHTML = `<h2>${t('nav.clearing')}</h2><div class="absent">${t('clr.none')}</div>`; return; }
      const chosen = params.cycle || c.cycles[0].cycle_id;
      const {body: d} = await api('/clearing/cycles/' + chosen);
      const cy = d.cycle;
      page.innerHTML = `<h2>${t('nav.clearing')}</h2><div class="grid2"><div>
        <h3>${esc(cy.cycle_id)} · <span data-testid="cycle-status">${esc(cy.status)}</span></h3>
        <p>${esc(cy.period_start)} → ${esc(cy.period_end)} · fund_pay_sumamt ${yuan(d.fund_pay_sumamt)}${cy.closed_at ? ` · ${time(cy.closed_at)} (${esc(cy.close_reason)})` : ''}</p>
        <div class="actions">
          ${cy.status === 'open' ? `<button id="close-cycle" ${may('clearing.close') ? '' : 'disabled'}>${t('clr.close')}</button>` : ''}
          ${cy.status === 'closed' ? `<button id="reconcile" ${may('clearing.reconcile') ? '' : 'disabled'}>${t('clr.reconcile')}</button>` : ''}
          <span id="clr-result" data-testid="action-result"></span></div>
        <h3>${t('clr.net')}</h3>${d.net_positions ? `<div class="chart"><canvas id="clr-net"></canvas></div>` : absent(d.net_positions_problem)}
        <h3>${t('clr.bilateral')}</h3>${table(['insuplc_admdvs', 'mdtrtarea_admvs', '#col.amount'], d.bilateral.map(p => [esc(p.insuplc_admdvs), esc(p.mdtrtarea_admvs), yuan(p.amount)]), 'bilateral')}
        <h3>${t('clr.recon')}</h3>${d.reconciliation ? `<div class="card" data-testid="reconciliation"><span class="${d.reconciliation.totals_match ? 'ok' : 'bad'}">${t(d.reconciliation.totals_match ? 'clr.matched' : 'clr.mismatch')}</span>
          · ${time(d.reconciliation.reconciled_at)} · clearing ${yuan(d.reconciliation.clearing_fund_pay_sumamt)} / settlement ${yuan(d.reconciliation.settlement_fund_pay_sumamt)}
          ${d.reconciliation.mismatches.length ? table(['kind', 'setl_id', 'fund_pay_type', '#clearing', '#settlement'], d.reconciliation.mismatches.map(m => [esc(m.kind), esc(m.setl_id), esc(m.fund_pay_type), yuan(m.clearing_amount), yuan(m.settlement_amount)])) : ''}</div>` : absent(d.reconciliation_problem)}
        <h3>${t('clr.unconfirmed')}</h3>${table(['col.institution', '#col.count', '#col.amount'], d.unconfirmed.map(u => [esc(u.fixmedins_code), esc(u.items), yuan(u.pending)]))}
        <h3>${t('clr.cover')}</h3><p class="source">${t(cy.status === 'open' ? 'clr.cover_open' : 'clr.cover_closed')}</p>
        ${d.prepayment_cover ? table(['admdvs', '#clr.net_payable', '#clr.covered', '#clr.shortfall', 'col.state'], d.prepayment_cover.map(c =>
          [esc(c.admdvs), yuan(c.net_payable), yuan(c.covered), yuan(c.shortfall),
           `<span class="${c.status === 'short' ? 'bad' : 'ok'}" data-testid="cover-${esc(c.admdvs)}">${esc(t('clr.cover_' + c.status))}</span>`]), 'prepayment-cover') : '—'}
        <h3>${t('clr.prepay')}</h3>${d.prepayments ? table(['admdvs', '#col.amount'], d.prepayments.map(p => [esc(p.admdvs), yuan(p.balance)]), 'prepayments') : '—'}
        </div><div><h3>${t('clr.cycles')}</h3>${table(['col.period', 'col.status'], c.cycles.map(x =>
          [`<a href="#/clearing?cycle=${encodeURIComponent(x.cycle_id)}">${esc(x.cycle_id)}</a>`, esc(x.status)]), 'cycles')}</div></div>`;
      if (d.net_positions) chart('clr-net', 'bar', d.net_positions.positions.map(p => p.admdvs),
        [{label: 'net', data: d.net_positions.positions.map(p => p.net / 100), backgroundColor: d.net_positions.positions.map(p => p.net >= 0 ? '#1e8e3e' : '#c0392b')}]);
      const act = async (path, confirmText) => {
        if (confirmText && !confirm(confirmText)) return;
        const r = await api(`/clearing/cycles/${chosen}/${path}`, {method: 'POST'});
        document.getElementById('clr-result').textContent = r.ok ? `${t('dl.done')} ${path}` : `${r.status} ${(r.body.message || r.body.reason || JSON.stringify(r.body))}`;
        if (r.ok) setTimeout(() => { if (params.cycle === chosen) render(true); else location.hash = `#/clearing?cycle=${encodeURIComponent(chosen)}`; }, 300);
      };
      document.getElementById('close-cycle')?.addEventListener('click', () => act('close', t('clr.confirm_close')));
      document.getElementById('reconcile')?.addEventListener('click', () => act('reconciliation'));
    },

    async pipeline() {
      const {body: p} = await api('/pipeline');
      const live = p.source === 'prometheus';
      const subject = labels => esc(Object.values(labels).join(' · ') || '—');
      const series = (name, label) => {
        const rows = live ? (p.figures[name] || []).map(s => [subject(s.labels), esc(s.value)])
          : Object.entries(p.figures).flatMap(([svc, f]) => f ? (f[name] || []).map(s => [subject({svc, ...s.labels}), esc(s.value)]) : []);
        return `<h3>${t(label)}</h3>${rows.length ? table(['col.subject', '#col.value'], rows, 'pipe-' + name) : `<div class="absent">${t('common.absent')}</div>`}`;
      };
      const figure = v => v == null ? '—' : esc(Number.isInteger(v) ? v : Number(v).toFixed(2));
      const relay = table(['col.service', 'col.state', live ? '#pipe.published_rate' : '#pipe.published_total', '#pipe.outbox_age',
                           live ? '#pipe.failures_10m' : '#pipe.failures_total', live ? '#pipe.parked_1h' : '#pipe.parked_total'],
        Object.entries(p.relay || {}).map(([svc, r]) => [esc(svc),
          `<span class="${r.state === 'publishing' ? 'ok' : r.state === 'unknown' ? '' : r.state === 'retrying' ? 'warn' : 'bad'}" data-testid="relay-${esc(svc)}">${esc(t('relay.' + r.state))}</span>`,
          figure(r.published), figure(r.oldest_age_s), figure(r.failures), figure(r.parked)]), 'relay');
      const none = !live && Object.values(p.figures).every(f => f === null);
      page.innerHTML = `<h2>${t('nav.pipeline')}</h2><p>${t('pipe.source')}: <strong data-testid="pipeline-source">${esc(p.source)}</strong>
        ${live ? esc(p.prometheus_url) + ' · ' + t('pipe.from_rules') : t('pipe.from_services')}</p>
        ${none ? `<div class="absent" data-testid="pipeline-absent">${t('pipe.absent')}</div>` : ''}
        <h3>${t('nav.dead_letters')}</h3>${table(['col.service', '#dl.open', '#dl.replayed', '#dl.discarded'], Object.entries(p.dead_letters).map(([s, d]) =>
          [esc(s), ...(d ? [d.open, d.replayed, d.discarded].map(esc) : ['—', '—', '—'])]), 'pipeline-dead-letters')}
        ${none ? '' : `<h3>${t('pipe.relay')}</h3>${relay}` + series('consumer_lag', 'pipe.lag') + series('outbox_oldest_age_seconds', 'pipe.outbox_age')
          + series('outbox_depth', 'pipe.outbox_depth') + series('dead_lettered', live ? 'pipe.dead_lettered_10m' : 'pipe.dead_lettered_total')}`;
    },

    async 'dead-letters'(params, service, id) {
      if (service && id) return deadLetter(service, id);
      const status = params.status || 'open';
      const {body: d} = await api(`/dead-letters?status=${status}`);
      page.innerHTML = `<h2>${t('nav.dead_letters')}</h2><p>${t('dl.status')}: ${['open', 'replayed', 'discarded', 'all'].map(s =>
          s === status ? `<strong>${t('dl.' + s)}</strong>` : `<a href="#/dead-letters?status=${s}">${t('dl.' + s)}</a>`).join(' · ')} (${esc(d.total)})</p>
        ${Object.entries(d.problems).map(([s, p]) => `<p class="warn">${esc(s)}: ${esc(p.message)}</p>`).join('')}
        ${d.items.length ? table(['col.service', 'id', 'col.consumer', 'col.topic', 'col.reason', 'col.time', 'col.status'], d.items.map(i =>
          [esc(i.service), `<a href="#/dead-letters/${encodeURIComponent(i.service)}/${i.id}" data-testid="dead-letter-link">${esc(i.id)}</a>`, esc(i.consumer),
           esc(`${i.topic}/${i.partition}@${i.offset}`), esc(i.reason), time(i.parked_at), `<span data-testid="dl-status">${esc(t('dl.' + i.status))}</span>`]), 'dead-letters')
          : `<div class="absent">${t('dl.none')}</div>`}`;
    },

    async supervision() {
      const {body: s} = await api('/supervision');
      page.innerHTML = `<h2>${t('nav.supervision')}</h2><p class="muted" data-testid="sup-at">${t('sup.at')} ${time(s.at)}</p>${s.alerts.length ? table(['col.rule', 'col.subject', 'col.facts', '#col.at_stake', '#col.fine', 'col.claim'],
        s.alerts.map(a => [esc(t('rule.' + a.rule)), esc(a.subject), `<code>${esc(JSON.stringify(a.facts))}</code>`, yuan(a.fund_at_stake),
          a.fund_at_stake ? `${yuan(a.possible_fine[0])} – ${yuan(a.possible_fine[1])}` : '—',
          a.claim_ids.map(c => `<a href="#/claims/${encodeURIComponent(c)}">${esc(c)}</a>`).join(' ')]), 'alerts')
        : `<div class="absent">${t('sup.none')}</div>`}`;
    },

    async audit() {
      const {body: a} = await api('/audit');
      page.innerHTML = `<h2>${t('nav.audit')}</h2>${table(['col.time', 'col.actor', 'col.action', 'col.target', 'col.note', '#col.status'],
        a.actions.map(x => [time(x.at), esc(`${x.actor} (${x.actor_role})`), esc(x.action), esc(x.target), esc(x.note), esc(x.status)]), 'audit')}`;
    },
  };

  async function deadLetter(service, id) {
    stopPolling();
    const {ok, body: d} = await api(`/dead-letters/${encodeURIComponent(service)}/${encodeURIComponent(id)}`);
    if (!ok) { page.innerHTML = absent(d); return; }
    const canAct = d.status === 'open';
    page.innerHTML = `<h2>${t('nav.dead_letters')} · ${esc(service)} #${esc(d.id)} · <span data-testid="dl-detail-status">${esc(t('dl.' + d.status))}</span></h2>
      <p><a href="#/dead-letters">← ${t('common.back')}</a></p>
      <div class="card"><p><strong>${t('col.reason')}:</strong> <span data-testid="dl-reason">${esc(d.reason)}</span></p>
        <p>${esc(d.consumer)} · ${esc(`${d.topic}/${d.partition}@${d.offset}`)} · ${time(d.parked_at)}</p>
        ${d.action ? `<p data-testid="dl-action">${esc(t('dl.' + d.action.action))}: ${esc(d.action.actor)} (${esc(d.action.actor_role)}) · ${time(d.action.at)} · ${esc(d.action.note)}</p>` : ''}</div>
      <h3>${t('dl.message')}</h3><pre data-testid="dl-message">${esc(d.message ? (d.message.json ? JSON.stringify(d.message.json, null, 2) : d.message.text) : (d.message_problem || {}).message)}</pre>
      ${canAct ? `<div class="actions"><label style="flex:1">${t('dl.note')}<textarea id="dl-note"></textarea></label></div>
      <div class="actions"><button id="dl-replay" ${may('dead_letter.replay') ? '' : 'disabled'}>${t('dl.replay')}</button>
        <button id="dl-discard" class="danger" ${may('dead_letter.discard') ? '' : 'disabled'}>${t('dl.discard')}</button>
        <span id="dl-result" data-testid="action-result"></span></div>` : ''}`;
    const act = async verb => {
      const r = await api(`/dead-letters/${encodeURIComponent(service)}/${encodeURIComponent(id)}/${verb}`,
        {method: 'POST', body: JSON.stringify({note: document.getElementById('dl-note').value})});
      document.getElementById('dl-result').textContent = r.ok ? `${t('dl.done')} ${r.body.status}` : `${r.status} ${r.body.message || JSON.stringify(r.body)}`;
      const here = location.hash;
      if (r.ok) setTimeout(() => { if (location.hash === here) deadLetter(service, id); }, 300);
    };
    document.getElementById('dl-replay')?.addEventListener('click', () => act('replay'));
    document.getElementById('dl-discard')?.addEventListener('click', () => act('discard'));
  }

  // ---- routing and refreshing ----------------------------------------------------------------
  function route() {
    const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
    const [name, ...rest] = (path || 'overview').split('/');
    return {name: pages[name] ? name : 'overview', args: rest.map(decodeURIComponent), params: Object.fromEntries(new URLSearchParams(query || ''))};
  }

  function stopPolling() { if (timer) { clearTimeout(timer); timer = null; } }

  async function render(again = false) {
    stopPolling();
    generation += 1;
    const {name, args, params} = route();
    const key = location.hash;
    if (!again && key !== current) { Object.keys(charts).forEach(k => { charts[k].destroy(); delete charts[k]; }); page.innerHTML = `<p class="muted">${t('common.loading')}</p>`; }
    current = key;
    document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('active', a.getAttribute('href') === '#/' + name));
    try { await pages[name](params, ...args); } catch (e) { if (e instanceof Stale) return; console.error(e); }
    document.getElementById('refreshed').textContent = new Date().toLocaleTimeString();
    const still = name === 'dead-letters' && args.length;  // a form is open: do not redraw under the operator
    if (!still && location.hash === key) timer = setTimeout(() => render(true), me.refresh_ms);
  }

  async function start() {
    const {body} = await api('/me');
    me = body;
    document.getElementById('who').textContent = me.username;
    document.getElementById('role').textContent = t('role.' + me.role);
    document.getElementById('role').dataset.role = me.role;
    document.getElementById('readonly').hidden = me.role !== 'auditor';
    I18N.apply(document);
    document.querySelectorAll('[data-lang]').forEach(a => a.addEventListener('click', e => {
      e.preventDefault(); I18N.set(a.dataset.lang); I18N.apply(document); current = ''; render();
    }));
    document.getElementById('logout').addEventListener('click', async () => { await api('/logout', {method: 'POST'}); location.href = '/login'; });
    window.addEventListener('hashchange', () => render());
    render();
  }
  start();
})();
