/**
 * OpenAlgo's shape-A validation errors put `str(marshmallow_errors)` in `message`: a Python repr such
 * as `{'quantity': ['Missing data for required field.']}` or, for basket items,
 * `{'orders': {0: {'quantity': [...]}}}`. This parses that literal subset (dicts, lists, tuples,
 * quoted strings, numbers, True/False/None) without eval. Returns undefined when the text is not one.
 */
export function parsePythonLiteral(text: string): unknown {
  const p = new Parser(text);
  try {
    p.ws();
    const v = p.value();
    p.ws();
    return p.done() ? v : undefined;
  } catch {
    return undefined;
  }
}

class Parser {
  #i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.#i >= this.s.length;
  }

  ws(): void {
    while (this.#i < this.s.length && /\s/.test(this.s[this.#i]!)) this.#i++;
  }

  #peek(): string {
    const c = this.s[this.#i];
    if (c === undefined) throw new Error('unexpected end');
    return c;
  }

  #expect(c: string): void {
    if (this.s[this.#i] !== c) throw new Error(`expected ${c} at ${this.#i}`);
    this.#i++;
  }

  value(): unknown {
    const c = this.#peek();
    if (c === '{') return this.#dict();
    if (c === '[') return this.#seq('[', ']');
    if (c === '(') return this.#seq('(', ')');
    if (c === "'" || c === '"') return this.#str();
    return this.#atom();
  }

  #dict(): Record<string, unknown> {
    this.#expect('{');
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.#peek() === '}') {
      this.#i++;
      return out;
    }
    for (;;) {
      this.ws();
      const k = this.value();
      this.ws();
      this.#expect(':');
      this.ws();
      // defineProperty: a key named "__proto__" must stay data, not replace the prototype.
      Object.defineProperty(out, String(k), {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.ws();
      const c = this.#peek();
      this.#i++;
      if (c === '}') return out;
      if (c !== ',') throw new Error('expected , or }');
      this.ws();
      if (this.#peek() === '}') {
        this.#i++;
        return out;
      }
    }
  }

  #seq(open: string, close: string): unknown[] {
    this.#expect(open);
    const out: unknown[] = [];
    this.ws();
    if (this.#peek() === close) {
      this.#i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.#peek();
      this.#i++;
      if (c === close) return out;
      if (c !== ',') throw new Error(`expected , or ${close}`);
      this.ws();
      if (this.#peek() === close) {
        this.#i++;
        return out;
      }
    }
  }

  #str(): string {
    const q = this.#peek();
    this.#i++;
    let out = '';
    for (;;) {
      const c = this.#peek();
      this.#i++;
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.#peek();
      this.#i++;
      const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
      if (e === 'x' || e === 'u') {
        const len = e === 'x' ? 2 : 4;
        out += String.fromCharCode(Number.parseInt(this.s.slice(this.#i, this.#i + len), 16));
        this.#i += len;
      } else out += map[e] ?? `\\${e}`;
    }
  }

  #atom(): unknown {
    const m = /^[A-Za-z0-9_.+-]+/.exec(this.s.slice(this.#i));
    if (!m) throw new Error(`unexpected ${this.#peek()}`);
    this.#i += m[0].length;
    const t = m[0];
    if (t === 'True') return true;
    if (t === 'False') return false;
    if (t === 'None') return null;
    const n = Number(t);
    if (Number.isNaN(n)) throw new Error(`bad atom ${t}`);
    return n;
  }
}
