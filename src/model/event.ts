/** Events: what happened to which object, for `tend events`, `describe` and the API. */

export interface TendEvent {
  /** ISO 8601. */
  readonly time: string;
  /** `process/web`, or `manifests` for events about the manifest directory. */
  readonly object: string;
  readonly instance?: string;
  readonly type: 'Normal' | 'Warning';
  /** Alerts only. */
  readonly severity?: 'warning' | 'critical';
  /** PascalCase and stable: `Started`, `Exited`, `BackOff`, `ManifestInvalid`, ... */
  readonly reason: string;
  readonly message: string;
}

/** Where events go; the controller never cares how they are stored. */
export interface EventSink {
  /** Records an event that happens now, or at `at` (ms since the epoch) when it was seen late (an exit). */
  record(event: Omit<TendEvent, 'time'> & { readonly at?: number }): void;
}

/** An event as a plan or a pass says it: the time is added when it is recorded (`at`, or now). */
export type EventDraft = Omit<TendEvent, 'time'> & { readonly at?: number };
