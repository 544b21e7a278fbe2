/**
 * The `maxAmount` schema keyword: an upper bound on the amount a duration, quantity or CPU
 * string stands for (`"876000h"` is a valid duration but 100 years). JSON Schema's `maximum`
 * only sees numbers, and a pattern cannot bound a value, so the schemas name the unit and the
 * limit and this keyword generates the check as plain code, which ajv's standalone output can
 * carry. It reads nothing and is added to ajv by validators.ts.
 *
 * The inline parsers mirror `parseDuration`, `parseQuantity` and `parseCpu` of normalize.ts on
 * every string the schemas' patterns accept (a test holds them equal); on text that a pattern
 * refuses they give 0, so the pattern alone reports it.
 */
import type { CodeKeywordDefinition, KeywordCxt } from 'ajv';
import type * as Codegen from 'ajv/dist/compile/codegen/index.js';

/** The keyword's value in a schema: `{"unit": "duration", "limit": 315360000000, "text": "87600h (10 years)"}`. */
export interface AmountBound {
  readonly unit: AmountUnit;
  /** In ms, bytes or cores. */
  readonly limit: number;
  /** The limit as users write it, for messages. */
  readonly text: string;
}

/** What an amount is measured in. */
export type AmountUnit = 'duration' | 'bytes' | 'cores';

/** Each unit's parser as a JavaScript function expression, over a string that passed its pattern. */
export const AMOUNT_PARSERS: Readonly<Record<AmountUnit, string>> = {
  duration:
    '((t)=>{let n=0;for(const m of t.matchAll(/([0-9]+(?:[.][0-9]+)?)(ms|s|m|h)/g))n+=Number(m[1])*{ms:1,s:1e3,m:6e4,h:36e5}[m[2]];return n})',
  bytes:
    '((t)=>{const m=/^([0-9]+(?:[.][0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(t);' +
    'return m?Number(m[1])*{"":1,k:1e3,M:1e6,G:1e9,T:1e12,P:1e15,E:1e18,Ki:1024,Mi:1048576,Gi:1073741824,' +
    'Ti:1099511627776,Pi:1125899906842624,Ei:1152921504606846976}[m[2]||""]:0})',
  cores: '((t)=>{const m=/^([0-9]+)m$/.exec(t);return m?Number(m[1])/1000:/^[0-9]+(?:[.][0-9]+)?$/.test(t)?Number(t):0})',
};

/** The keyword definition, built with the code generator of the ajv instance that uses it. */
export function amountKeyword(codegen: Pick<typeof Codegen, '_'>): CodeKeywordDefinition {
  const { _ } = codegen;
  // Static code goes into the template's literal part; ajv quotes every string argument.
  const raw = (code: string): Codegen.Code => {
    const literal: unknown = Object.assign([code], { raw: [code] });
    return _(literal as TemplateStringsArray);
  };
  return {
    keyword: 'maxAmount',
    type: 'string',
    schemaType: 'object',
    code(cxt: KeywordCxt) {
      const bound = cxt.schema as AmountBound;
      const parser = AMOUNT_PARSERS[bound.unit];
      cxt.fail(_`!(${raw(parser)}(${cxt.data}) <= ${bound.limit})`);
    },
  };
}

/** True when `value` is a {@link AmountBound} (the schema of a `maxAmount` error). */
export function isAmountBound(value: unknown): value is AmountBound {
  return typeof value === 'object' && value !== null && typeof (value as AmountBound).text === 'string' && typeof (value as AmountBound).limit === 'number';
}
