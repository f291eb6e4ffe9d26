/**
 * The service's log: one JSON line per entry on stdout (what container platforms collect), every
 * argument passed through the core's redaction, and the configured secrets masked wherever they
 * appear, so no token or secret reaches a log line.
 */
import { redactingLogger, type Logger } from '../core/redact';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function jsonLineLogger(options: { level?: Level; secrets: () => ReadonlyArray<string | undefined>; write?: (line: string) => void }): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const entry =
    (level: Level) =>
    (message: string, ...args: unknown[]) => {
      if (ORDER[level] < threshold) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...(args.length ? { details: args } : {}) }));
    };
  const inner: Logger = { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
  return redactingLogger(inner, options.secrets);
}
