/**
 * Calico's label selector language, as its tokenizer and parser read it (libcalico-go
 * lib/selector/tokenizer/tokenizer.go, parser/parser.go, parser/ast.go), and its evaluation against
 * a Node's `metadata.labels` (BGPPeer `nodeSelector` / `peerSelector`, IPPool `nodeSelector`).
 *
 * ```
 * selector := ε | or                       (the empty selector is all())
 * or       := and ( "||" and )*
 * and      := op ( "&&" op )*
 * op       := "!"* ( "all()" | "global()" | "has(" label ")" | "(" or ")"
 *                  | label "==" str | label "!=" str
 *                  | label "contains" str | label "starts with" str | label "ends with" str
 *                  | label "in" "{" [ str ( "," str )* [","] ] "}" | label "not in" "{" ... "}" )
 * label    := [A-Za-z0-9_./-]{1,512}
 * str      := '...' | "..."                (no escapes: a string ends at the next quote of its kind)
 * ```
 *
 * Exactly Calico's rules, including the odd ones: whitespace is only space and tab; each `!` flips
 * the negation (`!!has(a)` is `has(a)`); `has(`, `all(` and `global(` are written without a space
 * before the parenthesis (inside it spaces are allowed); the word operators are only recognised
 * right after a label and need a word boundary after them (`notin`, `startswith`, `endswith` are
 * accepted); a set may be empty and may end with a comma. On a missing label, `==`, `in`,
 * `contains`, `starts with`, `ends with` and `has` are false, `!=` and `not in` are true.
 *
 * Errors carry the 0-based character position where reading stopped. Pure.
 */

export type SelectorNode =
  | { readonly kind: 'all' }
  | { readonly kind: 'global' }
  | { readonly kind: 'has'; readonly label: string }
  | { readonly kind: 'eq' | 'ne' | 'contains' | 'starts-with' | 'ends-with'; readonly label: string; readonly value: string }
  | { readonly kind: 'in' | 'not-in'; readonly label: string; readonly values: ReadonlySet<string> }
  | { readonly kind: 'not'; readonly operand: SelectorNode }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly SelectorNode[] };

export type ParsedSelector =
  | { readonly ok: true; readonly selector: SelectorNode }
  | { readonly ok: false; readonly error: string; readonly position: number };

/** Labels as Calico stores them: a string map. */
export type Labels = Readonly<Record<string, string>>;

/** libcalico-go tokenizer MaxLabelLength. */
export const MAX_LABEL_LENGTH = 512;

type TokenKind =
  | 'label'
  | 'string'
  | '{'
  | '}'
  | ','
  | '=='
  | '!='
  | 'in'
  | '!'
  | 'not in'
  | 'contains'
  | 'starts with'
  | 'ends with'
  | 'all'
  | 'has'
  | '('
  | ')'
  | '&&'
  | '||'
  | 'global'
  | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  /** Position of the token's first character. */
  readonly at: number;
}

class SelectorSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.position = position;
  }
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isIdentifierChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_./-]$/.test(c);

/** End of the run of identifier characters starting at `i`. */
function identifierEnd(text: string, i: number): number {
  let j = i;
  while (j < text.length && isIdentifierChar(text[j])) j++;
  return j;
}

function skipSpaces(text: string, i: number): number {
  let j = i;
  while (isSpace(text[j])) j++;
  return j;
}

/** Reads a label at `i`: [A-Za-z0-9_./-]{1,512}. */
function readIdentifier(text: string, i: number): { value: string; end: number } {
  const end = identifierEnd(text, i);
  if (end === i) throw new SelectorSyntaxError('expected identifier', i);
  if (end - i > MAX_LABEL_LENGTH) throw new SelectorSyntaxError(`label too long (more than ${MAX_LABEL_LENGTH} characters)`, i);
  return { value: text.slice(i, end), end };
}

/** `word` at `i` followed by a word boundary (end of text, or a character that is not part of a label). */
function wordAt(text: string, i: number, word: string): number | undefined {
  if (!text.startsWith(word, i)) return undefined;
  const end = i + word.length;
  return isIdentifierChar(text[end]) ? undefined : end;
}

/** Two words with optional spaces between them ("not in", "notin"); the boundary is checked after the second only. */
function twoWordsAt(text: string, i: number, first: string, second: string): number | undefined {
  if (!text.startsWith(first, i)) return undefined;
  const j = skipSpaces(text, i + first.length);
  if (!text.startsWith(second, j)) return undefined;
  const end = skipSpaces(text, j + second.length);
  return isIdentifierChar(text[end]) ? undefined : end;
}

