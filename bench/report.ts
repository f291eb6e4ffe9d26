/**
 * The bench's output: the figures as one flat object (the JSON line, last), and a table of them
 * with both apps side by side, the ratios and the targets. Ratios read the same way
 * everywhere: above 1 the app is faster than the built-in client. They are medians of ratios of
 * pairs (one sample of each app, taken one after the other), not ratios of medians: the other
 * work on these machines comes and goes, and a pair sees the same.
 */
import { cpus, loadavg } from 'node:os';

import { FLOW_STEPS, type FlowFigures } from './flow';
import type { GetterFigures } from './getter';
import type { InstallFigures } from './install';
import type { AppCodeFigures } from './app-code';
import type { BurstFigures } from './refresh-burst';
import { median, round2 } from './stats';
import type { CommandFigures } from './token-command';

export interface BenchResults {
  getters: GetterFigures;
  commands: CommandFigures;
  flows: FlowFigures;
  /** The same flow's app code alone, on plain Node ports (app-code.ts). */
  appCode: AppCodeFigures;
  burst: BurstFigures;
  installs: InstallFigures;
  packageBytes: number;
  /** Versions of what ran, and the machine's load when the bench started. */
  runtime: { appsEngine: string; deno: string; loadAtStart: number };
  problems: string[];
}

/** The targets (ratios from the same run). */
export const TARGETS = { ratio: 1, installDeltaMs: 50, flowAppShareMs: 2, refreshRequests: 1, packageBytes: 64 * 1024 };

const ops = (samples: number[]) => Math.round(median(samples));
const ms = (samples: number[]) => round2(median(samples));
/** The median of a[i] / b[i]: ratios of figures taken side by side, which a drifting load spares. */
const pairedRatio = (a: number[], b: number[]) => round2(median(a.map((value, i) => value / b[i])));
const pairedDelta = (a: number[], b: number[]) => Math.round(median(a.map((value, i) => value - b[i])));

