/**
 * The data the Kubernetes renderer takes and gives: manifest objects as written (with a way to
 * find each field in its file), Kubernetes objects as plain data, and a report for every field
 * that has no faithful Kubernetes form. Plain readonly data; no I/O.
 */
import type { FieldPath, Position } from '../../manifest/diagnostics.ts';
import type { Kind } from '../../model/object.ts';

/** A Kubernetes object as plain JSON-like data. */
export type KubeObject = { readonly apiVersion: string; readonly kind: string; readonly metadata: KubeMeta } & Readonly<Record<string, unknown>>;

/** `metadata` of a rendered object. */
export interface KubeMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An `envFrom` file as the loader read it: its entries in file order, or absent (an optional file that is missing). */
export type EnvFileContent = { readonly found: true; readonly entries: readonly (readonly [string, string])[] } | { readonly found: false };

/** One manifest object to render, as written (validated) plus where its fields are. */
export interface RenderSource {
  readonly kind: Kind;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The validated spec as written. It may hold secret values: they go into Secrets only. */
  readonly spec: Readonly<Record<string, unknown>>;
  /** The manifest file as tend names it in messages (`manifests/web.yaml`). */
  readonly file: string;
  /** The manifest file relative to the manifest directory, for the `tend.dev/source` annotation. */
  readonly sourcePath: string;
  /** Where a field is written (its key), or the nearest enclosing field that is. */
  readonly locate: (path: FieldPath) => Position;
  /** The program's `envFrom` files, by index (the pool template's for a ProcessPool). */
  readonly envFiles: readonly EnvFileContent[];
}

/** Choices of the command line. */
export interface RenderOptions {
  readonly namespace?: string;
  /** Image for programs without `spec.image`. */
  readonly image?: string;
  /** Image with kubectl, for the init containers that wait for dependencies. */
  readonly waitImage: string;
}

/** A field written in a manifest that the rendered objects do not carry (or only approximately). */
export interface NotRendered {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** `process/web`. */
  readonly object: string;
  /** Dotted path as written, e.g. `spec.backoff`. */
  readonly field: string;
  readonly why: string;
}

/** A manifest that cannot be rendered at all (no image, two objects rendering to one name). */
export interface RenderProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** What rendering gave: objects in apply order, reports in manifest order, and problems. */
export interface RenderResult {
  readonly objects: readonly KubeObject[];
  readonly notRendered: readonly NotRendered[];
  readonly problems: readonly RenderProblem[];
}

/** The annotation that lists, one per line, the fields of the object's manifest that were not rendered. */
export const NOT_RENDERED_ANNOTATION = 'tend.dev/not-rendered';
/** The annotation naming the manifest file an object was rendered from. */
export const SOURCE_ANNOTATION = 'tend.dev/source';
/** Labels that select an object's pods: its tend kind and name. */
export const KIND_LABEL = 'tend.dev/kind';
export const NAME_LABEL = 'tend.dev/name';