/** `name(` at `i`, optional spaces, `)`: all(), global(). */
function emptyCall(text: string, i: number, name: string): number | undefined {
  if (!text.startsWith(`${name}(`, i)) return undefined;
  const j = skipSpaces(text, i + name.length + 1);
  if (text[j] !== ')') throw new SelectorSyntaxError(`no closing ')' after ${name}(`, j);
  return j + 1;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  for (;;) {
    i = skipSpaces(text, i);
    if (i >= text.length) {
      tokens.push({ kind: 'eof', value: '', at: i });
      return tokens;
    }
    const at = i;
    const c = text[i];
    const push = (kind: TokenKind, end: number, value = ''): void => {
      tokens.push({ kind, value, at });
      i = end;
    };
    switch (c) {
      case '(':
      case ')':
      case '{':
      case '}':
      case ',':
        push(c, i + 1);
        continue;
      case '"':
      case "'": {
        const close = text.indexOf(c, i + 1);
        if (close < 0) throw new SelectorSyntaxError('unterminated string', at);
        push('string', close + 1, text.slice(i + 1, close));
        continue;
      }
      case '=':
        if (text[i + 1] !== '=') throw new SelectorSyntaxError('expected ==', at);
        push('==', i + 2);
        continue;
      case '!':
        if (text[i + 1] === '=') push('!=', i + 2);
        else push('!', i + 1);
        continue;
      case '&':
        if (text[i + 1] !== '&') throw new SelectorSyntaxError('expected &&', at);
        push('&&', i + 2);
        continue;
      case '|':
        if (text[i + 1] !== '|') throw new SelectorSyntaxError('expected ||', at);
        push('||', i + 2);
        continue;
    }
    const last = tokens[tokens.length - 1];
    if (last?.kind === 'label') {
      // Right after a label only an operator may follow.
      let end: number | undefined;
      if ((end = wordAt(text, i, 'contains')) !== undefined) push('contains', end);
      else if ((end = twoWordsAt(text, i, 'starts', 'with')) !== undefined) push('starts with', end);
      else if ((end = twoWordsAt(text, i, 'ends', 'with')) !== undefined) push('ends with', end);
      else if ((end = twoWordsAt(text, i, 'not', 'in')) !== undefined) push('not in', end);
      else if ((end = wordAt(text, i, 'in')) !== undefined) push('in', end);
      else throw new SelectorSyntaxError(`${expectedOperator(last.value)}, got ${JSON.stringify(text.slice(i, Math.max(identifierEnd(text, i), i + 1)))}`, at);
      continue;
    }
    if (text.startsWith('has(', i)) {
      const label = readIdentifier(text, skipSpaces(text, i + 4));
      const close = skipSpaces(text, label.end);
      if (text[close] !== ')') throw new SelectorSyntaxError("no closing ')' after has(", close);
      push('has', close + 1, label.value);
      continue;
    }
    const all = emptyCall(text, i, 'all');
    if (all !== undefined) {
      push('all', all);
      continue;
    }
    const global = emptyCall(text, i, 'global');
    if (global !== undefined) {
      push('global', global);
      continue;
    }
    const label = readIdentifier(text, i);
    push('label', label.end, label.value);
  }
}

const expectedOperator = (label: string): string =>
  `expected an operator (==, !=, in, not in, contains, starts with, ends with) after label ${JSON.stringify(label)}`;

const describe = (t: Token): string => {
  switch (t.kind) {
    case 'eof':
      return 'end of selector';
    case 'label':
      return `label ${JSON.stringify(t.value)}`;
    case 'string':
      return `string ${JSON.stringify(t.value)}`;
    case 'has':
      return `has(${t.value})`;
    case 'all':
    case 'global':
      return `${t.kind}()`;
    default:
      return `"${t.kind}"`;
  }
};

