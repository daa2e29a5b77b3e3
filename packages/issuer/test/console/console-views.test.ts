import { describe, expect, it } from "vitest";
import { escapeHtml, html } from "../../src/console/views/html.js";
import { expiryChoices, expirySeconds } from "../../src/console/views/token-forms.js";
import { expiryCell, tokenTable } from "../../src/console/views/token-views.js";
import type { TokenRecord } from "../../src/tokens/types.js";

const NOW = 1_800_000_000;

function record(fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    tokenId: "AAAAAAAAAAAAAAAAAAAAA",
    owner: "alice",
    isAdmin: false,
    roles: [],
    isRevoked: false,
    createdAt: NOW - 86_400,
    updatedAt: NOW - 86_400,
    revision: 1,
    ownerRevision: 0,
    ...fields,
  };
}

describe("console views", () => {
  it("escape every interpolated value, in text and in attributes", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(html`<p title="${'"><script>'}">${"<b>"}${html`<i>ok</i>`}</p>`.markup).toBe(
      '<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;<i>ok</i></p>',
    );
    const table = tokenTable([record({ name: "<img src=x onerror=alert(1)>", roles: ['r"1'] })], NOW, {
      caption: "<caption>",
      admin: { csrf: '"csrf' },
    }).markup;
    expect(table).not.toContain("<img");
    expect(table).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(table).not.toContain('value=""csrf"');
  });

  it("warn as the expiry nears, and give a notice for a PAT that never expires", () => {
    expect(expiryCell(record({ expiresAt: NOW + 3 * 86_400 }), NOW).markup).toContain("expires in 3 days");
    expect(expiryCell(record({ expiresAt: NOW + 30 * 86_400 }), NOW).markup).not.toContain("warn");
    expect(expiryCell(record(), NOW).markup).toContain("Never expires");
    expect(expiryCell(record({ expiresAt: NOW - 1 }), NOW).markup).toContain("(expired)");
  });

  it("offer only expiries within the lifetime policy", () => {
    expect(expiryChoices(366 * 86_400)).toEqual(["7", "30", "60", "90", "180", "366"]);
    expect(expiryChoices(90 * 86_400)).toEqual(["7", "30", "60", "90"]);
    expect(expiryChoices(12 * 3600)).toEqual(["max"]);
    expect(expirySeconds("max", 12 * 3600)).toBe(12 * 3600);
    expect(expirySeconds("30", 366 * 86_400)).toBe(30 * 86_400);
    expect(expiryChoices(undefined)).toContain("never");
  });
});
