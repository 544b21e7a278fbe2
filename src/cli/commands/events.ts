/**
 * `tend events`: the event stream, from a running controller (live with `-f`) or from the state
 * dir's event log when none runs. `-o json` prints one JSON object per line.
 */
import { readFileSync } from 'node:fs';
import type { TendEvent } from '../../model/event.ts';
import { callApi, controllerRunning, streamApi } from '../../api/client.ts';
import { eventLogPath } from '../../platform/event-log.ts';
import type { CliContext } from '../context.ts';
import { keyOf } from '../views.ts';
import { targetKey } from '../target-arg.ts';

// KIND/NAME stands as written (a deleted object's events remain); a bare NAME must name an object.
async function forKeyOf(ctx: CliContext, target: string | undefined): Promise<string | undefined | null> {
  if (target === undefined) return undefined;
  if (target.includes('/')) return keyOf(target);
  return (await targetKey(ctx, target)) ?? null;
}

/** Runs `tend events`. */
export async function run(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const forKey = await forKeyOf(ctx, values.for as string | undefined);
  if (forKey === null) return 1;
  const print = (event: TendEvent): void => {
    if (forKey && event.object !== forKey) return;
    process.stdout.write(ctx.output === 'table' ? `${formatEvent(event)}\n` : `${JSON.stringify(event)}\n`);
  };
  if (await controllerRunning(ctx.stateDir)) {
    const query = forKey ? `&for=${encodeURIComponent(forKey)}` : '';
    if (values.follow) {
      await streamApi(ctx.stateDir, `/v1/events?follow=1${query}`, (data) => print(data as TendEvent));
      return 0;
    }
    const { body } = await callApi(ctx.stateDir, 'GET', `/v1/events?${query.slice(1)}`);
    for (const event of (body as { items: TendEvent[] }).items) print(event);
    return 0;
  }
  for (const event of readEventLog(ctx.stateDir)) print(event);
  if (values.follow) process.stderr.write('tend: no controller is running; nothing more will arrive\n');
  return 0;
}

/** Events recorded in the state dir's event log, oldest first. */
export function readEventLog(stateDir: string): TendEvent[] {
  let text: string;
  try {
    text = readFileSync(eventLogPath(stateDir), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    try {
      return line ? [JSON.parse(line) as TendEvent] : [];
    } catch {
      return [];
    }
  });
}

/** `2026-11-28T05:00:00Z  Warning  BackOff  process/web web-0  message`. */
export function formatEvent(event: TendEvent): string {
  const who = event.instance ? `${event.object} ${event.instance}` : event.object;
  return `${event.time}  ${event.type.padEnd(7)}  ${event.reason.padEnd(16)}  ${who}  ${event.message}`;
}