/** Recursive descent over the tokens, as parser.go does it (`||` binds loosest). */
class Parser {
  readonly #tokens: readonly Token[];
  #i = 0;

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  get #peek(): Token {
    return this.#tokens[this.#i] ?? this.#tokens[this.#tokens.length - 1] ?? { kind: 'eof', value: '', at: 0 };
  }

  #next(): Token {
    const t = this.#peek;
    if (this.#i < this.#tokens.length - 1) this.#i++;
    return t;
  }

  root(): SelectorNode {
    if (this.#peek.kind === 'eof') return { kind: 'all' };
    const node = this.#or();
    const rest = this.#peek;
    if (rest.kind !== 'eof') throw new SelectorSyntaxError(`unexpected content at end of selector: ${describe(rest)}`, rest.at);
    return node;
  }

  #or(): SelectorNode {
    const operands = [this.#and()];
    while (this.#peek.kind === '||') {
      this.#next();
      operands.push(this.#and());
    }
    return operands.length === 1 && operands[0] ? operands[0] : { kind: 'or', operands };
  }

  #and(): SelectorNode {
    const operands = [this.#operation()];
    while (this.#peek.kind === '&&') {
      this.#next();
      operands.push(this.#operation());
    }
    return operands.length === 1 && operands[0] ? operands[0] : { kind: 'and', operands };
  }

  #operation(): SelectorNode {
    let negated = false;
    while (this.#peek.kind === '!') {
      this.#next();
      negated = !negated;
    }
    const node = this.#positive();
    return negated ? { kind: 'not', operand: node } : node;
  }

  #string(): string {
    const t = this.#next();
    if (t.kind !== 'string') throw new SelectorSyntaxError(`expected a quoted string, got ${describe(t)}`, t.at);
    return t.value;
  }

  #positive(): SelectorNode {
    const t = this.#next();
    switch (t.kind) {
      case 'has':
        return { kind: 'has', label: t.value };
      case 'all':
        return { kind: 'all' };
      case 'global':
        return { kind: 'global' };
      case '(': {
        const inner = this.#or();
        const close = this.#next();
        if (close.kind !== ')') throw new SelectorSyntaxError(`expected ")", got ${describe(close)}`, close.at);
        return inner;
      }
      case 'label':
        return this.#comparison(t.value);
      default:
        throw new SelectorSyntaxError(`unexpected ${describe(t)}`, t.at);
    }
  }

  #comparison(label: string): SelectorNode {
    const op = this.#next();
    switch (op.kind) {
      case '==':
        return { kind: 'eq', label, value: this.#string() };
      case '!=':
        return { kind: 'ne', label, value: this.#string() };
      case 'contains':
        return { kind: 'contains', label, value: this.#string() };
      case 'starts with':
        return { kind: 'starts-with', label, value: this.#string() };
      case 'ends with':
        return { kind: 'ends-with', label, value: this.#string() };
      case 'in':
      case 'not in': {
        const open = this.#next();
        if (open.kind !== '{') throw new SelectorSyntaxError(`expected a set literal "{...}", got ${describe(open)}`, open.at);
        const values = new Set<string>();
        for (let t = this.#peek; t.kind === 'string'; t = this.#peek) {
          values.add(this.#next().value);
          const sep: Token = this.#peek;
          if (sep.kind !== ',') break;
          this.#next();
        }
        const close = this.#next();
        if (close.kind !== '}') throw new SelectorSyntaxError(`expected "}", got ${describe(close)}`, close.at);
        return { kind: op.kind === 'in' ? 'in' : 'not-in', label, values };
      }
      default:
        throw new SelectorSyntaxError(`${expectedOperator(label)}, got ${describe(op)}`, op.at);
    }
  }
}

/** Parses a selector; an error says what was expected and where (0-based position). */
export function parseSelector(text: string): ParsedSelector {
  try {
    return { ok: true, selector: new Parser(tokenize(text)).root() };
  } catch (e) {
    if (e instanceof SelectorSyntaxError) return { ok: false, error: e.message, position: e.position };
    throw e;
  }
}

/** Calico's Evaluate: missing labels make ==, in, contains, starts with, ends with and has false; != and not in true. */
export function evaluateSelector(node: SelectorNode, labels: Labels): boolean {
  const get = (label: string): string | undefined => (Object.hasOwn(labels, label) ? labels[label] : undefined);
  switch (node.kind) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return get(node.label) !== undefined;
    case 'eq':
      return get(node.label) === node.value;
    case 'ne':
      return get(node.label) !== node.value;
    case 'contains': {
      const v = get(node.label);
      return v !== undefined && v.includes(node.value);
    }
    case 'starts-with': {
      const v = get(node.label);
      return v !== undefined && v.startsWith(node.value);
    }
    case 'ends-with': {
      const v = get(node.label);
      return v !== undefined && v.endsWith(node.value);
    }
    case 'in': {
      const v = get(node.label);
      return v !== undefined && node.values.has(v);
    }
    case 'not-in': {
      const v = get(node.label);
      return v === undefined || !node.values.has(v);
    }
    case 'not':
      return !evaluateSelector(node.operand, labels);
    case 'and':
      return node.operands.every((o) => evaluateSelector(o, labels));
    case 'or':
      return node.operands.some((o) => evaluateSelector(o, labels));
  }
}

/** "at 7: expected ..." for logs and SkippedResource reasons. */
export function formatSelectorError(text: string, error: string, position: number): string {
  return `selector ${JSON.stringify(text)}: ${error} (at character ${position})`;
}
