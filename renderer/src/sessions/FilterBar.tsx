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
      <SuggestInput
        name="person"
        listId="people"
        placeholder="Person"
        title="A verified person: email or subject"
        value={person}
        onChange={setPerson}
        suggestions={known.people}
      />
      <SuggestInput
        name="group"
        listId="groups"
        placeholder="Group"
        title="One of a verified person's groups"
        value={group}
        onChange={setGroup}
        suggestions={known.groups.map((g) => ({ value: g, label: g }))}
      />
    </div>
  );
}

/**
 * A typed filter with suggestions (the `<datalist>` `listId`): the person and group filters, whose values come
 * from the verified identities seen so far.
 */
function SuggestInput(props: {
  name: string;
  listId: string;
  placeholder: string;
  title: string;
  value: string;
  onChange: (value: string) => void;
  suggestions: readonly { value: string; label: string }[];
}) {
  const list = props.listId;
  return (
    <>
      <input
        type="text"
        className={`input ${props.name}`}
        placeholder={props.placeholder}
        list={list}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-label={props.name}
        title={props.title}
      />
      <datalist id={list}>
        {props.suggestions.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </datalist>
    </>
  );
}
