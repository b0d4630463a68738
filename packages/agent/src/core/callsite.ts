import { relative, sep } from 'node:path';

const AGENT_DIR = __dirname.slice(0, __dirname.lastIndexOf(`${sep}dist`) > 0 ? __dirname.lastIndexOf(`${sep}dist`) : __dirname.lastIndexOf(`${sep}src`));

/**
 * The app frame that led to the sink: the first stack frame outside Vigil,
 * node_modules and Node's internals, as `relative/file.js:line`. Costs a stack
 * capture, so callers ask only when a finding or a baseline needs it.
 */
export function appCallSite(cwd: string): string | undefined {
  const frames = captureFrames(40);
  for (const frame of frames) {
    const file = frame.file;
    if (file.startsWith('node:') || file.includes(`${sep}node_modules${sep}`) || file.startsWith(AGENT_DIR)) continue;
    const path = file.startsWith('file://') ? file.slice(7) : file;
    return `${relative(cwd, path)}:${frame.line}`;
  }
  return undefined;
}

/** Short stack for events (enableStackTraces), Vigil's own frames removed. */
export function appStack(limit = 15): string[] {
  const out: string[] = [];
  for (const frame of captureFrames(limit + 20)) {
    if (frame.file.startsWith(AGENT_DIR)) continue;
    out.push(`${frame.fn || '<anonymous>'} (${frame.file}:${frame.line}:${frame.column})`);
    if (out.length >= limit) break;
  }
  return out;
}

interface Frame {
  file: string;
  line: number;
  column: number;
  fn: string;
}

function captureFrames(limit: number): Frame[] {
  const previousLimit = Error.stackTraceLimit;
  const previousPrepare = Error.prepareStackTrace;
  Error.stackTraceLimit = limit;
  Error.prepareStackTrace = (_err, callSites) => callSites;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.captureStackTrace(holder, captureFrames);
    const sites = holder.stack ?? [];
    const frames: Frame[] = [];
    for (const site of sites) {
      const file = site.getFileName();
      if (file === undefined || file === null) continue;
      frames.push({ file, line: site.getLineNumber() ?? 0, column: site.getColumnNumber() ?? 0, fn: site.getFunctionName() ?? '' });
    }
    return frames;
  } finally {
    Error.stackTraceLimit = previousLimit;
    Error.prepareStackTrace = previousPrepare;
  }
}
