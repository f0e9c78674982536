import { describe, expect, it } from 'vitest';
import { type ActionCore, guardCore } from '../../src/action-core.js';
import {
  hasControlCharacters,
  markdownText,
  oneLine,
  Redactor,
  redactCredentialShapes,
  secretParts,
} from '../../src/redact.js';

describe('Redactor', () => {
  it('replaces every secret it was given, the longest first, and each line of a multi-line one', () => {
    const redactor = new Redactor();
    redactor.add('short-secret');
    redactor.add('short-secret-but-longer');
    redactor.add('line-one\nline-two');
    expect(redactor.redact('a short-secret-but-longer b short-secret c line-two d')).toBe(
      'a (redacted) b (redacted) c (redacted) d',
    );
  });

  it('also finds a secret as the job summary shows it escaped', () => {
    const redactor = new Redactor();
    redactor.add('tok|en<&>value');
    expect(redactor.redact(`cell ${markdownText('tok|en<&>value')} end`)).toBe('cell (redacted) end');
  });

  it('ignores values too short to be secrets', () => {
    const redactor = new Redactor();
    redactor.add('a');
    expect(redactor.redact('a cat')).toBe('a cat');
  });
});

describe('redactCredentialShapes', () => {
  it('redacts ConductorOne client secrets, JWTs, authorization headers and GitHub tokens', () => {
    const text = [
      'secret-token:conductorone.com:v1:eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5In0',
      'eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl',
      'Bearer abcdefghijklmnop0123',
      'token ghs_abcdefghijklmnopqrstuvwxyz012345',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
    ].join(' | ');
    expect(redactCredentialShapes(text)).toBe(
      '(redacted) | (redacted) | Bearer (redacted) | token (redacted) | (redacted)',
    );
  });

  it('leaves ordinary words alone, even the prefix of a client secret', () => {
    const text = 'the bearer token was refused; a secret starts with secret-token:conductorone.com:v1:';
    expect(redactCredentialShapes(text)).toBe(text);
  });
});

describe('oneLine and markdownText', () => {
  it('turns control characters and line separators into spaces, so nothing starts a new line', () => {
    expect(oneLine('a\r\n::stop-commands::x\u2028b\u0000c')).toBe('a ::stop-commands::x b c');
  });

  it('cuts long text with an ellipsis', () => {
    expect(oneLine('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('escapes what would make a tag, a link, an image, a code span or a table cell', () => {
    expect(markdownText('<img src=x> ![a](b) `c` | d & e\nf')).toBe(
      '&lt;img src=x&gt; !\\[a\\](b) \\`c\\` \\| d &amp; e f',
    );
  });

  it('detects control characters', () => {
    expect(hasControlCharacters('abc')).toBe(false);
    expect(hasControlCharacters('a\tb')).toBe(true);
    expect(hasControlCharacters('a\u2029b')).toBe(true);
  });

  it('splits a multi-line secret into the whole and each non-empty line', () => {
    expect(secretParts('one')).toEqual(['one']);
    expect(secretParts('one\r\ntwo\n\n')).toEqual(['one\r\ntwo\n\n', 'one', 'two']);
  });
});

describe('guardCore', () => {
  function recordingCore() {
    const calls: string[] = [];
    const core: ActionCore = {
      getInput: () => '',
      oidcAvailable: () => false,
      getEnv: () => '',
      getIdToken: () => Promise.resolve(''),
      setSecret: (value) => calls.push(`mask ${value}`),
      setOutput: (name, value) => calls.push(`output ${name}=${value}`),
      info: (message) => calls.push(`info ${message}`),
      warning: (message, title) => calls.push(`warning ${title}: ${message}`),
      writeSummary: async (markdown) => void calls.push(`summary ${markdown}`),
    };
    return { core, calls };
  }

  it('masks each line of a multi-line secret, and redacts it from every text after', async () => {
    const { core, calls } = recordingCore();
    const guarded = guardCore(core);
    guarded.setSecret('first-line\nsecond-line');
    guarded.info('saw second-line');
    guarded.warning('saw first-line', 'Title');
    guarded.setOutput('x', 'first-line');
    await guarded.writeSummary('| first-line\nsecond-line |');
    expect(calls).toEqual([
      'mask first-line\nsecond-line',
      'mask first-line',
      'mask second-line',
      'info saw (redacted)',
      'warning Title: saw (redacted)',
      'output x=(redacted)',
      'summary | (redacted) |',
    ]);
  });

  it('keeps every log line on one line', () => {
    const { core, calls } = recordingCore();
    guardCore(core).info('one\n::set-output name=x::y\rtwo');
    expect(calls).toEqual(['info one ::set-output name=x::y two']);
  });
});
