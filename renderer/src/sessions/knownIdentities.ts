import { useMemo, useRef } from 'react';
import type { Session } from '../../../proxy/api/types';

/** A verified person the filters offer: the value the API's `person` takes (email, else subject) and a name. */
export interface KnownPerson {
  value: string;
  label: string;
}

/** The people and groups the filters offer, sorted. */
export interface KnownIdentities {
  people: KnownPerson[];
  groups: string[];
}

/** At most this many people and groups are remembered (a datalist, not a directory). */
const MAX_KNOWN = 500;

/**
 * The verified people and groups seen in the sessions listed so far, kept while the list is filtered down
 * (so choosing one person still offers the others). Unverified identities are not offered: their email is
 * only a claim.
 */
export function useKnownIdentities(sessions: readonly Session[]): KnownIdentities {
  const known = useRef({ people: new Map<string, string>(), groups: new Set<string>() });
  return useMemo(() => {
    const { people, groups } = known.current;
    for (const { identity } of sessions) {
      if (!identity.verified) continue;
      const value = identity.email ?? identity.subject;
      if (value && people.size < MAX_KNOWN) people.set(value, identity.name ?? value);
      for (const group of identity.groups) if (groups.size < MAX_KNOWN) groups.add(group);
    }
    return {
      people: [...people]
        .map(([value, label]) => ({ value, label }))
        .sort((a, b) => a.value.localeCompare(b.value)),
      groups: [...groups].sort((a, b) => a.localeCompare(b)),
    };
  }, [sessions]);
}
