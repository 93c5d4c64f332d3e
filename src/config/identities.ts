// One person, one identity, whatever surface they decide from. IDENTITIES names people and the ids each
// surface knows them by (`alice=slack:U123,token:alice-laptop,role:approver;bob=…`): a decision from
// Slack as U123 and one from the API with the token whose identity is alice-laptop are both alice's, so
// four-eyes and quorum count her once. Someone IDENTITIES does not name is known by the surface's id.
//
// A Slack user's role (what an open gate, one that names nobody, asks for) is the `role:` of their entry,
// else the highest role among the API tokens of the same entry; a Slack user in no entry has none.

import type { Role } from './config.ts';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, approver: 2, admin: 3 };

export interface IdentityEntry {
  name: string;
  slack: readonly string[];
  /** API token identities (the `:identity` of API_TOKENS entries). */
  tokens: readonly string[];
  role: Role | null;
}

export interface Principal {
  /** The identity decisions are recorded and counted under. */
  identity: string;
  /** Every id this identity goes by (its name, Slack user ids, token identities): what policies may list. */
  aliases: readonly string[];
  role: Role | undefined;
}

export class Identities {
  private readonly byAlias = new Map<string, IdentityEntry>();

  constructor(
    private readonly entries: readonly IdentityEntry[] = [],
    /** API tokens' identities and roles, to derive a person's role from their tokens. */
    private readonly tokenRoles: readonly { identity: string; role: Role }[] = [],
    private readonly approverGroups: Readonly<Record<string, readonly string[]>> = {},
  ) {
    for (const e of entries)
      for (const alias of [e.name, ...e.slack, ...e.tokens]) this.byAlias.set(alias, e);
  }

  /** The identity an id belongs to (a name, a Slack user id, a token identity), or the id itself. */
  canonical(id: string): string {
    return this.byAlias.get(id)?.name ?? id;
  }

  aliases(id: string): string[] {
    const e = this.byAlias.get(id);
    return e ? [e.name, ...e.slack, ...e.tokens] : [id];
  }

  /** Approver groups (APPROVER_GROUPS) that list any of the identity's ids. */
  groups(id: string): string[] {
    const aliases = this.aliases(id);
    return Object.entries(this.approverGroups)
      .filter(([, members]) => members.some((m) => aliases.includes(m)))
      .map(([g]) => g);
  }

  /** Who an API token (or a web session of it) is: its own role, its person's identity. */
  ofToken(tokenIdentity: string, role: Role): Principal {
    return { identity: this.canonical(tokenIdentity), aliases: this.aliases(tokenIdentity), role };
  }

  /** Who a Slack user (or a CLI `--as`) is, with the role their identity carries, if any. */
  ofUser(id: string): Principal {
    return { identity: this.canonical(id), aliases: this.aliases(id), role: this.roleOf(id) };
  }

  private roleOf(id: string): Role | undefined {
    const e = this.byAlias.get(id);
    if (!e) return undefined;
    if (e.role) return e.role;
    const roles = this.tokenRoles.filter((t) => e.tokens.includes(t.identity) || t.identity === e.name);
    return roles.reduce<Role | undefined>(
      (best, t) => (!best || RANK[t.role] > RANK[best] ? t.role : best),
      undefined,
    );
  }
}

/** `name=kind:value,…;name=…` with kinds slack, token and role. Throws with a message naming the problem. */
export function parseIdentities(text: string): IdentityEntry[] {
  const out: IdentityEntry[] = [];
  for (const part of text
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    if (eq <= 0 || !name) throw new Error(`"${part}" is not name=kind:value,…`);
    const entry = { name, slack: [] as string[], tokens: [] as string[], role: null as Role | null };
    for (const item of part
      .slice(eq + 1)
      .split(',')
      .map((i) => i.trim())
      .filter(Boolean)) {
      const m = /^(slack|token|role):(.+)$/.exec(item);
      if (!m) throw new Error(`${name}: "${item}" is not slack:<user id>, token:<identity> or role:<role>`);
      const value = m[2]!.trim();
      if (m[1] === 'slack') entry.slack.push(value);
      else if (m[1] === 'token') entry.tokens.push(value);
      else if (value in RANK) entry.role = value as Role;
      else throw new Error(`${name}: role must be viewer, operator, approver or admin, not "${value}"`);
    }
    if (out.some((e) => e.name === name)) throw new Error(`${name} is named twice`);
    out.push(entry);
  }
  const seen = new Map<string, string>();
  for (const e of out) {
    for (const alias of [...e.slack, ...e.tokens]) {
      const other = seen.get(alias);
      if (other && other !== e.name) throw new Error(`${alias} belongs to both ${other} and ${e.name}`);
      seen.set(alias, e.name);
    }
  }
  return out;
}
