/**
 * A small HTTP "browser" over fetch for the test OIDC provider's pages (test/helpers/oidc-provider.ts): a
 * cookie jar for the one loopback host, redirects followed by hand (a 302/303 after a POST becomes a GET),
 * and form submission that keeps a form's hidden inputs. It is the "second client" that completes a device
 * sign-in, as a person on another device would; browser sign-ins are driven in Chromium instead.
 */

/** A page the browser landed on. */
export interface FetchedPage {
  url: string;
  status: number;
  text: string;
}

/** The browser: `get`, `submit` a form on a page, and the request log (`GET /device -> 200`). */
export interface FormBrowser {
  get(url: string): Promise<FetchedPage>;
  /** Submits the form on `page` whose id is `formId` (else the first), with `fields` over its inputs. */
  submit(page: FetchedPage, fields?: Record<string, string>, formId?: string): Promise<FetchedPage>;
  log: string[];
}

/** Creates a {@link FormBrowser}. */
export function formBrowser(): FormBrowser {
  const jar = new Map<string, string>();
  const log: string[] = [];
  const request = async (start: string, first: RequestInit = {}): Promise<FetchedPage> => {
    let url = start;
    let init = first;
    for (let hop = 0; hop < 20; hop += 1) {
      const headers = new Headers(init.headers);
      if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      const res = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const cookie of res.headers.getSetCookie()) {
        const [pair = ''] = cookie.split(';');
        const at = pair.indexOf('=');
        const name = pair.slice(0, at);
        const value = pair.slice(at + 1);
        if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name);
        else jar.set(name, value);
      }
      log.push(`${init.method ?? 'GET'} ${new URL(url).pathname} -> ${res.status}`);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).href;
        init = {};
        await res.arrayBuffer();
        continue;
      }
      return { url, status: res.status, text: await res.text() };
    }
    throw new Error(`too many redirects from ${start}`);
  };
  const submit = (page: FetchedPage, fields: Record<string, string> = {}, formId?: string) => {
    const forms = [...page.text.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)];
    const form = formId ? forms.find((m) => (m[1] ?? '').includes(`id="${formId}"`)) : forms[0];
    if (!form)
      throw new Error(`no form${formId ? ` #${formId}` : ''} on ${page.url}: ${page.text.slice(0, 300)}`);
    const action = /action="([^"]*)"/.exec(form[1] ?? '')?.[1] ?? page.url;
    const body = new URLSearchParams();
    for (const input of (form[2] ?? '').matchAll(/<input([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1] ?? '')?.[1];
      const value = /value="([^"]*)"/.exec(input[1] ?? '')?.[1] ?? '';
      if (name) body.set(name, value);
    }
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    return request(new URL(action.replaceAll('&amp;', '&'), page.url).href, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  };
  return { get: (url) => request(url), submit, log };
}

/**
 * Completes a device sign-in on the provider's pages as `login` would on another device: enter the user code,
 * confirm, log in, consent. Resolves with the final page ("Sign-in Success").
 * @throws Error when a page is not the one expected (the message shows the page)
 */
export async function completeDeviceSignIn(
  verificationUri: string,
  userCode: string,
  login = 'alice',
): Promise<FetchedPage> {
  const browser = formBrowser();
  let page = await browser.get(verificationUri);
  page = await browser.submit(page, { user_code: userCode }, 'op.deviceInputForm');
  page = await browser.submit(page, {}, 'op.deviceConfirmForm');
  page = await browser.submit(page, { login, password: 'any' });
  page = await browser.submit(page);
  if (!/Sign-in Success/i.test(page.text))
    throw new Error(`device sign-in did not succeed: ${page.text.slice(0, 400)}`);
  return page;
}