export function summarize(results: BenchResults) {
  const { getters, commands, flows, burst, installs, appCode: code } = results;
  const flow = (pick: (sample: FlowFigures['samples'][number]) => number) => ms(flows.samples.map(pick));
  const summary = {
    getter_ops_per_s: ops(getters.ours),
    builtin_getter_ops_per_s: ops(getters.builtin),
    getter_ratio_vs_builtin: pairedRatio(getters.ours, getters.builtin),
    getter_per_request_ops_per_s: ops(getters.oursPerRequest),
    getter_samples: getters.ours.length,
    getter_loop: getters.loop,
    token_command_p50_ms: ms(commands.ours),
    builtin_token_command_p50_ms: ms(commands.builtin),
    token_command_ratio_vs_builtin: pairedRatio(commands.builtin, commands.ours),
    token_command_runs: commands.ours.length,
    flow_app_overhead_p50_ms: flow((s) => s.appShare),
    flow_total_p50_ms: flow((s) => s.total),
    flow_app_requests_p50_ms: flow((s) => s.appRequests),
    flow_browser_at_provider_p50_ms: flow((s) => s.browserAtProvider),
    flow_provider_in_app_p50_ms: flow((s) => s.providerInApp),
    flow_engine_cost_p50_ms: flow((s) => s.engine),
    flow_step_share_p50_ms: Object.fromEntries(FLOW_STEPS.map((step) => [step, flow((s) => s.stepShares[step])])),
    flow_round_trips: median(flows.samples.map((s) => s.roundTrips)),
    flow_provider_calls: median(flows.samples.map((s) => s.providerCalls)),
    // A built-in getter call is one round trip (a persistence read) and next to no code: what one
    // round trip costs in a loop inside an app, on this run.
    round_trip_ms: round2(1000 / median(getters.builtin)),
    flow_runs: flows.samples.length,
    engine_command_p50_ms: ms(flows.engineCommand),
    engine_request_p50_ms: ms(flows.engineGet),
    engine_http_bridge_p50_ms: ms(flows.httpBridge),
    refresh_requests_100_concurrent: burst.tokenRequests,
    refresh_getters_with_token: burst.succeeded,
    refresh_burst_ms: Math.round(burst.ms),
    install_enable_ms: Math.round(median(installs.ours)),
    builtin_install_enable_ms: Math.round(median(installs.builtin)),
    install_enable_delta_ms: pairedDelta(installs.ours, installs.builtin),
    install_rounds: installs.ours.length,
    package_bytes: results.packageBytes,
  };
  // The app's share less what its calls to the server cost the engine: each HTTP call to the provider
  // what the bridge costs one (engine-baseline), each other call one round trip. Calls the app makes
  // together are counted as if made one after another, so this is the least the app's code can cost.
  const bridge = median(flows.httpBridge);
  const calls = (s: FlowFigures['samples'][number]) => s.providerCalls * bridge + (s.roundTrips - s.providerCalls) * summary.round_trip_ms;
  const appCode = {
    flow_calls_cost_p50_ms: flow(calls),
    flow_app_share_less_calls_p50_ms: flow((s) => s.appShare - calls(s)),
    flow_app_code_node_p50_ms: round2(median(code.flows)),
  };
  const targets = {
    getter: summary.getter_ratio_vs_builtin >= TARGETS.ratio,
    token_command: summary.token_command_ratio_vs_builtin >= TARGETS.ratio,
    install_enable: summary.install_enable_delta_ms <= TARGETS.installDeltaMs,
    flow_app_overhead: summary.flow_app_overhead_p50_ms < TARGETS.flowAppShareMs,
    flow_app_code: appCode.flow_app_code_node_p50_ms < TARGETS.flowAppShareMs,
    refresh: summary.refresh_requests_100_concurrent === TARGETS.refreshRequests,
    package: summary.package_bytes < TARGETS.packageBytes,
  };
  const cpu = cpus();
  return {
    ...summary,
    ...appCode,
    targets_met: targets,
    machine: {
      cpu_model: cpu[0]?.model ?? 'unknown',
      cpu_cores: cpu.length,
      node: process.version,
      deno: results.runtime.deno,
      apps_engine: results.runtime.appsEngine,
      load_avg_1m_at_start: round2(results.runtime.loadAtStart),
      load_avg_1m_at_end: round2(loadavg()[0]),
    },
    ok: results.problems.length === 0,
    problems: results.problems,
  };
}

export type Summary = ReturnType<typeof summarize>;

const num = (value: number, unit = '') => `${value.toLocaleString('en')}${unit}`;
const met = (yes: boolean) => (yes ? 'met' : 'NOT met');

