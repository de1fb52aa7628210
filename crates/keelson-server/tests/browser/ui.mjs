// Drives Debian's Chromium through Keelson's web UI with playwright-core
// (no browser download). Run by the Rust test `the_web_ui_works_in_a_real_browser`,
// which seeds the store and starts the server; the environment names the
// server, the account and what the seed holds. Fails on any console error,
// page error or failed request, checks every page's landmarks, labels and
// visible focus, walks one triage flow (settling a playbook step and
// downloading an evidence file on the way), fetches the R155 report through
// the reports page's links and saves screenshots. Its last
// stdout line is a JSON summary the Rust test checks against the store.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const base = process.env.KEELSON_URL;
const shots = process.env.KEELSON_SCREENSHOTS;
const hiddenIncident = process.env.KEELSON_HIDDEN_INCIDENT;
const hiddenTitle = process.env.KEELSON_HIDDEN_TITLE;
const caseId = process.env.KEELSON_CASE;
const problems = [];
// A page the reader may not see answers 404 on purpose; that one is expected.
const expected404 = new Set([`${base}/incidents/${hiddenIncident}`]);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  const profile = mkdtempSync(join(tmpdir(), "keelson-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    watch(page);
    const summary = await run(page);
    check(problems.length === 0, `browser problems:\n${problems.join("\n")}`);
    console.log(JSON.stringify(summary));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

function watch(page) {
  page.on("console", (message) => {
    const expected = expected404.has(message.location().url) && message.text().includes("404");
    if (message.type() === "error" && !expected) problems.push(`console error on ${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error on ${page.url()}: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    const status = response.status();
    if (status >= 400 && !(status === 404 && expected404.has(response.url()))) {
      problems.push(`HTTP ${status} for ${response.request().method()} ${response.url()}`);
    }
  });
}

/// Clicks what loads a new document (a link, or a form whose answer
/// redirects) and returns once that document has loaded. Waiting for the
/// load state alone returns at once, while the old page is still shown, so
/// a check or screenshot right after would race the navigation.
async function navigate(page, click) {
  const committed = page.waitForEvent("framenavigated", { predicate: (frame) => frame === page.mainFrame() });
  await click();
  await committed;
  await page.waitForLoadState("load");
}

async function open(page, path) {
  const response = await page.goto(`${base}${path}`);
  check(response && response.ok(), `${path} answered ${response && response.status()}`);
  await accessible(page, path);
}

/// Landmarks, one h1, a label for every visible input, and a focus ring.
async function accessible(page, path) {
  const report = await page.evaluate(() => {
    const visible = (el) => el.type !== "hidden" && el.offsetParent !== null;
    const unlabelled = [...document.querySelectorAll("input, select, textarea")]
      .filter(visible)
      .filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label"))
      .map((el) => el.name || el.id || el.outerHTML.slice(0, 60));
    return {
      banner: !!document.querySelector("header[role=banner]"),
      nav: !!document.querySelector("nav[aria-label=Main]"),
      main: !!document.querySelector("main#main"),
      h1: document.querySelectorAll("h1").length,
      unlabelled,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
    };
  });
  check(report.banner && report.nav && report.main, `${path}: landmarks missing ${JSON.stringify(report)}`);
  check(report.h1 === 1, `${path}: ${report.h1} h1 elements`);
  check(report.unlabelled.length === 0, `${path}: inputs without a label: ${report.unlabelled.join(", ")}`);
  check(report.overflow <= 1, `${path}: the page is ${report.overflow}px wider than the window`);
}

async function focusIsVisible(page) {
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return { text: el.textContent.trim(), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  check(focused.text === "Skip to content", `the first Tab reaches ${JSON.stringify(focused)}`);
  check(focused.outline !== "none" && focused.width >= 2, `focus is not visible: ${JSON.stringify(focused)}`);
  await page.keyboard.press("Enter");
  const inMain = await page.evaluate(() => document.activeElement.id === "main");
  check(inMain, "the skip link does not move focus to the main content");
}

async function signIn(page) {
  await page.goto(`${base}/`);
  check(page.url().endsWith("/login"), `an anonymous visit went to ${page.url()}`);
  await page.getByLabel("User").fill(process.env.KEELSON_USER);
  await page.getByLabel("Password").fill(process.env.KEELSON_PASSWORD);
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole("button", { name: "Sign in" }).click()]);
}

/// Sign out ends the session: the overview sends the reader to sign in again.
async function signOut(page) {
  await Promise.all([page.waitForURL(`${base}/login`), page.getByRole("button", { name: "Sign out" }).click()]);
  await page.goto(`${base}/`);
  check(page.url().endsWith("/login"), `after signing out / went to ${page.url()}`);
}

/// The page area of the section a heading opens, for a screenshot of it.
async function sectionBox(page, heading) {
  const box = await page.locator(heading).locator("..").boundingBox();
  return { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 900) };
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

async function run(page) {
  await signIn(page);
  await accessible(page, "/");
  const svgs = await page.locator("main svg.chart").count();
  check(svgs >= 4, `the overview draws ${svgs} charts`);
  const bodyText = await page.locator("main").innerText();
  check(bodyText.includes("vehicles monitored"), "the overview does not count vehicles");
  check(!bodyText.includes(hiddenTitle), "the overview shows an incident above the reader's clearance");
  await shot(page, "overview");
  await focusIsVisible(page);
  await page.setViewportSize({ width: 800, height: 1100 });
  await accessible(page, "/ at 800px");
  await shot(page, "overview-tablet");
  await page.setViewportSize({ width: 1280, height: 800 });

  const pages = ["/alerts", "/alerts?severity=high&days=30", "/incidents", "/incidents?state=open",
    "/vehicles", "/vehicles/veh-eu-01", "/rules", "/rules/new", "/psirt", "/psirt/builds/tcu-4.1.0",
    "/cases", `/cases/${caseId}`, `/cases/${caseId}?av=A&ac=L&pr=N&ui=N&s=U&c=H&i=H&a=N`,
    "/admin/users", "/admin/tokens", "/admin/audit", "/dashboards",
    "/reports", "/reports?from=2026-01-01&to=2026-12-31&period=week", "/intel", "/playbooks"];
  for (const width of [1280, 800]) {
    await page.setViewportSize({ width, height: 800 });
    for (const path of pages) await open(page, path);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await open(page, "/incidents");
  check(!(await page.locator("main").innerText()).includes(hiddenTitle), "the incident list shows a RED incident");
  const hidden = await page.goto(`${base}/incidents/${hiddenIncident}`);
  check(hidden.status() === 404, `a RED incident answered ${hidden.status()}, not 404`);

  await open(page, "/psirt");
  const portfolio = await page.locator("main").innerText();
  check(portfolio.includes("CVE-2025-10002") && portfolio.includes("KEV"), "the portfolio lacks the KEV finding");
  await shot(page, "portfolio");
  await open(page, "/cases");
  await shot(page, "case-board");
  await open(page, `/cases/${caseId}?av=A&ac=L&pr=N&ui=N&s=U&c=H&i=H&a=N`);
  const score = await page.locator("#cvss-result").innerText();
  check(score.includes("8.1"), `the CVSS calculator says ${score}`);
  await shot(page, "case");
  await open(page, "/rules");
  await shot(page, "rules");
  await open(page, "/admin/audit");
  await shot(page, "audit");
  await reports(page);
  await intel(page);
  await open(page, "/playbooks");
  check((await page.locator("main").innerText()).includes("first-response"), "the playbook list lacks the seeded playbook");
  await shot(page, "playbooks");

  await ruleTest(page);
  const dashboard = await customDashboard(page);
  const walked = await triage(page);
  await signOut(page);
  return { ...walked, dashboard };
}

/// The metrics of the last 30 days, and the R155 report of the same period
/// fetched through its links with the session cookie, as HTML and as PDF.
async function reports(page) {
  await open(page, "/reports");
  const text = await page.locator("main").innerText();
  check(text.includes("MTTR") && text.toLowerCase().includes("t0032"), "the reports page lacks the response times or techniques");
  for (const [name, type, magic] of [["HTML", "text/html", "<!DOCTYPE"], ["PDF", "application/pdf", "%PDF-"]]) {
    const href = await page.getByRole("link", { name: new RegExp(`\\(${name}\\)`) }).getAttribute("href");
    check(href.includes("from=") && href.includes("to="), `the ${name} link names no period: ${href}`);
    const answer = await page.request.get(`${base}${href}`);
    const body = (await answer.body()).subarray(0, 16).toString("latin1");
    check(answer.ok() && answer.headers()["content-type"].startsWith(type) && body.toUpperCase().startsWith(magic.toUpperCase()),
      `the ${name} report answered ${answer.status()} ${answer.headers()["content-type"]} ${JSON.stringify(body)}`);
  }
  await shot(page, "reports");
}

async function intel(page) {
  await open(page, "/intel");
  const text = await page.locator("main").innerText();
  check(text.includes("Rogue diagnostic tester") && text.includes("198.51.100.7"), "the intel page lacks the seeded indicator");
  const patterns = await page.locator("#patterns ~ div table tbody tr").count();
  check(patterns >= 1, `the intel page lists ${patterns} attack patterns`);
  await shot(page, "intel");
}

/// The UDS brute-force rule run over an uploaded capture that fires it once.
async function ruleTest(page) {
  await open(page, "/rules/6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f02");
  const lines = [0, 1, 2, 3, 4, 5].map((n) => JSON.stringify({
    event_id: `bench-${n}`, vehicle_id: "bench-car", ecu: "gateway", source: "uds", kind: "uds.negative_response",
    vehicle_time: `2026-12-01T10:00:0${n}Z`, attributes: { service: 0x27, nrc: 0x35 },
  }));
  await page.getByLabel("Capture file").setInputFiles({
    name: "workshop.ndjson", mimeType: "application/x-ndjson", buffer: Buffer.from(lines.join("\n") + "\n"),
  });
  await navigate(page, () => page.getByRole("button", { name: "Run the rule" }).click());
  await accessible(page, page.url());
  const result = await page.locator("#test-result + p").innerText();
  check(result.includes("6 events") && result.includes("1 alerts"), `the rule test says: ${result}`);
  await shot(page, "rule-test");
}

/// A dashboard of the reader's own with a chart and a table widget.
async function customDashboard(page) {
  await open(page, "/dashboards");
  await page.getByLabel("Title").fill("Night shift");
  await Promise.all([page.waitForURL(/\/dashboards\/.+/), page.getByRole("button", { name: "Create" }).click()]);
  const id = page.url().split("/dashboards/")[1];
  await accessible(page, page.url());
  const widgets = [
    { title: "High alerts per vehicle", kind: "chart", source: "alerts", group: "vehicle", severity: "high" },
    { title: "Open incidents", kind: "table", source: "incidents", group: "severity", state: "open" },
  ];
  for (const widget of widgets) {
    await page.getByLabel("Title").fill(widget.title);
    await page.getByLabel("Show as").selectOption(widget.kind);
    await page.getByLabel("Records").selectOption(widget.source);
    await page.getByLabel("Chart groups by").selectOption(widget.group);
    if (widget.severity) await page.getByLabel("Severity").selectOption(widget.severity);
    if (widget.state) await page.getByLabel("Incident state").selectOption(widget.state);
    await navigate(page, () => page.getByRole("button", { name: "Add widget" }).click());
    await accessible(page, page.url());
  }
  const charts = await page.locator("main svg.chart").count();
  const rows = await page.locator("main table tbody tr").count();
  check(charts === 1 && rows > 0, `the dashboard shows ${charts} charts and ${rows} table rows`);
  check(!(await page.locator("main").innerText()).includes(hiddenTitle), "a widget shows a RED incident");
  await shot(page, "dashboard");
  return id;
}

/// Alert -> incident -> acknowledge -> containment note -> escalate.
async function triage(page) {
  await open(page, "/alerts?severity=high");
  await shot(page, "alerts");
  await navigate(page, () => page.locator("main table a[href^='/alerts/']").first().click());
  await accessible(page, page.url());
  await navigate(page, () => page.getByRole("link", { name: "Open the incident" }).click());
  const incident = page.url().split("/incidents/")[1];
  check(incident, `the alert did not lead to an incident: ${page.url()}`);
  await accessible(page, page.url());

  await page.getByLabel("New state").selectOption("acknowledged");
  await page.getByLabel("Reason").fill("triaged from the browser test");
  await navigate(page, () => page.getByRole("button", { name: "Move" }).click());
  const summary = await page.locator("#summary + dl").innerText();
  check(summary.includes("acknowledged"), `the incident did not move: ${summary}`);

  const note = "Blocked diagnostic access over the telematics gateway";
  await page.getByLabel("Action taken").fill(note);
  await page.getByLabel("Scope").fill("affected vehicles");
  await navigate(page, () => page.getByRole("button", { name: "Record containment" }).click());
  check((await page.locator("main").innerText()).includes(note), "the containment note is not shown");
  const runs = await page.locator("#runs").locator("..").innerText();
  check(runs.includes("first-response") && runs.includes("Remote diagnostics held"), `the playbook run is not shown: ${runs}`);
  const settled = "Two dealers had a tester connected";
  await page.getByLabel("What was done or found").fill(settled);
  await navigate(page, () => page.getByRole("button", { name: "Settle step" }).click());
  const after = await page.locator("#runs").locator("..").innerText();
  check(after.includes(settled) && after.includes(process.env.KEELSON_USER), `the manual step was not settled: ${after}`);
  await page.locator("#runs").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "incident-playbook.png"), clip: await sectionBox(page, "#runs") });
  const file = await page.locator("#files").locator("..").innerText();
  check(file.includes("gateway-dlt.log"), `the evidence file is not listed: ${file}`);
  const download = await page.getByRole("link", { name: "Download" }).first().getAttribute("href");
  const fetched = await page.request.get(`${base}${download}`);
  check(fetched.ok() && (await fetched.text()).startsWith("gateway DLT log"), `the evidence download answered ${fetched.status()}`);
  await page.getByRole("textbox", { name: "Comment" }).fill("Seed and key attempts from a workshop tester?");
  await navigate(page, () => page.getByRole("button", { name: "Add comment" }).click());
  await shot(page, "incident");

  await page.getByLabel("Notes for the PSIRT").fill("Five rejected keys per vehicle within a minute.");
  await page.getByLabel("Provisional CVSS vector (optional)").fill("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N");
  await Promise.all([page.waitForURL(/\/cases\//), page.getByRole("button", { name: "Escalate to a PSIRT case" }).click()]);
  const escalatedCase = page.url().split("/cases/")[1];
  await accessible(page, page.url());
  const casePage = await page.locator("main").innerText();
  check(casePage.includes("Escalated from the VSOC") && casePage.includes(note), "the case lacks the hand-over");
  await shot(page, "escalated-case");
  return { incident, escalated_case: escalatedCase, containment: note, settled_step: settled };
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
