import { useState } from 'react';

/**
 * A command with a copy button (empty states, the sign-in banner). `compact` fits it on a banner's line.
 */
export function CopyLine({ text, compact = false }: { text: string; compact?: boolean }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className={`copy-line${compact ? ' copy-line-compact' : ''}`}>
      <code data-testid="copy-command">{text}</code>
      <button
        type="button"
        className="btn"
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(() => setCopied(true));
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
