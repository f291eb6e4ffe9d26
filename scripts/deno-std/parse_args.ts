// Stand-in for `jsr:@std/cli/parse-args` (jsr.io is unreachable where this project installs).
// The Apps-Engine runtime (deno-runtime/lib/parseArgs.ts) only parses its own command line:
//   main.ts --subprocess <appId> --spawnId <n> [--metricsReportFrequencyInMs <n>]
// This keeps @std/cli's default behaviour for that shape: `--key value`, `--key=value`,
// a bare `--flag` is `true`, numeric-looking values become numbers, the rest goes to `_`.

export type Args = { _: Array<string | number>; [key: string]: unknown };

const NUMBER = /^(?:0x[0-9a-f]+|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)$/i;

function toValue(raw: string): string | number {
  return NUMBER.test(raw) ? Number(raw) : raw;
}

export function parseArgs(args: string[]): Args {
  const result: Args = { _: [] };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];

    if (arg === '--') {
      result._.push(...args.slice(i + 1).map(toValue));
      break;
    }

    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq !== -1) {
        result[arg.slice(2, eq)] = toValue(arg.slice(eq + 1));
        continue;
      }
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        result[arg.slice(2)] = toValue(next);
        i++;
      } else {
        result[arg.slice(2)] = true;
      }
      continue;
    }

    if (arg.startsWith('-') && arg.length > 1 && !NUMBER.test(arg)) {
      for (const letter of arg.slice(1)) {
        result[letter] = true;
      }
      continue;
    }

    result._.push(toValue(arg));
  }

  return result;
}
