/** How `tend up` prints what it does: one line per event, warnings coloured. Pure. */
import type { TendEvent } from '../../model/event.ts';
import { paint } from './color.ts';

/** `15:26:23  Started        process/web web-0  web-0 started (pid 24523)` */
export function actionLine(event: TendEvent, color: boolean): string {
  const time = event.time.slice(11, 19);
  const reason = event.reason.padEnd(14);
  const shown = event.type === 'Warning' ? paint(reason, event.severity === 'warning' ? 'yellow' : 'red', color) : paint(reason, 'green', color);
  const who = event.instance ? `${event.object} ${event.instance}` : event.object;
  return `${paint(time, 'dim', color)}  ${shown} ${who}  ${event.message}\n`;
}
