import { chromiumPath } from './chromium.js';

describe('finding Chromium for the browser tests', () => {
  it('fails saying how to install it when there is none, instead of skipping', () => {
    expect(() => chromiumPath({}, ['/nonexistent/chromium'])).toThrow(
      'Chromium not found (looked for /nonexistent/chromium): the browser tests need it. Install it with `apt-get install -y chromium`',
    );
  });

  it('takes CHROMIUM_PATH, and names it when nothing is there', () => {
    expect(chromiumPath({ CHROMIUM_PATH: process.execPath }, [])).toBe(process.execPath);
    expect(() => chromiumPath({ CHROMIUM_PATH: '/nonexistent/chrome' })).toThrow(
      'CHROMIUM_PATH is "/nonexistent/chrome", but there is no file there',
    );
  });
});