/** Columns: the first left-aligned, the others right-aligned. */
function grid(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

export function table(s: Summary): string {
  const t = s.targets_met;
  const shares = s.flow_step_share_p50_ms;
  const m = s.machine;
  const delta = `${s.install_enable_delta_ms >= 0 ? '+' : ''}${s.install_enable_delta_ms} ms`;
  const rows = grid([
    ['', 'app', 'built-in', 'app vs built-in', 'target'],
    [
      'token getter, calls/s, inside the app',
      num(s.getter_ops_per_s),
      num(s.builtin_getter_ops_per_s),
      `${s.getter_ratio_vs_builtin}x`,
      `>= 1.0x ${met(t.getter)}`,
    ],
    ['  with a token service per call', num(s.getter_per_request_ops_per_s), '', '', ''],
    [
      'token command, p50',
      num(s.token_command_p50_ms, ' ms'),
      num(s.builtin_token_command_p50_ms, ' ms'),
      `${s.token_command_ratio_vs_builtin}x`,
      `>= 1.0x ${met(t.token_command)}`,
    ],
    ['install + enable, median', num(s.install_enable_ms, ' ms'), num(s.builtin_install_enable_ms, ' ms'), delta, `<= +50 ms ${met(t.install_enable)}`],
    ['package (the product zip)', num(s.package_bytes, ' B'), '', '', `< 65,536 B ${met(t.package)}`],
    [
      '100 getters on one expired token',
      `${s.refresh_requests_100_concurrent} token req.`,
      '',
      `${s.refresh_getters_with_token}/100 got it`,
      `= 1 ${met(t.refresh)}`,
    ],
    [`connect flow, p50 of ${s.flow_runs}`, '', '', '', ''],
    ['  whole flow', num(s.flow_total_p50_ms, ' ms'), '', '', ''],
    ['  - the browser at the provider', num(s.flow_browser_at_provider_p50_ms, ' ms'), '', '', ''],
    ["  = the app's four requests", num(s.flow_app_requests_p50_ms, ' ms'), '', '', ''],
    ['  - the provider inside them', num(s.flow_provider_in_app_p50_ms, ' ms'), '', '', ''],
    ["  - the engine's own cost of them", num(s.flow_engine_cost_p50_ms, ' ms'), '', '', ''],
    ["  = the app's share", num(s.flow_app_overhead_p50_ms, ' ms'), '', '', `< 2 ms ${met(t.flow_app_overhead)}`],
    ["  the app's code alone (plain Node)", num(s.flow_app_code_node_p50_ms, ' ms'), '', '', `< 2 ms ${met(t.flow_app_code)}`],
  ]);
  return [
    `OAuth connector bench: Apps-Engine ${m.apps_engine} runtime (Deno ${m.deno}), Node ${m.node}, ${m.cpu_model} x ${m.cpu_cores}, load ${m.load_avg_1m_at_start} -> ${m.load_avg_1m_at_end}`,
    '',
    ...rows,
    `    by request: command ${shares.command} ms, page ${shares.page} ms, button ${shares.button} ms, callback ${shares.callback} ms`,
    `    it holds the app's code and its ${s.flow_round_trips} calls to the server through the runtime (${s.flow_provider_calls} of them HTTP to the provider);`,
    `    one call costs ${s.round_trip_ms} ms in a loop inside an app (a built-in getter call), an HTTP call through the engine's bridge ${s.engine_http_bridge_p50_ms} ms`,
    `    beyond the provider's time (engine-baseline): counted so, those calls cost ${s.flow_calls_cost_p50_ms} ms a flow and leave ${s.flow_app_share_less_calls_p50_ms} ms;`,
    `    the same flow's code on plain Node ports (memory stores, sealing on, a provider answering at once) takes ${s.flow_app_code_node_p50_ms} ms:`,
    `    the rest is what the runtime charges per call beyond a bare read (writes, messages, pages across its IPC)`,
    '',
    `Getters: ${s.getter_samples} samples of ${s.getter_loop.toLocaleString('en')} calls each, timed inside each app's Deno process, median. Token command: /oauth token demo`,
    `against the built-in sample's /sample-oauth token, ${s.token_command_runs} runs each timed from the harness, alternating. Install: ${s.install_rounds} fresh harnesses.`,
    `Flow: each line is the p50 of that part over the flows (the parts' p50s need not add up). Left out of the app's share: the browser's own`,
    `hops at the provider (timed at the browser), the provider's time inside the app's requests (token exchange and userinfo, timed by a`,
    `proxy in front of it) and the engine's cost of a command, a GET, a POST and a GET that do nothing (engine-baseline app, timed after each`,
    `flow: command p50 ${s.engine_command_p50_ms} ms, request p50 ${s.engine_request_p50_ms} ms). What remains is the app's code and its calls to the server.`,
    `Ratios (above 1: the app is faster) and the install difference are medians over pairs taken one right after the other, which a`,
    `drifting load spares. The bench fails on a wrong count (token requests, a getter without a token), never on a time.`,
  ].join('\n');
}
