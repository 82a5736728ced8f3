// The dashboard as a person uses it, in Debian's headless Chromium: sign in with the demo key,
// buy the seed number, rename it, route it to an agent, meet the 403 KYC explanation, release
// it, sign out. Each step checks what the page shows and then what the JSON API returns.
// Started by e2e/run.sh, which serves a fresh `dialnexa serve` and passes DIALNEXA_URL and
// DIALNEXA_KEY. Screenshots of every page go to e2e/screenshots/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = process.env.DIALNEXA_URL;
const KEY = process.env.DIALNEXA_KEY;
const EMULATOR = process.env.DIALNEXA_EMULATOR_URL;
const SEED = '+912234567890';
const SEED_SHOWN = '+91 22 3456 7890';
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

if (!BASE || !KEY || !EMULATOR) {
  throw new Error('run through e2e/run.sh: DIALNEXA_URL, DIALNEXA_KEY and DIALNEXA_EMULATOR_URL are not set');
}

/** The JSON API, as a client with the same key would see it. */
async function api(path, init = {}) {
  const response = await fetch(BASE + path, {
    ...init,
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

describe('dashboard', () => {
  let context;
  let page;
  let profile;
  let numberId;
  let agentId;
  let shot = 0;

  async function screenshot(name) {
    shot += 1;
    await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  /** Click and wait for the page the click leads to; returns that page's HTTP response. */
  async function submit(locator) {
    const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
    return response;
  }

  before(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'dialnexa-e2e-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('signs in with the API key into a server-side session, its id in an HttpOnly SameSite=Strict cookie', async () => {
    await page.goto(`${BASE}/dashboard/numbers`);
    assert.match(page.url(), /\/dashboard\/sign-in\?next=/);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in');
    await screenshot('sign-in');

    await page.getByLabel('API key').fill('dnx_live_thisisnotakeythisisnotakey00');
    const refused = await submit(page.getByRole('button', { name: 'Sign in' }));
    assert.equal(refused.status(), 401);
    assert.match(await page.locator('#api_key-error').textContent(), /not valid/);
    assert.equal(await page.getByLabel('API key').getAttribute('aria-invalid'), 'true');
    await screenshot('sign-in-refused');

    await page.getByLabel('API key').fill(KEY);
    await submit(page.getByRole('button', { name: 'Sign in' }));
    assert.equal(new URL(page.url()).pathname, '/dashboard/numbers');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Phone numbers');
    await page.getByText('No phone numbers yet').waitFor();
    await screenshot('numbers-empty');

    const session = (await context.cookies()).find((c) => c.name === 'dnx_session');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.value.includes(KEY), false, 'the cookie is a session id, not the key');
    assert.equal(await page.evaluate(() => document.cookie.includes('dnx_session')), false);
    assert.equal((await page.content()).includes(KEY), false, 'the key never appears in a page');

    const list = await api('/v1/organization-phone-numbers');
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 0);
  });

  test('buys the seed number after a search and a confirmation', async () => {
    await page.getByRole('main').getByRole('link', { name: 'Buy a number' }).first().click();
    await page.getByLabel('Country').selectOption('IN');
    await page.getByLabel('Local').check();
    await page.getByLabel('Contains (optional)').fill('2234567890');
    await submit(page.getByRole('button', { name: 'Search numbers' }));
    const row = page.getByRole('row', { name: SEED_SHOWN });
    await row.waitFor();
    assert.match(await row.textContent(), /\$1\.15\/month/);
    await screenshot('buy-search');

    await submit(row.getByRole('link', { name: `Buy ${SEED_SHOWN}` }));
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), `Buy ${SEED_SHOWN}?`);
    const billing = await page.locator('.billing').textContent();
    assert.match(billing, /Billing starts today/);
    assert.match(billing, /\$1\.15 is charged now for the first month/);
    await screenshot('buy-confirm');

    const bought = await submit(page.getByRole('button', { name: `Buy ${SEED_SHOWN} for $1.15/month` }));
    assert.equal(bought.status(), 200);
    assert.match(page.url(), /\/dashboard\/numbers\/phn_[0-9a-z]+\?notice=purchased/);
    assert.match(await page.getByRole('status').textContent(), /Number bought/);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), SEED_SHOWN);
    numberId = new URL(page.url()).pathname.split('/').pop();
    await screenshot('number-bought');

    const one = await api(`/v1/organization-phone-numbers/${numberId}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.phone_number, SEED);
    assert.equal(one.body.status, 'active');
    assert.equal(one.body.monthly_cost_usd, '1.15');
    const charges = await api(`/v1/billing/charges?phone_number_id=${numberId}`);
    assert.equal(charges.body.total, 1, 'the first month is charged today');
    assert.equal(await page.getByRole('table', { name: /Rental charges/ }).getByRole('row').count(), 2);
  });

  test('renames it; the table shows the nickname', async () => {
    await page.getByLabel('Nickname', { exact: true }).fill('Mumbai sales');
    await page.getByLabel('Label', { exact: true }).fill('Tier 1 support');
    await submit(page.getByRole('button', { name: 'Save name and label' }));
    assert.match(await page.getByRole('status').textContent(), /Name and label saved/);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Mumbai sales');

    const one = await api(`/v1/organization-phone-numbers/${numberId}`);
    assert.equal(one.body.nickname, 'Mumbai sales');
    assert.equal(one.body.label, 'Tier 1 support');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Phone numbers' }).click();
    const row = page.getByRole('row', { name: /Mumbai sales/ });
    await row.waitFor();
    assert.match(await row.textContent(), /\+91 22 3456 7890/);
    assert.match(await row.textContent(), /Active/);
    assert.match(await row.textContent(), /\$1\.15/);
    assert.equal(await page.getByRole('columnheader').count(), 10);
    await screenshot('numbers-table');
  });

  test('creates an agent and routes the number to it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Reception');
    await submit(page.getByRole('button', { name: 'Create agent' }));
    assert.match(await page.getByRole('status').textContent(), /Agent created/);
    await page.getByRole('row', { name: /Reception/ }).waitFor();

    const agents = await api('/v1/agents');
    assert.equal(agents.status, 200);
    const reception = agents.body.items.find((a) => a.name === 'Reception');
    assert.ok(reception, 'the API lists the new agent');
    agentId = reception.id;

    await page.goto(`${BASE}/dashboard/numbers`);
    await submit(page.getByRole('link', { name: 'Mumbai sales' }));
    await page.getByLabel('Inbound calls go to').selectOption({ label: 'Reception' });
    await submit(page.getByRole('button', { name: 'Save routing' }));
    assert.match(await page.getByRole('status').textContent(), /Routing saved/);
    assert.equal(await page.getByLabel('Inbound calls go to').inputValue(), agentId);
    await screenshot('number-routed');

    const one = await api(`/v1/organization-phone-numbers/${numberId}`);
    assert.equal(one.body.inbound_agent_id, agentId);
    assert.equal(one.body.agent_id, agentId);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
    assert.match(await page.getByRole('row', { name: /Reception/ }).textContent(), /1 inbound/);
    await screenshot('agents');
  });

  test('explains the 403 when KYC is missing for a regulated country and type', async () => {
    await page.goto(`${BASE}/dashboard/buy`);
    await page.getByLabel('Country').selectOption('US');
    await page.getByLabel('Toll-free').check();
    await submit(page.getByRole('button', { name: 'Search numbers' }));
    const first = page.getByRole('table', { name: /available numbers/ }).getByRole('row').nth(1);
    assert.match(await first.textContent(), /KYC needed/);
    assert.equal(await first.getByRole('link', { name: 'See KYC status' }).getAttribute('href'), '/dashboard/settings#kyc');
    const results = page.getByRole('table', { name: /available numbers/ });
    assert.equal(await results.getByRole('link', { name: /^Buy / }).count(), 0, 'no Buy button for a blocked number');
    await screenshot('buy-kyc-blocked');

    // Asking for it anyway (an old link, a stale tab): the service's 403, explained.
    const shown = (await first.getByRole('rowheader').textContent()).trim();
    const e164 = '+' + shown.replace(/\D/g, '');
    await page.goto(`${BASE}/dashboard/buy/confirm?phone_number=${encodeURIComponent(e164)}&country=US&type=toll_free`);
    const refused = await submit(page.getByRole('button', { name: new RegExp(`^Buy `) }));
    assert.equal(refused.status(), 403);
    const alert = await page.getByRole('alert').textContent();
    assert.match(alert, /US toll-free numbers require approved KYC/);
    assert.doesNotMatch(alert, /statusCode|\{"/, 'no raw JSON');
    await screenshot('buy-kyc-refused');

    const direct = await api('/v1/organization-phone-numbers/purchase', {
      method: 'POST',
      body: JSON.stringify({ phone_number: e164 }),
    });
    assert.equal(direct.status, 403);
    assert.equal(direct.body.code, 'kyc_required');
    assert.equal((await api('/v1/organization-phone-numbers')).body.total, 1, 'nothing else was bought');

    await submit(page.getByRole('link', { name: "See this workspace's KYC status" }));
    assert.equal(new URL(page.url()).hash, '#kyc');
    const us = page.getByRole('table', { name: 'KYC status per country' }).getByRole('row', { name: /United States/ });
    assert.match(await us.textContent(), /Not started/);
    assert.match(await us.textContent(), /Toll-free/);
    await screenshot('settings');
  });

  test('says someone else just took a number, with fresh results', async () => {
    await page.goto(`${BASE}/dashboard/buy?country=US&type=local&area_code=415`);
    const first = page.getByRole('table', { name: /available numbers/ }).getByRole('row').nth(1);
    const shown = (await first.getByRole('rowheader').textContent()).trim();
    const e164 = '+' + shown.replace(/\D/g, '');
    await submit(first.getByRole('link', { name: `Buy ${shown}` }));

    // Another buyer takes it at the carrier while the confirmation is open.
    const take = await fetch(`${EMULATOR}/_emulator/numbers/${encodeURIComponent(e164)}/take`, { method: 'POST' });
    assert.ok(take.ok, `the emulator took ${e164}`);

    const conflict = await submit(page.getByRole('button', { name: new RegExp(`^Buy `) }));
    assert.equal(conflict.status(), 409);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), `Someone else just took ${shown}`);
    assert.match(await page.getByRole('alert').textContent(), /Nothing was bought and nothing was charged/);
    const fresh = page.getByRole('table', { name: /available numbers/ });
    assert.ok((await fresh.getByRole('link', { name: /^Buy / }).count()) > 0, 'fresh Buy buttons');
    assert.equal(await fresh.getByRole('rowheader', { name: shown, exact: true }).count(), 0, 'the taken number is not offered');
    await screenshot('buy-taken');

    assert.equal((await api('/v1/organization-phone-numbers')).body.total, 1, 'nothing else was bought');
  });

  test('releases it after a confirmation that says what stops', async () => {
    await page.goto(`${BASE}/dashboard/numbers/${numberId}`);
    await submit(page.getByRole('link', { name: 'Release this number…' }));
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Release Mumbai sales?');
    const text = await page.getByRole('main').textContent();
    assert.match(text, /\+91 22 3456 7890/);
    assert.match(text, /Routing stops now/);
    assert.match(text, /no longer reach Reception/);
    assert.match(text, /Billing stops at the end of the paid period/);
    await screenshot('release-confirm');

    await submit(page.getByRole('button', { name: `Release ${SEED_SHOWN}` }));
    assert.match(await page.getByRole('status').textContent(), /Number released/);
    assert.match(await page.locator('.badges').textContent(), /Released/);
    await screenshot('number-released');

    const one = await api(`/v1/organization-phone-numbers/${numberId}`);
    assert.equal(one.body.status, 'released');
    assert.ok(one.body.released_at);
    assert.equal((await api('/v1/organization-phone-numbers')).body.total, 0);

    await page.goto(`${BASE}/dashboard/numbers`);
    await page.getByText('No phone numbers yet').waitFor();
    await page.goto(`${BASE}/dashboard/numbers?status=released`);
    assert.match(await page.getByRole('row', { name: /Mumbai sales/ }).textContent(), /Released/);
  });

  test('signs out', async () => {
    await submit(page.getByRole('button', { name: 'Sign out' }));
    assert.match(await page.getByRole('status').textContent(), /You are signed out/);
    assert.equal((await context.cookies()).some((c) => c.name === 'dnx_session'), false);
    await page.goto(`${BASE}/dashboard/settings`);
    assert.match(page.url(), /\/dashboard\/sign-in/);
  });
});
