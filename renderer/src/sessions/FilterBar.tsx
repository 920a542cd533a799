import { useEffect, useState } from 'react';
import { type Filters, RANGES } from './filters';
import type { KnownIdentities } from './knownIdentities';

/**
 * Search box and filters above the table; the search and the typed filters (target, person, group) apply as
 * you type (debounced), and Enter in the search box applies it at once and asks for its top hit (`onSubmit`
 * with the query). Person and group offer the verified people and groups seen so far.
 */
export function FilterBar({
  filters,
  known,
  onChange,
  onSubmit,
}: {
  filters: Filters;
  known: KnownIdentities;
  onChange: (f: Filters) => void;
  onSubmit: (f: Filters) => void;
}) {
  const [q, setQ] = useState(filters.q);
  const [target, setTarget] = useState(filters.target);
  const [person, setPerson] = useState(filters.person);
  const [group, setGroup] = useState(filters.group);
  useEffect(() => {
    const timer = setTimeout(() => {
      const typed = { q, target, person, group };
      const changed = (Object.keys(typed) as Array<keyof typeof typed>).some((k) => typed[k] !== filters[k]);
      if (changed) onChange({ ...filters, ...typed });
    }, 200);
    return () => clearTimeout(timer);
  }, [q, target, person, group, filters, onChange]);
  return (
    <div className="filters">
      <input
        id="search"
        type="search"
        className="input search"
        placeholder="Search prompts, replies, tool calls, SQL   ( / )"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && q.trim()) onSubmit({ ...filters, q, target, person, group });
        }}
        aria-label="full-text search"
      />
      <select
        className="input"
        value={filters.kind}
        onChange={(e) => onChange({ ...filters, kind: e.target.value as Filters['kind'] })}
        aria-label="kind"
      >
        <option value="">All kinds</option>
        <option value="anthropic">Claude</option>
        <option value="postgres">PostgreSQL</option>
      </select>
      <select
        className="input"
        value={filters.status}
        onChange={(e) => onChange({ ...filters, status: e.target.value as Filters['status'] })}
        aria-label="status"
      >
        <option value="">Any status</option>
        <option value="live">Live</option>
        <option value="closed">Closed</option>
        <option value="interrupted">Interrupted</option>
      </select>
      <input
        type="text"
        className="input target"
        placeholder="Target"
        value={target}
        onChange={(e) => setTarget(e.target.value)}
        aria-label="target"
      />
      <select
        className="input"
        value={filters.range}
        onChange={(e) => onChange({ ...filters, range: e.target.value as Filters['range'] })}
        aria-label="time range"
      >
        <option value="">Any time</option>
        {Object.keys(RANGES).map((key) => (
          <option key={key} value={key}>
            Last {key}
          </option>
        ))}
      </select>
      <input
        type="text"
        className="input person"
        placeholder="Person"
        list="people"
        value={person}
        onChange={(e) => setPerson(e.target.value)}
        aria-label="person"
        title="A verified person: email or subject"
      />
      <datalist id="people">
        {known.people.map((p) => (
          <option key={p.value} value={p.value}>
            {p.label}
          </option>
        ))}
      </datalist>
      <input
        type="text"
        className="input group"
        placeholder="Group"
        list="groups"
        value={group}
        onChange={(e) => setGroup(e.target.value)}
        aria-label="group"
        title="One of a verified person's groups"
      />
      <datalist id="groups">
        {known.groups.map((g) => (
          <option key={g} value={g} />
        ))}
      </datalist>
    </div>
  );
}
